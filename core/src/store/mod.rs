//! The encrypted key store: one SQLCipher file that the app and its
//! notification extension (or FCM handler) share. Design and threat model:
//! `docs/store.md`.
//!
//! - **Opening** takes a raw 256-bit [`StoreKey`] that the host keeps in
//!   the iOS Keychain or the Android Keystore; no passphrase KDF runs. A
//!   wrong key is [`StoreError::WrongKey`]; the store never falls back to
//!   plaintext.
//! - **The app** opens [`OpenMode::ReadWrite`]: it imports keys and tokens
//!   in short `BEGIN IMMEDIATE` transactions, and calls [`Store::pause`]
//!   before it is suspended, so iOS finds no file lock held (0xdead10cc).
//! - **The extension** opens [`OpenMode::ReadOnly`], which never writes,
//!   and decrypts with the store as its key source. Nothing is cached in
//!   memory across calls, so it sees the app's latest committed writes.
//!
//! ```
//! use pushseal::store::{OpenMode, Store, StoreKey};
//!
//! let dir = std::env::temp_dir().join(format!("pushseal-doc-n-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("store.db");
//! // The host makes this once and keeps it in the Keychain / Keystore.
//! let key = StoreKey::generate();
//!
//! // The app, after login:
//! let app = Store::open(&path, &key, OpenMode::ReadWrite)?;
//! app.set_account("https://Chat.Example.org/", "aliceUserId")?;
//! app.set_auth_token("https://chat.example.org", "token-from-login".into())?;
//! app.pause()?; // before suspension: WAL checkpointed, every file closed
//!
//! // The notification extension, in its own process:
//! let nse = Store::open(&path, &key, OpenMode::ReadOnly)?;
//! let (user, _token) = nse.auth("https://chat.example.org")?.expect("logged in");
//! assert_eq!(user, "aliceUserId");
//! nse.close()?;
//! app.close()?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Each protocol keeps its own tables through `impl Store` blocks of its
//! own (`rocketchat::store`, `matrix`'s `tables.rs`), registered in
//! `core/src/protocols.rs`.

pub(crate) mod accounts;
mod connection;
mod create;
mod error;
mod header;
mod key;
pub(crate) mod schema;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use zeroize::Zeroizing;

pub use connection::{BUSY_TIMEOUT, PLAINTEXT_HEADER_BYTES};
pub use error::StoreError;
pub use key::{StoreKey, STORE_KEY_BYTES};
pub use schema::{Component, SCHEMA_VERSION};

/// How long [`Store::pause`] waits for other processes' readers before it
/// closes anyway: a suspending app has little time.
const PAUSE_CHECKPOINT_TIMEOUT: Duration = Duration::from_millis(500);

/// Who opens the store, and so what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// The app: creates the file if missing, migrates the schema, writes.
    ReadWrite,
    /// The notification extension: the file must exist at the current
    /// schema; nothing is ever written to the database.
    ReadOnly,
}

/// An open key store. It is `Send + Sync`: calls from several threads
/// take turns on one connection, each in its own short transaction.
pub struct Store {
    path: PathBuf,
    mode: OpenMode,
    state: Mutex<State>,
}

