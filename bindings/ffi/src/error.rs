//! The public error: a small enum a host can act on, mapped from the core's
//! finer internal errors (application-services style). Messages carry no
//! secrets: the core's error texts never do, and nothing is added here.

use pushseal::store::StoreError;
use pushseal::Error;

/// Why a store or account call failed. In Kotlin each case is a subclass
/// of `PushsealException`; in Swift a case of `PushsealError`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
#[non_exhaustive]
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
    /// The E2E password does not unlock the private key; for Matrix, the
    /// export passphrase or the backup's recovery key is wrong.
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

/// The one place a store failure becomes a host error, whether it comes
/// from a store call or through the core's [`Error::Store`]. Only the kind
/// decides, never the text.
impl From<StoreError> for PushsealError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::WrongKey => Self::WrongKey,
            StoreError::NotFound => Self::StoreNotFound,
            StoreError::Locked => Self::StoreLocked,
            StoreError::Busy | StoreError::Conflict(_) => Self::StoreBusy(e.to_string()),
            StoreError::Closed => Self::StoreClosed,
            StoreError::ReadOnly => Self::StoreReadOnly,
            StoreError::InvalidKey(_) | StoreError::ServerTaken { .. } => {
                Self::InvalidInput(e.to_string())
            }
            StoreError::UnknownAccount(server) => Self::UnknownAccount(server),
            StoreError::Invalid(inner) => (*inner).into(),
            // Damage, schemas, SQLite failures, and kinds added later: the
            // store cannot be used as it is.
            _ => Self::StoreUnusable(e.to_string()),
        }
    }
}

impl From<Error> for PushsealError {
    fn from(e: Error) -> Self {
        let text = e.to_string();
        match e {
            Error::Store(store) => store.into(),
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
            Error::MalformedPayload(_)
            | Error::TooLarge { .. }
            | Error::BadCiphertext(_)
            | Error::BadAuthTag
            | Error::BadPadding
            | Error::BadPlaintext(_)
            | Error::UnsupportedAlgorithm(_)
            | Error::BadPrivateKey(_)
            | Error::BadRoomKey(_) => Self::InvalidInput(text),
            // A panic, or a kind this binding does not know yet.
            _ => Self::Internal(text),
        }
    }
}

