//! Errors of the Matrix key and push formats: typed, stable names, never a
//! secret. Why a push failed is the crate's neutral [`crate::FailureReason`].

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
