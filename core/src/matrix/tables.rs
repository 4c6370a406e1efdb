//! Matrix's tables in the encrypted [`Store`]: accounts, Megolm sessions,
//! seen message indices, room names (migrations in `migrations/`).
//!
//! Sessions are vodozemac pickles encrypted under a pickle key derived
//! from the store key: HKDF-SHA-256, no salt, info
//! `pushseal/matrix/session-pickle/v1`, 32 bytes. A rekey re-encrypts them
//! (see [`before_rekey`]).

use std::collections::HashMap;

use hkdf::Hkdf;
use rusqlite::{params, OptionalExtension, Transaction};
use sha2::Sha256;
use vodozemac::megolm::InboundGroupSession;
use zeroize::Zeroizing;

use super::{replace_decision, Replace, RoomSession, SecretKey32, SessionStore};
use crate::outcome::Protocol;
use crate::secret::SecretString;
use crate::server::normalize_server;
use crate::store::accounts::claim_account;
use crate::store::{Component, OpenMode, Store, StoreError, StoreKey};

/// Registered in [`crate::protocols::STORE_COMPONENTS`].
pub(crate) const STORE_COMPONENT: Component = Component {
    name: "matrix",
    migrations: &[include_str!("migrations/0001_sessions.sql")],
};

const PICKLE_INFO: &[u8] = b"pushseal/matrix/session-pickle/v1";

/// The pickle key of a store key.
fn pickle_key(key: &StoreKey) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA-256's limit: this cannot fail.
    let _ = Hkdf::<Sha256>::new(None, key.expose()).expand(PICKLE_INFO, &mut out[..]);
    out
}

/// A Matrix account as [`Store::matrix_accounts`] lists it: no secrets,
/// only whether they are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixAccountInfo {
    /// Normalised homeserver URL.
    pub server: String,
    pub user_id: String,
    pub device_id: String,
    pub has_auth_token: bool,
    pub has_client_secret: bool,
    pub has_backup_key: bool,
    pub backup_version: Option<String>,
    /// Each room id with its session count, sorted by room id.
    pub rooms: Vec<(String, usize)>,
}

/// What [`Store::import_matrix_sessions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionImport {
    /// Sessions stored: new, or replacing one known from a higher index.
    pub stored: usize,
    /// Sessions already known as well or better.
    pub kept: usize,
    /// Sessions under a stored id that are not the same ratchet: refused.
    pub unconnected: usize,
    /// Rooms with at least one stored session after the import.
    pub rooms: usize,
}

fn account_id(tx: &Transaction<'_>, server: &str) -> Result<i64, StoreError> {
    tx.query_row(
        "SELECT id FROM accounts WHERE server = ?1 AND protocol = 'matrix'",
        [server],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::UnknownAccount(server.to_owned()))
}

fn unpickle(
    room_id: &str,
    pickle: &str,
    next: Option<&str>,
    key: &[u8; 32],
) -> Option<InboundGroupSession> {
    // After a rekey that stopped half-way, the session is in `pickle_next`.
    RoomSession::from_pickle(room_id, pickle, key)
        .or_else(|e| next.map_or(Err(e), |n| RoomSession::from_pickle(room_id, n, key)))
        .ok()
        .map(|s| s.session)
}

impl Store {
    /// Adds the Matrix account of `homeserver`, or updates its device id
    /// when `user_id` is the same. A different user replaces the account
    /// and drops every secret and session of the previous one.
    pub fn set_matrix_account(
        &self,
        homeserver: &str,
        user_id: &str,
        device_id: &str,
    ) -> Result<(), StoreError> {
        let server = normalize_server(homeserver)?;
        self.write(|tx| {
            let id = claim_account(tx, &server, user_id, Protocol::Matrix)?;
            tx.execute(
                "INSERT INTO matrix_accounts (account_id, device_id) VALUES (?1, ?2)
                 ON CONFLICT (account_id) DO UPDATE SET device_id = excluded.device_id",
                params![id, device_id],
            )?;
            Ok(())
        })
    }

