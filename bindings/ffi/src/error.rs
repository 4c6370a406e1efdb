//! The public error: a small enum a host can act on, mapped from the core's
//! finer internal errors (application-services style). Messages carry no
//! secrets: the core's error texts never do, and nothing is added here.

use pushseal::store::StoreError;
use pushseal::Error;

/// Why a store or account call failed. In Kotlin each case is a subclass
/// of `PushsealException`; in Swift a case of `PushsealError`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum PushsealError {
    /// The store key does not open this store: ask the Keychain/Keystore again.
    #[error("wrong store key")]
    WrongKey,
    /// No store at this path (read-only open), or its folder is missing.
    #[error("no key store at this path")]
    StoreNotFound,
    /// The OS refused access: no permission, or iOS before the first unlock.
    #[error("key store is locked")]
    StoreLocked,
    /// Another process held the store's lock too long; try again.
    #[error("key store is busy: {0}")]
    StoreBusy(String),
    /// The store was closed with `close()`.
    #[error("key store is closed")]
    StoreClosed,
    /// A write was asked of a store opened read-only (the extension's).
    #[error("key store is open read-only")]
    StoreReadOnly,
    /// The store is damaged, from another app, or of a schema this build
    /// cannot use.
    #[error("key store is unusable: {0}")]
    StoreUnusable(String),
    /// Bad arguments: a key that is not 32 bytes, a malformed keys file or
    /// server URL, key material that does not parse.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The E2E password does not unlock the private key.
    #[error("wrong E2E password")]
    WrongPassword,
    /// The account has no private key, or no password was given to unlock it.
    #[error("no private key: {0}")]
    NoPrivateKey(String),
    /// No account for this server in the store.
    #[error("no account for server {0}")]
    UnknownAccount(String),
    /// No auth token is stored for the server: log in first.
    #[error("not logged in to {0}")]
    NotLoggedIn(String),
    /// The server refused the stored credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The server does not have what was asked for.
    #[error("not found: {0}")]
    NotFound(String),
    /// The server could not be reached.
    #[error("network: {0}")]
    Network(String),
    /// The server's certificate was not trusted or did not match a pin.
    #[error("TLS: {0}")]
    Tls(String),
    /// The deadline passed first.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The server answered with an error or with something unexpected.
    #[error("server: {0}")]
    Server(String),
    /// A bug in pushseal (a caught panic, a lost thread); please report it.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for PushsealError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongKey => Self::WrongKey,
            StoreError::NotFound => Self::StoreNotFound,
            StoreError::Locked => Self::StoreLocked,
            StoreError::Busy | StoreError::Conflict(_) => Self::StoreBusy(e.to_string()),
            StoreError::Closed => Self::StoreClosed,
            StoreError::ReadOnly => Self::StoreReadOnly,
            StoreError::InvalidKey(_) => Self::InvalidInput(e.to_string()),
            StoreError::UnknownAccount(server) => Self::UnknownAccount(server),
            StoreError::Invalid(inner) => inner.into(),
            StoreError::Unreadable(_)
            | StoreError::Corrupt(_)
            | StoreError::DiskFull
            | StoreError::SchemaTooNew { .. }
            | StoreError::NotMigrated { .. }
            | StoreError::Migration { .. }
            | StoreError::Sqlite { .. } => Self::StoreUnusable(e.to_string()),
        }
    }
}

impl From<Error> for PushsealError {
    fn from(e: Error) -> Self {
        let text = e.to_string();
        match e {
            Error::WrongPassword => Self::WrongPassword,
            Error::NoPrivateKey => Self::NoPrivateKey(text),
            Error::UnknownServer(server) => Self::UnknownAccount(server),
            Error::NotLoggedIn(server) => Self::NotLoggedIn(server),
            Error::Unauthorized(_) => Self::Unauthorized(text),
            Error::NotFound(_) | Error::NoRoomKey { .. } => Self::NotFound(text),
            Error::Network(_) => Self::Network(text),
            Error::Tls(_) => Self::Tls(text),
            Error::Timeout(_) => Self::Timeout(text),
            Error::Server { .. } | Error::BadResponse(_) => Self::Server(text),
            // The network layer reports store failures as text only.
            Error::Store(_) => Self::StoreUnusable(text),
            Error::MalformedPayload(_)
            | Error::TooLarge { .. }
            | Error::BadCiphertext(_)
            | Error::BadAuthTag
            | Error::BadPadding
            | Error::BadPlaintext(_)
            | Error::UnsupportedAlgorithm(_)
            | Error::BadPrivateKey(_)
            | Error::BadRoomKey(_) => Self::InvalidInput(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_keep_their_kind() {
        assert!(matches!(
            PushsealError::from(StoreError::WrongKey),
            PushsealError::WrongKey
        ));
        assert!(matches!(
            PushsealError::from(StoreError::ReadOnly),
            PushsealError::StoreReadOnly
        ));
        assert!(matches!(
            PushsealError::from(StoreError::Busy),
            PushsealError::StoreBusy(_)
        ));
        assert!(matches!(
            PushsealError::from(StoreError::Invalid(Error::WrongPassword)),
            PushsealError::WrongPassword
        ));
        assert!(matches!(
            PushsealError::from(StoreError::SchemaTooNew { found: 9, supported: 1 }),
            PushsealError::StoreUnusable(m) if m.contains("schema 9")
        ));
    }

    #[test]
    fn core_errors_map_to_what_a_host_can_do() {
        let server = "https://chat.example.org".to_owned();
        assert!(matches!(
            PushsealError::from(Error::NotLoggedIn(server.clone())),
            PushsealError::NotLoggedIn(s) if s == server
        ));
        assert!(matches!(
            PushsealError::from(Error::Timeout("x".into())),
            PushsealError::Timeout(_)
        ));
        assert!(matches!(
            PushsealError::from(Error::Server { status: 503, message: "down".into() }),
            PushsealError::Server(m) if m.contains("503")
        ));
        assert!(matches!(
            PushsealError::from(Error::BadPadding),
            PushsealError::InvalidInput(_)
        ));
    }
}
