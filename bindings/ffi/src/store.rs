//! The key store across the FFI: open with a path and the host's 32-byte
//! key, manage accounts, `pause()` before suspension, `close()` at the end.

use std::sync::Arc;
use std::time::Instant;

#[cfg(feature = "rocketchat")]
use pushseal::rocketchat::{ImportReport, KeysFile};
use pushseal::store::{OpenMode, Store, StoreKey};
use pushseal::{Password, SecretString};
use zeroize::Zeroizing;

use crate::error::PushsealError;
use crate::guard::guard;
use crate::logging::{log, LogLevel};

/// Who opens the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StoreMode {
    /// The app: creates and migrates the store, imports keys and tokens.
    ReadWrite,
    /// The notification extension / FCM handler: never writes.
    ReadOnly,
}

/// An open key store, shared by the app and its extension. Thread-safe.
///
/// Kotlin: the store is also `AutoCloseable`, whose `close()` (uniffi's)
/// only frees this handle; `closeStore()` is this type's `close()`.
#[derive(uniffi::Object)]
pub struct PushStore {
    pub(crate) inner: Arc<Store>,
}

/// What an import did. Skipped keys are counted, not named.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ImportSummary {
    pub rooms: u32,
    pub keys: u32,
    pub skipped: u32,
}

/// What a key sync did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncSummary {
    pub subscriptions: u32,
    pub encrypted_rooms: u32,
    pub import: ImportSummary,
}

/// An account as the store lists it; holds no secrets.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AccountSummary {
    pub server: String,
    pub user_id: String,
    pub has_private_key: bool,
    pub has_auth_token: bool,
    pub rooms: u32,
    pub room_keys: u32,
}

/// A fresh random store key for the host to keep in the Keychain / Keystore.
#[uniffi::export]
pub fn generate_store_key() -> Vec<u8> {
    StoreKey::generate().expose().to_vec()
}

#[uniffi::export]
impl PushStore {
    /// Opens the store at `path` (read-write: creates it) and proves `key`.
    #[uniffi::constructor]
    pub fn open(path: String, key: Vec<u8>, mode: StoreMode) -> Result<Arc<Self>, PushsealError> {
        let key = Zeroizing::new(key);
        guard("open store", || {
            let started = Instant::now();
            let key = StoreKey::from_slice(&key)?;
            let core_mode = match mode {
                StoreMode::ReadWrite => OpenMode::ReadWrite,
                StoreMode::ReadOnly => OpenMode::ReadOnly,
            };
            let opened = Store::open(&path, &key, core_mode);
            let ms = started.elapsed().as_millis();
            match &opened {
                Ok(_) => log(LogLevel::Info, || {
                    format!("store opened ({mode:?}) in {ms} ms")
                }),
                Err(e) => log(LogLevel::Warn, || {
                    format!("store open ({mode:?}) failed: {e}")
                }),
            }
            Ok(Arc::new(Self {
                inner: Arc::new(opened?),
            }))
        })
    }

    pub fn mode(&self) -> StoreMode {
        match self.inner.mode() {
            OpenMode::ReadWrite => StoreMode::ReadWrite,
            OpenMode::ReadOnly => StoreMode::ReadOnly,
        }
    }

    /// Adds the account for `server`; a different user replaces it.
    pub fn set_account(&self, server: String, user_id: String) -> Result<(), PushsealError> {
        guard("set account", || {
            Ok(self.inner.set_account(&server, &user_id)?)
        })
    }

    /// Stores the REST auth token used for fetch-on-receipt and key sync.
    pub fn set_auth_token(&self, server: String, token: String) -> Result<(), PushsealError> {
        let token = SecretString::new(token);
        guard("set auth token", || {
            Ok(self.inner.set_auth_token(&server, token)?)
        })
    }

