//! Decryption's side of the store: room keys for one room, read in one
//! statement from the latest committed state. No RSA runs here, and the
//! private key's table is never read, so its page is not decrypted into
//! SQLite's cache while pushes are handled.

use rusqlite::{params, Transaction};

use crate::error::{Error, Result};
use crate::rocketchat::{KeyLookup, RoomKey, RoomKeyAlgorithm, RoomKeyEntry};
use crate::store::{Store, StoreError};

impl KeyLookup for Store {
    /// `server` must be normalised, as decryption passes it.
    fn room_keys(&self, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
        self.read(|tx| Ok(room_keys(tx, server, rid)))?
    }
}

fn room_keys(tx: &Transaction<'_>, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
    // One row per key, or one row of NULL keys for a room with none; no
    // row at all for an unknown server.
    let mut stmt = tx
        .prepare(
            "SELECT a.has_private_key, k.kid, k.algorithm, k.raw_key, k.current
             FROM accounts a LEFT JOIN room_keys k ON k.account_id = a.id AND k.rid = ?2
             WHERE a.server = ?1
             ORDER BY k.current DESC, k.id DESC",
        )
        .map_err(StoreError::from)?;
    let mut rows = stmt.query(params![server, rid]).map_err(StoreError::from)?;
    let mut known_account = false;
    let mut has_private_key = false;
    let mut keys = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::from)? {
        known_account = true;
        has_private_key = row.get(0).map_err(StoreError::from)?;
        if let Some(entry) = entry(row)? {
            keys.push(entry);
        }
    }
    if !known_account {
        return Err(Error::UnknownServer(server.to_owned()));
    }
    if keys.is_empty() && !has_private_key {
        return Err(Error::NoPrivateKey);
    }
    Ok(keys)
}

fn entry(row: &rusqlite::Row<'_>) -> std::result::Result<Option<RoomKeyEntry>, StoreError> {
    let Some(kid) = row.get_ref(1)?.as_str_or_null()? else {
        return Ok(None);
    };
    let corrupt = |_| StoreError::Corrupt("stored room key is invalid".into());
    let algorithm = RoomKeyAlgorithm::from_jwk_alg(row.get_ref(2)?.as_str()?).map_err(corrupt)?;
    // From SQLite's buffer straight into the key's zeroizing buffer.
    let key = RoomKey::from_raw(algorithm, row.get_ref(3)?.as_blob()?).map_err(corrupt)?;
    Ok(Some(RoomKeyEntry {
        kid: kid.to_owned(),
        key,
        current: row.get(4)?,
    }))
}
