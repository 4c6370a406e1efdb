//! Rocket.Chat's side of an account in the store: the user's RSA private
//! key (its own table, read only when RSA is about to run) and the listing
//! of accounts with their rooms' keys.

use rusqlite::{params, OptionalExtension};

use crate::rocketchat::{ImportReport, UserPrivateKey};
use crate::server::normalize_server;
use crate::store::{Store, StoreError};

/// An account as [`Store::info`] lists it. Holds no secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// Normalised server URL.
    pub server: String,
    pub user_id: String,
    pub has_private_key: bool,
    pub has_auth_token: bool,
    pub rooms: Vec<RoomInfo>,
    /// Wrapped room keys waiting for the private key.
    pub pending_keys: usize,
}

/// A room's keys, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomInfo {
    pub rid: String,
    pub keys: usize,
    /// The key id of the current key, when one is marked current.
    pub current_kid: Option<String>,
}

impl Store {
    /// Stores the user's private key, then unwraps the room keys that were
    /// imported while it was missing.
    pub fn set_private_key(
        &self,
        server: &str,
        key: &UserPrivateKey,
    ) -> Result<ImportReport, StoreError> {
        let server = normalize_server(server)?;
        let jwk = key.to_jwk();
        self.write(|tx| {
            let id: i64 = tx
                .query_row(
                    "SELECT id FROM accounts WHERE server = ?1",
                    [&server],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| StoreError::UnknownAccount(server.clone()))?;
            tx.execute(
                "INSERT INTO private_keys (account_id, jwk) VALUES (?1, ?2)
                 ON CONFLICT (account_id) DO UPDATE SET jwk = excluded.jwk",
                params![id, jwk.expose()],
            )?;
            tx.execute(
                "UPDATE accounts SET has_private_key = 1, updated_at = unixepoch() WHERE id = ?1",
                [id],
            )?;
            Ok(())
        })?;
        self.unwrap_pending(&server)
    }

    /// The user's private key; `None` when there is no such account or no key.
    pub fn private_key(&self, server: &str) -> Result<Option<UserPrivateKey>, StoreError> {
        let server = normalize_server(server)?;
        self.read(|tx| load_private_key(tx, &server).map(|found| found.and_then(|(_, key)| key)))
    }

    /// Every account with its rooms and key counts; no secrets.
    pub fn info(&self) -> Result<Vec<AccountInfo>, StoreError> {
        self.read(|tx| {
            let mut accounts = tx.prepare(
                "SELECT id, server, user_id, has_private_key, auth_token IS NOT NULL,
                        (SELECT count(*) FROM pending_keys p WHERE p.account_id = a.id)
                 FROM accounts a WHERE protocol = 'rocketchat' ORDER BY server",
            )?;
            let mut rooms = tx.prepare(
                "SELECT rid, count(*), max(CASE WHEN current = 1 THEN kid END)
                 FROM room_keys WHERE account_id = ?1 GROUP BY rid ORDER BY rid",
            )?;
            let rows = accounts.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, server, user_id, has_private_key, has_auth_token, pending) = row?;
                let rooms = rooms
                    .query_map([id], |r| {
                        Ok(RoomInfo {
                            rid: r.get(0)?,
                            keys: usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                            current_kid: r.get(2)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                out.push(AccountInfo {
                    server,
                    user_id,
                    has_private_key,
                    has_auth_token,
                    rooms,
                    pending_keys: usize::try_from(pending).unwrap_or(0),
                });
            }
            Ok(out)
        })
    }
}

/// The account's id and private key; `None` when there is no such account.
/// The only reader of `private_keys`: called when RSA is about to run.
pub(crate) fn load_private_key(
    tx: &rusqlite::Connection,
    server: &str,
) -> Result<Option<(i64, Option<UserPrivateKey>)>, StoreError> {
    let row = tx
        .query_row(
            "SELECT a.id, p.jwk FROM accounts a LEFT JOIN private_keys p ON p.account_id = a.id
             WHERE a.server = ?1",
            [server],
            |r| {
                // Parsed straight from SQLite's buffer, so no unwiped copy of
                // the JWK is made on the Rust side.
                let jwk = r
                    .get_ref(1)?
                    .as_str_or_null()?
                    .map(UserPrivateKey::from_jwk);
                Ok((r.get::<_, i64>(0)?, jwk))
            },
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some((id, None)) => Ok(Some((id, None))),
        Some((id, Some(Ok(key)))) => Ok(Some((id, Some(key)))),
        Some((_, Some(Err(_)))) => Err(StoreError::Corrupt(
            "stored private key does not parse".into(),
        )),
    }
}