    /// Forgets the auth token, e.g. at logout.
    pub fn clear_auth_token(&self, server: String) -> Result<(), PushsealError> {
        guard("clear auth token", || {
            Ok(self.inner.clear_auth_token(&server)?)
        })
    }

    /// Imports a KEYS.json (see README): adds the account, unlocks the
    /// private key with `password` (or the file's) and imports room keys.
    pub fn import_keys(
        &self,
        keys_json: String,
        password: Option<String>,
    ) -> Result<ImportSummary, PushsealError> {
        let keys_json = Zeroizing::new(keys_json);
        let password = password.map(Password::new);
        #[cfg(not(feature = "rocketchat"))]
        return guard("import keys", || {
            let _ = (&keys_json, &password);
            Err(without("Rocket.Chat"))
        });
        #[cfg(feature = "rocketchat")]
        guard("import keys", || {
            let file = KeysFile::parse(keys_json.as_bytes())?;
            let report = self.inner.import_keys_file(file, password)?;
            log(LogLevel::Info, || {
                format!(
                    "keys imported: {} rooms, {} keys, {} skipped",
                    report.rooms,
                    report.keys,
                    report.skipped.len()
                )
            });
            Ok(summary(&report))
        })
    }

    /// Every account with counts; no secrets. Rocket.Chat accounts first,
    /// then Matrix ones (`room_keys` counts Megolm sessions there).
    pub fn accounts(&self) -> Result<Vec<AccountSummary>, PushsealError> {
        guard("list accounts", || {
            let mut out = Vec::new();
            #[cfg(feature = "rocketchat")]
            out.extend(self.inner.info()?.into_iter().map(|a| AccountSummary {
                room_keys: count(a.rooms.iter().map(|r| r.keys).sum()),
                rooms: count(a.rooms.len()),
                server: a.server,
                user_id: a.user_id,
                has_private_key: a.has_private_key,
                has_auth_token: a.has_auth_token,
            }));
            #[cfg(feature = "matrix")]
            out.extend(
                self.inner
                    .matrix_accounts()?
                    .into_iter()
                    .map(|a| AccountSummary {
                        room_keys: count(a.rooms.iter().map(|(_, n)| n).sum()),
                        rooms: count(a.rooms.len()),
                        server: a.server,
                        user_id: a.user_id,
                        has_private_key: a.has_backup_key,
                        has_auth_token: a.has_auth_token,
                    }),
            );
            Ok(out)
        })
    }

    /// Deletes the account and everything stored for it.
    pub fn remove_account(&self, server: String) -> Result<bool, PushsealError> {
        guard("remove account", || {
            Ok(self.inner.remove_account(&server)?)
        })
    }

    /// Checkpoints and releases every file handle; the next call reopens.
    /// Call it before the app is suspended (iOS 0xdead10cc).
    pub fn pause(&self) -> Result<(), PushsealError> {
        guard("pause store", || {
            let done = self.inner.pause();
            log(LogLevel::Info, || format!("store paused{}", failure(&done)));
            Ok(done?)
        })
    }

    /// Like `pause()`, but later calls fail with `StoreClosed`.
    pub fn close(&self) -> Result<(), PushsealError> {
        guard("close store", || {
            let done = self.inner.close();
            log(LogLevel::Info, || format!("store closed{}", failure(&done)));
            Ok(done?)
        })
    }
}

/// The error for a call this build has no code for.
#[allow(dead_code)]
pub(crate) fn without(what: &str) -> PushsealError {
    PushsealError::InvalidInput(format!("this library was built without {what}"))
}

#[cfg(feature = "rocketchat")]
pub(crate) fn summary(report: &ImportReport) -> ImportSummary {
    ImportSummary {
        rooms: count(report.rooms),
        keys: count(report.keys),
        skipped: count(report.skipped.len()),
    }
}

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn failure<E: std::fmt::Display>(done: &Result<(), E>) -> String {
    match done {
        Ok(()) => String::new(),
        Err(e) => format!(" with an error: {e}"),
    }
}