    /// Stores (or with `None` forgets) Element X Android's client secret.
    pub fn set_matrix_client_secret(
        &self,
        homeserver: &str,
        secret: Option<&SecretString>,
    ) -> Result<(), StoreError> {
        let server = normalize_server(homeserver)?;
        self.write(|tx| {
            let id = account_id(tx, &server)?;
            tx.execute(
                "UPDATE matrix_accounts SET client_secret = ?1 WHERE account_id = ?2",
                params![secret.map(SecretString::expose), id],
            )?;
            Ok(())
        })
    }

    /// The stored client secret, to match a push's `cs`.
    pub fn matrix_client_secret(
        &self,
        homeserver: &str,
    ) -> Result<Option<SecretString>, StoreError> {
        let server = normalize_server(homeserver)?;
        self.read(|tx| {
            let id = account_id(tx, &server)?;
            let s: Option<String> = tx.query_row(
                "SELECT client_secret FROM matrix_accounts WHERE account_id = ?1",
                [id],
                |r| r.get(0),
            )?;
            Ok(s.map(SecretString::new))
        })
    }

    /// Stores the backup decryption key (already checked against the
    /// backup's public key) and the backup version it opens.
    pub fn set_matrix_backup(
        &self,
        homeserver: &str,
        key: &SecretKey32,
        version: &str,
    ) -> Result<(), StoreError> {
        let server = normalize_server(homeserver)?;
        self.write(|tx| {
            let id = account_id(tx, &server)?;
            tx.execute(
                "UPDATE matrix_accounts SET backup_key = ?1, backup_version = ?2 WHERE account_id = ?3",
                params![&key.expose()[..], version, id],
            )?;
            Ok(())
        })
    }