struct State {
    key: StoreKey,
    /// `None` after [`Store::pause`]: the next call reopens.
    conn: Option<Connection>,
    closed: bool,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (read-write: creates) the store at `path` and proves the key.
    ///
    /// Errors: [`StoreError::WrongKey`]; [`StoreError::NotFound`] when a
    /// read-only open finds no file (or a read-write open no folder);
    /// [`StoreError::Locked`] when the OS refuses access (iOS before the
    /// first unlock); [`StoreError::Corrupt`] for a file that is not a
    /// pushseal store; [`StoreError::NotMigrated`] when a read-only open
    /// finds an older schema; [`StoreError::Busy`].
    pub fn open(
        path: impl AsRef<Path>,
        key: &StoreKey,
        mode: OpenMode,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = connection::open(&path, key, mode)?;
        Ok(Self {
            path,
            mode,
            state: Mutex::new(State {
                key: key.clone(),
                conn: Some(conn),
                closed: false,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn mode(&self) -> OpenMode {
        self.mode
    }

    /// Checkpoints the WAL into the database (read-write only), truncates
    /// it, and closes every file handle. The next call reopens lazily.
    /// Call it before the app is suspended. A checkpoint that cannot run
    /// is not an error: committed writes are safe in the WAL.
    pub fn pause(&self) -> Result<(), StoreError> {
        let conn = self.lock().conn.take();
        match conn {
            Some(conn) => self.release(conn),
            None => Ok(()),
        }
    }

    /// Like [`Store::pause`], but later calls fail with [`StoreError::Closed`].
    pub fn close(&self) -> Result<(), StoreError> {
        let conn = {
            let mut state = self.lock();
            state.closed = true;
            state.conn.take()
        };
        match conn {
            Some(conn) => self.release(conn),
            None => Ok(()),
        }
    }

    /// Every write was committed to the WAL when its call returned, so a
    /// checkpoint that fails here (a full disk, a reader in the way) loses
    /// nothing: the pages stay in the WAL and the next open finds them.
    /// Reporting it would tell the caller that saved writes failed.
    fn release(&self, conn: Connection) -> Result<(), StoreError> {
        if self.mode == OpenMode::ReadWrite {
            let _ = checkpoint(&conn, PAUSE_CHECKPOINT_TIMEOUT);
        }
        // Close even when the checkpoint failed: releasing the file locks
        // is what keeps iOS from killing a suspended app.
        conn.close().map_err(|(_, e)| StoreError::from(e))
    }

    /// Re-encrypts the whole store under `new_key` (read-write only). The
    /// plaintext header stays. Other processes must reopen with the new key;
    /// until they do, their reads fail with [`StoreError::WrongKey`].
    ///
    /// Keep the new key where the host will find it *before* calling this
    /// (docs/store.md, "Rekey"): a crash right after the rekey commits
    /// leaves a store only the new key opens.
    pub fn rekey(&self, new_key: &StoreKey) -> Result<(), StoreError> {
        self.writable()?;
        let old_key = self.key();
        self.with_conn(|conn| {
            // Protocols that encrypt under keys derived from the store key
            // prepare copies under the new one first (crate::protocols).
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            crate::protocols::before_rekey(&tx, &old_key, new_key)?;
            tx.commit()?;
            checkpoint(conn, BUSY_TIMEOUT)?;
            let sql = Zeroizing::new(format!(
                "PRAGMA rekey = \"{}\";",
                new_key.sqlcipher_keyspec().as_str()
            ));
            conn.execute_batch(&sql)
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Busy => StoreError::Busy,
                    _ => StoreError::Sqlite {
                        code: 1,
                        message: "rekey failed".into(),
                    },
                })?;
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            crate::protocols::after_rekey(&tx)?;
            tx.commit()?;
            checkpoint(conn, BUSY_TIMEOUT)
        })?;
        self.lock().key = new_key.clone();
        Ok(())
    }

    /// Runs SQLite's `integrity_check` and SQLCipher's page HMAC check over
    /// the whole file; [`StoreError::Corrupt`] lists what they found.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        self.with_conn(|conn| {
            let mut problems = Vec::new();
            for pragma in ["PRAGMA integrity_check", "PRAGMA cipher_integrity_check"] {
                let mut stmt = conn.prepare(pragma)?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                for row in rows {
                    let row = row?;
                    if row != "ok" {
                        problems.push(row);
                    }
                }
            }
            match problems.is_empty() {
                true => Ok(()),
                false => Err(StoreError::Corrupt(problems.join("; "))),
            }
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic cannot leave the state half-changed (each field is set
        // in one step), so a poisoned lock is still safe to use.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store key, for protocols that derive keys of their own from it.
    pub(crate) fn key(&self) -> StoreKey {
        self.lock().key.clone()
    }

    fn writable(&self) -> Result<(), StoreError> {
        match self.mode {
            OpenMode::ReadWrite => Ok(()),
            OpenMode::ReadOnly => Err(StoreError::ReadOnly),
        }
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut guard = self.lock();
        let State { key, conn, closed } = &mut *guard;
        if *closed {
            return Err(StoreError::Closed);
        }
        let was_open = conn.is_some();
        let live = match conn {
            Some(live) => live,
            None => conn.insert(connection::open(&self.path, key, self.mode)?),
        };
        let result = f(live);
        if was_open && matches!(result, Err(StoreError::Corrupt(_) | StoreError::WrongKey)) {
            // Pages that fail SQLCipher's HMAC on a live connection mean
            // damage, or another process rekeyed the file; a fresh open
            // tells which. Either way the old connection is done.
            *conn = None;
            match connection::open(&self.path, key, self.mode) {
                Ok(fresh) => *conn = Some(fresh),
                Err(StoreError::WrongKey) => return Err(StoreError::WrongKey),
                Err(_) => {}
            }
        }
        result
    }

    /// Runs `f` in one read transaction: a consistent snapshot of the
    /// latest committed state, whichever process committed it.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: the write lock is
    /// taken up front, so the transaction never fails half-way on
    /// SQLITE_BUSY, and it commits or leaves no trace.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.writable()?;
        self.with_conn(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

/// Keys a raw connection, for migration tests that build old schemas.
#[cfg(all(test, feature = "rocketchat"))]
pub(crate) fn apply_key(conn: &Connection, key: &StoreKey) -> Result<(), StoreError> {
    connection::apply_key(conn, key)
}

/// `PRAGMA wal_checkpoint(TRUNCATE)`, waiting at most `timeout` for readers.
/// A reader that stays longer leaves the WAL in place, which is harmless.
fn checkpoint(conn: &Connection, timeout: Duration) -> Result<(), StoreError> {
    conn.busy_timeout(timeout)?;
    let done = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    conn.busy_timeout(BUSY_TIMEOUT)?;
    done?;
    Ok(())
}
