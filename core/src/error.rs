//! The core's internal error type. The public outcome model
//! ([`crate::FailureReason`]) is a small, stable projection of it.

use thiserror::Error;

use crate::store::StoreError;

/// Everything that can go wrong inside the core. Messages carry no secrets:
/// no key material, no plaintext, no ciphertext.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    #[error("malformed payload: {0}")]
    MalformedPayload(String),
    #[error("input too large: {what} exceeds {limit} bytes")]
    TooLarge { what: &'static str, limit: usize },
    #[error("bad ciphertext: {0}")]
    BadCiphertext(String),
    #[error("authentication tag mismatch (tampered data or wrong key)")]
    BadAuthTag,
    #[error("bad padding (tampered data or wrong key)")]
    BadPadding,
    #[error("decrypted data is not a message: {0}")]
    BadPlaintext(String),
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    #[error("no account for server {0}")]
    UnknownServer(String),
    #[error("no private key: unlock the account first")]
    NoPrivateKey,
    #[error("no room key for room {rid} and key id {kid}")]
    NoRoomKey { rid: String, kid: String },
    #[error("wrong E2E password")]
    WrongPassword,
    #[error("bad private key: {0}")]
    BadPrivateKey(String),
    #[error("bad room key: {0}")]
    BadRoomKey(String),
    /// A key-store failure, with its kind kept so hosts can react to it.
    #[error("key store: {0}")]
    Store(#[source] StoreError),
    #[error("not logged in to {0}: no auth token stored")]
    NotLoggedIn(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("network: {0}")]
    Network(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("server error (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("bad response: {0}")]
    BadResponse(String),
    /// A bug in pushseal: a panic on the network thread, a poisoned lock.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        Self::MalformedPayload(msg.into())
    }

    #[cfg_attr(not(feature = "rocketchat"), allow(dead_code))]
    pub(crate) fn ciphertext(msg: impl Into<String>) -> Self {
        Self::BadCiphertext(msg.into())
    }
}