    /// The backup decryption key and version, when stored.
    pub fn matrix_backup(
        &self,
        homeserver: &str,
    ) -> Result<Option<(SecretKey32, String)>, StoreError> {
        let server = normalize_server(homeserver)?;
        self.read(|tx| {
            let id = account_id(tx, &server)?;
            let row: (Option<Zeroizing<Vec<u8>>>, Option<String>) = tx.query_row(
                "SELECT backup_key, backup_version FROM matrix_accounts WHERE account_id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, Option<Vec<u8>>>(0)?.map(Zeroizing::new),
                        r.get(1)?,
                    ))
                },
            )?;
            match row {
                (Some(bytes), Some(version)) => {
                    let bytes: [u8; 32] = bytes[..]
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("backup key is not 32 bytes".into()))?;
                    Ok(Some((SecretKey32::new(bytes), version)))
                }
                _ => Ok(None),
            }
        })
    }

    /// Remembers a room's name, for titles.
    pub fn set_matrix_room_name(
        &self,
        homeserver: &str,
        room_id: &str,
        name: &str,
    ) -> Result<(), StoreError> {
        let server = normalize_server(homeserver)?;
        self.write(|tx| {
            let id = account_id(tx, &server)?;
            tx.execute(
                "INSERT INTO matrix_rooms (account_id, room_id, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account_id, room_id) DO UPDATE SET name = excluded.name",
                params![id, room_id, name],
            )?;
            Ok(())
        })
    }

    /// Stores `sessions` for the account in one transaction. A stored
    /// session is replaced only by a connected one known from a lower
    /// index ([`replace_decision`]).
    pub fn import_matrix_sessions(
        &self,
        homeserver: &str,
        sessions: Vec<RoomSession>,
    ) -> Result<SessionImport, StoreError> {
        let server = normalize_server(homeserver)?;
        let key = pickle_key(&self.key());
        self.write(|tx| {
            let id = account_id(tx, &server)?;
            let mut report = SessionImport::default();
            let mut find = tx.prepare(
                "SELECT pickle, pickle_next FROM matrix_sessions
                 WHERE account_id = ?1 AND room_id = ?2 AND session_id = ?3",
            )?;
            let mut put = tx.prepare(
                "INSERT INTO matrix_sessions
                     (account_id, room_id, session_id, pickle, first_known_index, sender_key, forwarded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (account_id, room_id, session_id) DO UPDATE SET
                     pickle = excluded.pickle, pickle_next = NULL,
                     first_known_index = excluded.first_known_index,
                     sender_key = excluded.sender_key, forwarded = excluded.forwarded,
                     updated_at = unixepoch()",
            )?;
            for mut session in sessions {
                let stored: Option<(String, Option<String>)> = find
                    .query_row(params![id, session.room_id, session.session_id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                let stored = stored
                    .and_then(|(p, n)| unpickle(&session.room_id, &p, n.as_deref(), &key));
                if let Some(mut old) = stored {
                    match replace_decision(&mut old, &mut session.session) {
                        Replace::Replace => {}
                        Replace::Keep => {
                            report.kept += 1;
                            continue;
                        }
                        Replace::Unconnected => {
                            report.unconnected += 1;
                            continue;
                        }
                    }
                }
                put.execute(params![
                    id,
                    session.room_id,
                    session.session_id,
                    session.pickle(&key),
                    session.first_known_index(),
                    session.sender_key,
                    session.forwarded,
                ])?;
                report.stored += 1;
            }
            report.rooms = tx.query_row(
                "SELECT count(DISTINCT room_id) FROM matrix_sessions WHERE account_id = ?1",
                [id],
                |r| r.get::<_, i64>(0),
            )? as usize;
            Ok(report)
        })
    }

    /// Every Matrix account with its rooms' session counts; no secrets.
    pub fn matrix_accounts(&self) -> Result<Vec<MatrixAccountInfo>, StoreError> {
        self.read(|tx| {
            let mut accounts = tx.prepare(
                "SELECT a.id, a.server, a.user_id, m.device_id, a.auth_token IS NOT NULL,
                        m.client_secret IS NOT NULL, m.backup_key IS NOT NULL, m.backup_version
                 FROM accounts a JOIN matrix_accounts m ON m.account_id = a.id
                 WHERE a.protocol = 'matrix' ORDER BY a.server",
            )?;
            let mut rooms = tx.prepare(
                "SELECT room_id, count(*) FROM matrix_sessions WHERE account_id = ?1
                 GROUP BY room_id ORDER BY room_id",
            )?;
            let rows = accounts.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    MatrixAccountInfo {
                        server: r.get(1)?,
                        user_id: r.get(2)?,
                        device_id: r.get(3)?,
                        has_auth_token: r.get(4)?,
                        has_client_secret: r.get(5)?,
                        has_backup_key: r.get(6)?,
                        backup_version: r.get(7)?,
                        rooms: Vec::new(),
                    },
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, mut info) = row?;
                info.rooms = rooms
                    .query_map([id], |r| {
                        Ok((r.get(0)?, usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0)))
                    })?
                    .collect::<Result<_, _>>()?;
                out.push(info);
            }
            Ok(out)
        })
    }

    /// The account's sessions as a [`SessionStore`] for decryption. Each
    /// call reads the store afresh, so it sees other processes' writes.
    pub fn matrix_sessions(&self, homeserver: &str) -> Result<StoredSessions<'_>, StoreError> {
        let server = normalize_server(homeserver)?;
        let account_id = self.read(|tx| account_id(tx, &server))?;
        Ok(StoredSessions {
            store: self,
            account_id,
            key: pickle_key(&self.key()),
            loaded: HashMap::new(),
        })
    }
}

/// The stored sessions of one Matrix account, as decryption asks for them.
/// Sessions are unpickled on first use and kept for the life of this value
/// (one push); seen indices are read and written through to the store. A
/// read-only store refuses `record_seen` and writes nothing.
pub struct StoredSessions<'a> {
    store: &'a Store,
    account_id: i64,
    key: Zeroizing<[u8; 32]>,
    loaded: HashMap<(String, String), InboundGroupSession>,
}

impl std::fmt::Debug for StoredSessions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSessions")
            .field("account_id", &self.account_id)
            .field("loaded", &self.loaded.len())
            .finish_non_exhaustive()
    }
}

fn failed(e: StoreError) -> super::StoreError {
    super::StoreError(e.to_string())
}

