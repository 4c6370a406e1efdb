//! What can go wrong with the key store, typed so the host can react: ask
//! the Keychain again (`WrongKey`), wait for the first unlock (`Locked`),
//! retry later (`Busy`), or show a generic notification.

use rusqlite::ErrorCode;
use thiserror::Error;

use crate::error::Error;

/// A key-store failure. Messages never contain key material, tokens, room
/// keys or message text.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The file is a SQLCipher store, but not one this key opens.
    #[error("wrong store key")]
    WrongKey,
    /// No store at this path (read-only open), or its folder does not exist.
    #[error("no key store at this path")]
    NotFound,
    /// The file exists but may not be read now: no permission, or iOS data
    /// protection before the first unlock after a reboot.
    #[error("key store is locked: no permission or the device is locked")]
    Locked,
    /// Another connection held the database lock longer than the busy timeout.
    #[error("key store is busy: another process holds its lock")]
    Busy,
    /// The file could not be opened or read for another reason.
    #[error("key store is unreadable: {0}")]
    Unreadable(String),
    /// The file is damaged or is not a pushseal store: a bad clear header,
    /// a truncated file, pages that fail their HMAC under the right key.
    /// Asking the Keychain again will not help; restore or re-create it.
    #[error("key store is damaged: {0}")]
    Corrupt(String),
    /// The disk is full. A write that failed with this left no trace;
    /// what was committed before is intact.
    #[error("key store cannot be written: the disk is full")]
    DiskFull,
    /// The store was written by a newer pushseal; this build cannot read it.
    #[error("key store schema {found} is newer than this build's {supported}")]
    SchemaTooNew { found: u32, supported: u32 },
    /// A read-only open found a store that a read-write open must upgrade first.
    #[error("key store schema {found} needs migrating to {supported}: open it read-write once")]
    NotMigrated { found: u32, supported: u32 },
    /// Upgrading the schema to `version` failed; the store is unchanged.
    #[error("key store migration to schema {version} failed: {detail}")]
    Migration { version: u32, detail: String },
    /// A write was asked of a store opened with [`super::OpenMode::ReadOnly`].
    #[error("key store is open read-only")]
    ReadOnly,
    /// The store was closed with [`super::Store::close`].
    #[error("key store is closed")]
    Closed,
    /// A store key that is not 32 bytes / 64 hex digits.
    #[error("invalid store key: {0}")]
    InvalidKey(&'static str),
    /// Another writer changed what this call was based on; try again.
    #[error("key store changed during the call: {0}")]
    Conflict(&'static str),
    /// No account for this server in the store.
    #[error("no account for server {0} in the key store")]
    UnknownAccount(String),
    /// The server already has an account of another protocol; remove that
    /// account first. The store is unchanged.
    #[error("server {server} already has a {protocol} account in the key store; remove it first")]
    ServerTaken { server: String, protocol: String },
    /// The input was rejected before it reached the store: a bad server URL,
    /// a wrong E2E password, a private key that does not parse.
    /// Boxed: [`Error::Store`] holds a `StoreError` in turn.
    #[error(transparent)]
    Invalid(Box<Error>),
    /// Any other SQLite failure, with its extended result code.
    #[error("SQLite error {code}: {message}")]
    Sqlite { code: i32, message: String },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        let rusqlite::Error::SqliteFailure(failure, message) = &e else {
            // Conversion errors: a row does not have the shape the schema
            // promises. The rusqlite text names columns and types, not values.
            return Self::Corrupt(format!("unexpected row: {e}"));
        };
        match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Self::Busy,
            ErrorCode::PermissionDenied | ErrorCode::AuthorizationForStatementDenied => {
                Self::Locked
            }
            ErrorCode::DatabaseCorrupt => Self::Corrupt("SQLite reports damage".into()),
            ErrorCode::DiskFull => Self::DiskFull,
            // Only a read-write connection writes; SQLITE_READONLY there
            // means the OS refused to let the file be written.
            ErrorCode::ReadOnly => Self::Locked,
            // Before a key check this means garbage; the opener refines it.
            ErrorCode::NotADatabase => Self::WrongKey,
            ErrorCode::CannotOpen | ErrorCode::SystemIoFailure => {
                Self::Unreadable(format!("SQLite I/O error {}", failure.extended_code))
            }
            _ => Self::Sqlite {
                code: failure.extended_code,
                message: message.clone().unwrap_or_else(|| failure.to_string()),
            },
        }
    }
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        Self::Corrupt(format!("unexpected column value: {e}"))
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        Self::Invalid(Box::new(e))
    }
}

/// Store failures reach decryption as [`Error::Store`]; an unknown account
/// and rejected input keep their own core error.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownAccount(server) => Error::UnknownServer(server),
            StoreError::Invalid(inner) => *inner,
            other => Error::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_map_to_types() {
        let fail =
            |code: i32| rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        assert_eq!(StoreError::from(fail(5)), StoreError::Busy);
        assert_eq!(StoreError::from(fail(26)), StoreError::WrongKey);
        assert_eq!(StoreError::from(fail(3)), StoreError::Locked);
        assert!(matches!(StoreError::from(fail(11)), StoreError::Corrupt(_)));
        assert_eq!(StoreError::from(fail(13)), StoreError::DiskFull);
        assert!(matches!(
            StoreError::from(fail(14)),
            StoreError::Unreadable(_)
        ));
    }

    #[test]
    fn core_error_keeps_account_errors() {
        assert_eq!(
            Error::from(StoreError::UnknownAccount("https://a.example".into())),
            Error::UnknownServer("https://a.example".into())
        );
        assert_eq!(
            Error::from(StoreError::WrongKey),
            Error::Store(StoreError::WrongKey)
        );
        let busy = Error::from(StoreError::Busy);
        assert_eq!(
            busy.to_string(),
            "key store: key store is busy: another process holds its lock"
        );
        let source = std::error::Error::source(&busy).map(ToString::to_string);
        assert_eq!(source, Some(StoreError::Busy.to_string()));
        assert_eq!(
            Error::from(StoreError::from(Error::WrongPassword)),
            Error::WrongPassword
        );
    }
}