/// Matrix key formats: a wrong secret is `WrongPassword`, anything else
/// the host handed over is `InvalidInput`.
#[cfg(feature = "matrix")]
impl From<pushseal::matrix::Error> for PushsealError {
    fn from(e: pushseal::matrix::Error) -> Self {
        use pushseal::matrix::Error as M;
        match e {
            M::BadPassphrase | M::PublicKeyMismatch => Self::WrongPassword,
            _ => Self::InvalidInput(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a host error is the expected one.
    type Want = fn(&PushsealError) -> bool;

    /// Every store kind, straight from a store call and through the core's
    /// `Error::Store` (as key syncs and fetches report it), maps the same.
    #[test]
    fn store_errors_keep_their_kind_by_either_route() {
        use PushsealError as P;
        let cases: Vec<(StoreError, Want)> = vec![
            (StoreError::WrongKey, |p| matches!(p, P::WrongKey)),
            (StoreError::NotFound, |p| matches!(p, P::StoreNotFound)),
            (StoreError::Locked, |p| matches!(p, P::StoreLocked)),
            (StoreError::Busy, |p| matches!(p, P::StoreBusy(_))),
            (StoreError::Conflict("x"), |p| matches!(p, P::StoreBusy(_))),
            (StoreError::Closed, |p| matches!(p, P::StoreClosed)),
            (StoreError::ReadOnly, |p| matches!(p, P::StoreReadOnly)),
            (StoreError::InvalidKey("short"), |p| {
                matches!(p, P::InvalidInput(_))
            }),
            (
                StoreError::UnknownAccount("https://a.example".into()),
                |p| matches!(p, P::UnknownAccount(s) if s == "https://a.example"),
            ),
            (StoreError::from(Error::WrongPassword), |p| {
                matches!(p, P::WrongPassword)
            }),
            (StoreError::Unreadable("io".into()), |p| {
                matches!(p, P::StoreUnusable(_))
            }),
            (
                StoreError::Corrupt("damage".into()),
                |p| matches!(p, P::StoreUnusable(m) if m.contains("damage")),
            ),
            (
                StoreError::SchemaTooNew {
                    found: 9,
                    supported: 1,
                },
                |p| matches!(p, P::StoreUnusable(m) if m.contains("schema 9")),
            ),
            (
                StoreError::NotMigrated {
                    found: 1,
                    supported: 2,
                },
                |p| matches!(p, P::StoreUnusable(_)),
            ),
            (
                StoreError::Migration {
                    version: 2,
                    detail: "x".into(),
                },
                |p| matches!(p, P::StoreUnusable(_)),
            ),
            (
                StoreError::Sqlite {
                    code: 13,
                    message: "full".into(),
                },
                |p| matches!(p, P::StoreUnusable(_)),
            ),
        ];
        for (store, want) in cases {
            let direct = PushsealError::from(store.clone());
            assert!(want(&direct), "{store:?} became {direct:?}");
            let via_core = PushsealError::from(Error::from(store.clone()));
            assert!(want(&via_core), "{store:?} via Error became {via_core:?}");
        }
    }

    #[test]
    fn core_errors_map_to_what_a_host_can_do() {
        use PushsealError as P;
        let server = "https://chat.example.org".to_owned();
        let cases: Vec<(Error, Want)> = vec![
            (Error::WrongPassword, |p| matches!(p, P::WrongPassword)),
            (Error::NoPrivateKey, |p| matches!(p, P::NoPrivateKey(_))),
            (
                Error::UnknownServer(server.clone()),
                |p| matches!(p, P::UnknownAccount(s) if s == "https://chat.example.org"),
            ),
            (
                Error::NotLoggedIn(server.clone()),
                |p| matches!(p, P::NotLoggedIn(s) if s == "https://chat.example.org"),
            ),
            (Error::Unauthorized("x".into()), |p| {
                matches!(p, P::Unauthorized(_))
            }),
            (Error::NotFound("x".into()), |p| matches!(p, P::NotFound(_))),
            (
                Error::NoRoomKey {
                    rid: "r".into(),
                    kid: "k".into(),
                },
                |p| matches!(p, P::NotFound(_)),
            ),
            (Error::Network("x".into()), |p| matches!(p, P::Network(_))),
            (Error::Tls("x".into()), |p| matches!(p, P::Tls(_))),
            (Error::Timeout("x".into()), |p| matches!(p, P::Timeout(_))),
            (
                Error::Server {
                    status: 503,
                    message: "down".into(),
                },
                |p| matches!(p, P::Server(m) if m.contains("503")),
            ),
            (Error::BadResponse("x".into()), |p| {
                matches!(p, P::Server(_))
            }),
            (Error::Internal("panic".into()), |p| {
                matches!(p, P::Internal(_))
            }),
            (Error::Store(StoreError::Busy), |p| {
                matches!(p, P::StoreBusy(_))
            }),
            (Error::Store(StoreError::ReadOnly), |p| {
                matches!(p, P::StoreReadOnly)
            }),
        ];
        for (core, want) in cases {
            let text = core.to_string();
            let ours = PushsealError::from(core);
            assert!(want(&ours), "{text} became {ours:?}");
        }
        for input in [
            Error::MalformedPayload("x".into()),
            Error::TooLarge {
                what: "push",
                limit: 1,
            },
            Error::BadCiphertext("x".into()),
            Error::BadAuthTag,
            Error::BadPadding,
            Error::BadPlaintext("x".into()),
            Error::UnsupportedAlgorithm("x".into()),
            Error::BadPrivateKey("x".into()),
            Error::BadRoomKey("x".into()),
        ] {
            let text = input.to_string();
            assert!(
                matches!(PushsealError::from(input), P::InvalidInput(ref m) if *m == text),
                "{text}"
            );
        }
    }
}