impl SessionStore for StoredSessions<'_> {
    fn session(
        &mut self,
        room_id: &str,
        session_id: &str,
    ) -> Result<Option<&mut InboundGroupSession>, super::StoreError> {
        let wanted = (room_id.to_owned(), session_id.to_owned());
        if !self.loaded.contains_key(&wanted) {
            let account = self.account_id;
            let row: Option<(String, Option<String>)> = self
                .store
                .read(|tx| {
                    Ok(tx
                        .query_row(
                            "SELECT pickle, pickle_next FROM matrix_sessions
                             WHERE account_id = ?1 AND room_id = ?2 AND session_id = ?3",
                            params![account, room_id, session_id],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?)
                })
                .map_err(failed)?;
            let Some((pickle, next)) = row else {
                return Ok(None);
            };
            let session =
                unpickle(room_id, &pickle, next.as_deref(), &self.key).ok_or_else(|| {
                    super::StoreError("a stored session does not open under this store key".into())
                })?;
            self.loaded.insert(wanted.clone(), session);
        }
        Ok(self.loaded.get_mut(&wanted))
    }

    fn seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<String>, super::StoreError> {
        let account = self.account_id;
        self.store
            .read(|tx| {
                Ok(tx
                    .query_row(
                        "SELECT event_id FROM matrix_seen WHERE account_id = ?1
                         AND room_id = ?2 AND session_id = ?3 AND message_index = ?4",
                        params![account, room_id, session_id, index],
                        |r| r.get(0),
                    )
                    .optional()?)
            })
            .map_err(failed)
    }

    fn record_seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
        event_id: &str,
    ) -> Result<(), super::StoreError> {
        if self.store.mode() == OpenMode::ReadOnly {
            return Err(failed(StoreError::ReadOnly));
        }
        let account = self.account_id;
        self.store
            .write(|tx| {
                // The first event seen for an index stays: that is the record.
                tx.execute(
                    "INSERT INTO matrix_seen (account_id, room_id, session_id, message_index, event_id)
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                    params![account, room_id, session_id, index, event_id],
                )?;
                Ok(())
            })
            .map_err(failed)
    }

    fn room_name(&mut self, room_id: &str) -> Option<String> {
        let account = self.account_id;
        self.store
            .read(|tx| {
                Ok(tx
                    .query_row(
                        "SELECT name FROM matrix_rooms WHERE account_id = ?1 AND room_id = ?2",
                        params![account, room_id],
                        |r| r.get(0),
                    )
                    .optional()?)
            })
            .ok()
            .flatten()
    }
}

/// The stored Matrix account a push is for: the only one, else the one
/// whose client identifier or client secret the push names
/// ([`super::choose_account`]). `Err` is the failure to show instead.
pub(crate) fn account_for(
    push: &super::Push<'_>,
    store: &Store,
) -> Result<MatrixAccountInfo, Box<crate::Outcome>> {
    use super::outcome::{context, failed};
    use crate::{FailureReason, FALLBACK_TITLE};
    let store_failure = |e: StoreError| {
        Box::new(failed(
            context(push),
            super::display::title(push, None),
            FailureReason::StoreError,
            e.to_string(),
            None,
        ))
    };
    let mut accounts = store.matrix_accounts().map_err(store_failure)?;
    let mut secrets = Vec::with_capacity(accounts.len());
    for account in &accounts {
        let secret = match account.has_client_secret {
            true => store
                .matrix_client_secret(&account.server)
                .map_err(store_failure)?,
            false => None,
        };
        secrets.push(secret);
    }
    let refs: Vec<super::AccountRef<'_>> = accounts
        .iter()
        .zip(&secrets)
        .map(|(a, s)| super::AccountRef {
            user_id: &a.user_id,
            client_secret: s.as_ref().map(SecretString::expose),
        })
        .collect();
    match super::choose_account(push, &refs) {
        Some(chosen) => Ok(accounts.swap_remove(chosen)),
        None => Err(Box::new(failed(
            context(push),
            FALLBACK_TITLE.to_owned(),
            FailureReason::UnknownServer,
            "no stored Matrix account matches this push",
            None,
        ))),
    }
}

