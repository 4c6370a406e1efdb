//! What a push becomes: a notification to show, or a typed reason it could
//! not be decrypted, always with text that is safe to show. Nothing here is
//! specific to Rocket.Chat, so other protocols can return the same types.

use crate::error::Error;
use crate::secret::SecretString;

/// Title used when the push says nothing better.
pub const FALLBACK_TITLE: &str = "New message";
/// Body shown when an encrypted message cannot be decrypted.
pub const FALLBACK_BODY_ENCRYPTED: &str = "Encrypted message";
/// Body shown when the message must be fetched and was not (yet), and
/// for a message or alert with no text to show.
pub const FALLBACK_BODY_NEW: &str = "You have a new message";

/// The chat protocol a notification came from. Not feature-gated, so a
/// host's code that matches on it builds with any set of protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    RocketChat,
    Matrix,
}

impl Protocol {
    /// `rocketchat` or `matrix`, for JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RocketChat => "rocketchat",
            Self::Matrix => "matrix",
        }
    }
}

/// The kind of room. Each protocol maps its own room types onto these;
/// `Other` keeps a type the protocol names but pushseal does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoomKind {
    Direct,
    PrivateGroup,
    PublicChannel,
    Omnichannel,
    Other(String),
}

/// Who sent the message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    pub id: Option<String>,
    pub username: Option<String>,
    pub display_name: Option<String>,
}

/// Where a push came from; known as far as the push could be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// Normalised server URL, e.g. `https://chat.example.org`.
    pub server: Option<String>,
    pub room_id: Option<String>,
    pub room_kind: Option<RoomKind>,
    pub room_name: Option<String>,
    pub sender: Option<Sender>,
    pub message_id: Option<String>,
    /// The thread parent, when the message is a thread reply.
    pub thread_id: Option<String>,
    /// The push's notification id (`notId`), constant per room; hosts use
    /// it to group or replace notifications.
    pub notification_id: Option<i64>,
}

/// Which room key opened a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsed {
    pub key_id: String,
    /// Message format and key cipher, e.g. `rc.v2.aes-sha2+A256GCM` or
    /// `m.megolm.v1.aes-sha2`.
    pub algorithm: String,
    /// False when an old (rotated-out) key was needed.
    pub current: bool,
    /// The ratchet index the message was encrypted at (Megolm); `None` for
    /// protocols without one (Rocket.Chat).
    pub message_index: Option<u32>,
}

/// A notification ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub protocol: Protocol,
    pub context: Context,
    pub title: String,
    /// The text to show: the decrypted message for encrypted pushes, the
    /// server's alert text otherwise. Never blank: a message or alert that
    /// is empty or only whitespace gets [`FALLBACK_BODY_NEW`], and the
    /// outcome keeps its status (a blank message that decrypted is still
    /// `decrypted`, with the key that opened it).
    pub body: SecretString,
    /// Set for decrypted messages.
    pub key: Option<KeyUsed>,
}

/// Why a message has to be fetched from the server first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchReason {
    /// The push carries only the message id (privacy mode).
    IdOnly,
    /// An encrypted push without its ciphertext (servers up to 6.14).
    MissingCiphertext,
}

impl FetchReason {
    /// `id_only` or `missing_ciphertext`, for JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdOnly => "id_only",
            Self::MissingCiphertext => "missing_ciphertext",
        }
    }
}

/// A push that needs the message fetched from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub protocol: Protocol,
    pub context: Context,
    pub reason: FetchReason,
    /// What to show if the fetch does not happen in time.
    pub fallback_title: String,
    pub fallback_body: String,
}

/// Why decryption failed. Stable, with snake_case names for JSON and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// The push or message could not be read at all.
    MalformedPayload,
    /// No account for the push's server in the key store.
    UnknownServer,
    /// The account has no usable private key (not unlocked yet).
    NoPrivateKey,
    /// No room key for this room and key id.
    NoRoomKey,
    /// The room key is known only from a later message index than the
    /// message's (Megolm).
    UnknownMessageIndex,
    /// The decrypted message names another room than the one it came in.
    RoomMismatch,
    /// The same key and message index were already seen under another
    /// message id.
    ReplayedMessage,
    /// The message was redacted (deleted): nothing to decrypt.
    Redacted,
    /// Ciphertext or IV is not decodable or has an impossible length.
    BadCiphertext,
    /// AES-GCM authentication failed: tampered data or the wrong key.
    BadAuthTag,
    /// AES-CBC padding is wrong: tampered data or the wrong key.
    BadPadding,
    /// Decryption worked but the result is not a message.
    BadPlaintext,
    /// The message uses an algorithm pushseal does not implement.
    UnsupportedAlgorithm,
    /// The key store could not be read.
    StoreError,
    /// No auth token is stored for the server: log in first.
    NotLoggedIn,
    /// The server refused the stored credentials (401/403).
    Unauthorized,
    /// The server does not have the message or room (any more).
    NotFound,
    /// The server could not be reached, or the request was refused locally.
    Network,
    /// The server's certificate was not trusted or did not match a pin.
    Tls,
    /// The deadline passed before the server answered.
    Timeout,
    /// The server answered with an error status (5xx, 429, 400).
    ServerError,
    /// The server answered, but not with what Rocket.Chat sends.
    BadResponse,
    /// A bug in pushseal (a panic on the network thread); please report it.
    Internal,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedPayload => "malformed_payload",
            Self::UnknownServer => "unknown_server",
            Self::NoPrivateKey => "no_private_key",
            Self::NoRoomKey => "no_room_key",
            Self::UnknownMessageIndex => "unknown_message_index",
            Self::RoomMismatch => "room_mismatch",
            Self::ReplayedMessage => "replayed_message",
            Self::Redacted => "redacted",
            Self::BadCiphertext => "bad_ciphertext",
            Self::BadAuthTag => "bad_auth_tag",
            Self::BadPadding => "bad_padding",
            Self::BadPlaintext => "bad_plaintext",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::StoreError => "store_error",
            Self::NotLoggedIn => "not_logged_in",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::Network => "network",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::ServerError => "server_error",
            Self::BadResponse => "bad_response",
            Self::Internal => "internal",
        }
    }
}

