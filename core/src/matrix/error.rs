//! Matrix failure reasons and errors: typed, stable names, never a secret.

use crate::FailureReason;

/// Why a Matrix push did not become a notification. The snake_case names are
/// the `reason` field of `--json` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The push or event could not be read.
    MalformedPayload,
    /// No account matches the push.
    UnknownServer,
    /// No session for (room id, session id).
    NoRoomKey,
    /// The session is known only from a later index than the message's.
    UnknownMessageIndex,
    /// The plaintext names another room than the event: the server moved it.
    RoomMismatch,
    /// This (session, index) was already seen under another event id.
    ReplayedMessage,
    /// The Ed25519 signature or the MAC did not verify.
    BadAuthTag,
    /// AES-CBC padding is wrong (only the session owner can cause this).
    BadPadding,
    /// The ciphertext is not a Megolm message.
    BadCiphertext,
    /// The plaintext is not a JSON object with `type` and `content`.
    BadPlaintext,
    /// Not `m.megolm.v1.aes-sha2`.
    UnsupportedAlgorithm,
    /// The event was redacted: nothing to decrypt.
    Redacted,
    /// The caller's session store failed.
    StoreError,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedPayload => "malformed_payload",
            Self::UnknownServer => "unknown_server",
            Self::NoRoomKey => "no_room_key",
            Self::UnknownMessageIndex => "unknown_message_index",
            Self::RoomMismatch => "room_mismatch",
            Self::ReplayedMessage => "replayed_message",
            Self::BadAuthTag => "bad_auth_tag",
            Self::BadPadding => "bad_padding",
            Self::BadCiphertext => "bad_ciphertext",
            Self::BadPlaintext => "bad_plaintext",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::Redacted => "redacted",
            Self::StoreError => "store_error",
        }
    }

    /// The crate's neutral reason, where one fits. `None` for the four the
    /// neutral [`FailureReason`] does not have yet (unknown_message_index,
    /// room_mismatch, replayed_message, redacted).
    pub fn neutral(self) -> Option<FailureReason> {
        Some(match self {
            Self::MalformedPayload => FailureReason::MalformedPayload,
            Self::UnknownServer => FailureReason::UnknownServer,
            Self::NoRoomKey => FailureReason::NoRoomKey,
            Self::BadAuthTag => FailureReason::BadAuthTag,
            Self::BadPadding => FailureReason::BadPadding,
            Self::BadCiphertext => FailureReason::BadCiphertext,
            Self::BadPlaintext => FailureReason::BadPlaintext,
            Self::UnsupportedAlgorithm => FailureReason::UnsupportedAlgorithm,
            Self::StoreError => FailureReason::StoreError,
            Self::UnknownMessageIndex
            | Self::RoomMismatch
            | Self::ReplayedMessage
            | Self::Redacted => return None,
        })
    }
}

/// Errors of the Matrix key and push formats. Messages name the problem and
/// never carry key material, passphrases or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not a Matrix push (no `$` event id, no `!` room id, or a Rocket.Chat `ejson`).
    #[error("not a Matrix push: {0}")]
    NotMatrix(&'static str),
    /// JSON that does not have the expected shape; position only, no content.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// The key export is not armoured Megolm session data.
    #[error("damaged key export: {0}")]
    BadArmour(&'static str),
    /// The key export's HMAC did not verify: wrong passphrase or damaged file.
    #[error("wrong passphrase or damaged key export")]
    BadPassphrase,
    /// A session key that vodozemac cannot read.
    #[error("unusable session key: {0}")]
    BadSessionKey(&'static str),
    /// A session whose key does not belong to the session id it is filed under.
    #[error("the session key does not match the session id")]
    SessionMismatch,
    /// A recovery key that is not base58, has the wrong prefix, length or parity.
    #[error("not a valid recovery key: {0}")]
    BadRecoveryKey(&'static str),
    /// The recovery key or passphrase does not open this backup.
    #[error("the recovery key or passphrase does not match the backup's public key")]
    PublicKeyMismatch,
    /// The backup or a backed-up session uses another algorithm.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// A backed-up session failed its MAC (the wrong backup key).
    #[error("backup session MAC mismatch")]
    BadAuthTag,
    /// A backed-up session's padding is wrong.
    #[error("backup session padding is wrong")]
    BadPadding,
    /// Key material that cannot be decoded.
    #[error("bad ciphertext: {0}")]
    BadCiphertext(&'static str),
    /// Decrypted key data that is not the expected JSON.
    #[error("bad plaintext: {0}")]
    BadPlaintext(&'static str),
}

impl Error {
    /// A stable snake_case code, as the vectors and `--json` name it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotMatrix(_) => "not_matrix",
            Self::Malformed { .. } => "malformed_payload",
            Self::BadArmour(_) => "bad_armour",
            Self::BadPassphrase => "bad_passphrase",
            Self::BadSessionKey(_) => "bad_session_key",
            Self::SessionMismatch => "session_mismatch",
            Self::BadRecoveryKey(_) => "bad_recovery_key",
            Self::PublicKeyMismatch => "public_key_mismatch",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::BadAuthTag => "bad_auth_tag",
            Self::BadPadding => "bad_padding",
            Self::BadCiphertext(_) => "bad_ciphertext",
            Self::BadPlaintext(_) => "bad_plaintext",
        }
    }

    /// serde_json's message can quote the offending value; keep only where.
    pub(crate) fn json(what: &'static str, e: &serde_json::Error) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Io => "read error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "unexpected JSON shape",
            serde_json::error::Category::Eof => "JSON cut short",
        };
        Self::Malformed {
            what,
            detail: format!("{kind} at line {} column {}", e.line(), e.column()),
        }
    }
}