/// Decrypts a Matrix push offline with the store's sessions, for the
/// account [`account_for`] picks (none fits: `unknown_server`); a
/// read-write store records the seen index, a read-only one only checks it.
pub fn decrypt_with_store(bytes: &[u8], store: &Store) -> crate::Outcome {
    let push = match super::parse_push(bytes) {
        Ok(push) => push,
        // The same typed failure as without a store.
        Err(_) => return super::decrypt_push(bytes, &mut super::MemoryStore::new()),
    };
    let account = match account_for(&push, store) {
        Ok(account) => account,
        Err(outcome) => return *outcome,
    };
    match store.matrix_sessions(&account.server) {
        Ok(mut sessions) => super::decrypt_parsed(&push, &mut sessions),
        Err(e) => super::outcome::failed(
            super::outcome::context(&push),
            super::display::title(&push, None),
            crate::FailureReason::StoreError,
            e.to_string(),
            None,
        ),
    }
}

/// Before a rekey: every session is also pickled under the new key's
/// pickle key, in `pickle_next`, so a rekey that stops half-way leaves
/// each session readable under whichever key then opens the store.
pub(crate) fn before_rekey(
    tx: &Transaction<'_>,
    old: &StoreKey,
    new: &StoreKey,
) -> Result<(), StoreError> {
    let (old, new) = (pickle_key(old), pickle_key(new));
    let rows: Vec<(i64, String, String, String)> = tx
        .prepare("SELECT account_id, room_id, session_id, pickle FROM matrix_sessions")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut put = tx.prepare(
        "UPDATE matrix_sessions SET pickle_next = ?1
         WHERE account_id = ?2 AND room_id = ?3 AND session_id = ?4",
    )?;
    for (account, room, session, pickle) in rows {
        // A pickle that does not open is left as it is: it did not open before either.
        if let Ok(s) = RoomSession::from_pickle(&room, &pickle, &old) {
            put.execute(params![s.pickle(&new), account, room, session])?;
        }
    }
    Ok(())
}

/// After a rekey: the new pickles become the pickles.
pub(crate) fn after_rekey(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE matrix_sessions SET pickle = pickle_next, pickle_next = NULL
         WHERE pickle_next IS NOT NULL",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> RoomSession {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/matrix/matrix.json"
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
        let mut sessions = super::super::sessions::import_sessions(&list)
            .unwrap()
            .sessions;
        sessions.remove(0)
    }

    /// A rekey killed between `PRAGMA rekey` and `after_rekey` leaves the
    /// old pickle and the new one side by side: each key opens one.
    #[test]
    fn a_half_done_rekey_leaves_every_session_readable_under_either_key() {
        let dir = std::env::temp_dir().join(format!("pushseal-mxrekey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (old, new) = (StoreKey::generate(), StoreKey::generate());
        let store = Store::open(dir.join("s.db"), &old, OpenMode::ReadWrite).unwrap();
        store
            .set_matrix_account("https://m.example.org", "@b:example.org", "D")
            .unwrap();
        let s = session();
        let (room, id) = (s.room_id.clone(), s.session_id.clone());
        store
            .import_matrix_sessions("https://m.example.org", vec![s])
            .unwrap();
        store.write(|tx| before_rekey(tx, &old, &new)).unwrap();
        let (pickle, next): (String, Option<String>) = store
            .read(|tx| {
                Ok(tx.query_row(
                    "SELECT pickle, pickle_next FROM matrix_sessions WHERE session_id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        let next = next.expect("a copy under the new key");
        for key in [&old, &new] {
            let opened = unpickle(&room, &pickle, Some(&next), &pickle_key(key));
            assert_eq!(opened.map(|s| s.session_id()), Some(id.clone()));
        }
        // Without the copy, the new key alone opens nothing.
        assert!(unpickle(&room, &pickle, None, &pickle_key(&new)).is_none());
        store.write(after_rekey).unwrap();
        store.close().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