impl From<&Error> for FailureReason {
    fn from(e: &Error) -> Self {
        match e {
            Error::MalformedPayload(_) | Error::TooLarge { .. } => Self::MalformedPayload,
            Error::BadCiphertext(_) => Self::BadCiphertext,
            Error::BadAuthTag => Self::BadAuthTag,
            Error::BadPadding => Self::BadPadding,
            Error::BadPlaintext(_) => Self::BadPlaintext,
            Error::UnsupportedAlgorithm(_) => Self::UnsupportedAlgorithm,
            Error::UnknownServer(_) => Self::UnknownServer,
            Error::NoPrivateKey | Error::WrongPassword | Error::BadPrivateKey(_) => {
                Self::NoPrivateKey
            }
            Error::NoRoomKey { .. } | Error::BadRoomKey(_) => Self::NoRoomKey,
            Error::Store(_) => Self::StoreError,
            Error::NotLoggedIn(_) => Self::NotLoggedIn,
            Error::Unauthorized(_) => Self::Unauthorized,
            Error::NotFound(_) => Self::NotFound,
            Error::Network(_) => Self::Network,
            Error::Tls(_) => Self::Tls,
            Error::Timeout(_) => Self::Timeout,
            Error::Server { .. } => Self::ServerError,
            Error::BadResponse(_) => Self::BadResponse,
            Error::Internal(_) => Self::Internal,
        }
    }
}

/// A push that could not be turned into a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub protocol: Protocol,
    pub reason: FailureReason,
    /// A technical, secret-free explanation for logs and debugging.
    pub detail: String,
    pub context: Context,
    /// The key id the message asked for, when known.
    pub key_id: Option<String>,
    /// Safe text to show instead: never ciphertext, never garbage.
    pub fallback_title: String,
    pub fallback_body: String,
}

/// The result of handling one push.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    Decrypted(Notification),
    NotEncrypted(Notification),
    NeedsFetch(FetchRequest),
    Failed(Failure),
}

impl Outcome {
    /// `decrypted`, `not_encrypted`, `needs_fetch` or `failed`.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Decrypted(_) => "decrypted",
            Self::NotEncrypted(_) => "not_encrypted",
            Self::NeedsFetch(_) => "needs_fetch",
            Self::Failed(_) => "failed",
        }
    }

    /// The title and body to show, whatever the outcome.
    pub fn display(&self) -> (&str, &str) {
        match self {
            Self::Decrypted(n) | Self::NotEncrypted(n) => (&n.title, n.body.expose()),
            Self::NeedsFetch(f) => (&f.fallback_title, &f.fallback_body),
            Self::Failed(f) => (&f.fallback_title, &f.fallback_body),
        }
    }

    pub fn context(&self) -> &Context {
        match self {
            Self::Decrypted(n) | Self::NotEncrypted(n) => &n.context,
            Self::NeedsFetch(f) => &f.context,
            Self::Failed(f) => &f.context,
        }
    }

    /// The protocol the push belongs to.
    pub fn protocol(&self) -> Protocol {
        match self {
            Self::Decrypted(n) | Self::NotEncrypted(n) => n.protocol,
            Self::NeedsFetch(f) => f.protocol,
            Self::Failed(f) => f.protocol,
        }
    }

    /// Why no notification was made, for a failure.
    pub fn reason(&self) -> Option<FailureReason> {
        match self {
            Self::Failed(f) => Some(f.reason),
            _ => None,
        }
    }

    /// The notification, when one was produced.
    pub fn notification(&self) -> Option<&Notification> {
        match self {
            Self::Decrypted(n) | Self::NotEncrypted(n) => Some(n),
            _ => None,
        }
    }
}

/// An [`Outcome`] after fetch on receipt, with what was fetched for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOutcome {
    pub outcome: Outcome,
    /// The message (Rocket.Chat `push.get`) or event (Matrix) was fetched
    /// from the server.
    pub fetched: bool,
    /// The room key was fetched from the server (Rocket.Chat
    /// `subscriptions.getOne`, Matrix key backup).
    pub room_key_fetched: bool,
}

impl FetchOutcome {
    /// An outcome reached without the network.
    pub fn offline(outcome: Outcome) -> Self {
        Self {
            outcome,
            fetched: false,
            room_key_fetched: false,
        }
    }
}
