//! What a decryption returns across the FFI: a sealed result with the
//! notification's fields. The decrypted text is a [`SecretText`] object, so
//! a Kotlin `toString()` or a Swift `print`/`dump` of a result cannot show
//! it; the host reads it with `expose()` where it builds the notification.

use std::fmt;
use std::sync::Arc;

use pushseal::{Context, FetchOutcome, Outcome, SecretString};

use crate::reason::{FailureReason, FetchReason};

/// The result of one push. Every case has text that is safe to show.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum DecryptResult {
    /// An encrypted message, decrypted.
    Decrypted {
        title: String,
        body: Arc<SecretText>,
        fields: NotificationFields,
    },
    /// A message that was never encrypted.
    NotEncrypted {
        title: String,
        body: Arc<SecretText>,
        fields: NotificationFields,
    },
    /// Only from `decrypt_offline`: the message must be fetched first.
    NeedsFetch {
        reason: FetchReason,
        fallback_title: String,
        fallback_body: String,
        fields: NotificationFields,
    },
    /// No notification could be made; show the fallback text.
    Failed {
        reason: FailureReason,
        /// A technical, secret-free explanation for logs.
        detail: String,
        fallback_title: String,
        fallback_body: String,
        fields: NotificationFields,
    },
}

/// Decrypted message text. `toString()`/`description` show only its length.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct SecretText(SecretString);

#[uniffi::export]
impl SecretText {
    /// The text, for the notification itself; never for a log.
    pub fn expose(&self) -> String {
        self.0.expose().to_owned()
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretText(<{} bytes redacted>)", self.0.expose().len())
    }
}

impl fmt::Display for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What the push said about itself, as far as it could be read.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct NotificationFields {
    /// The chat protocol of the push; `None` only when pushseal itself
    /// broke before reading it (`Failed` with `Internal`).
    pub chat_protocol: Option<ChatProtocol>,
    /// Normalised server URL, e.g. `https://chat.example.org`.
    pub server: Option<String>,
    pub room_id: Option<String>,
    pub room_kind: Option<RoomKind>,
    pub room_name: Option<String>,
    pub sender_id: Option<String>,
    pub sender_username: Option<String>,
    pub sender_name: Option<String>,
    pub message_id: Option<String>,
    /// The thread parent, for a thread reply.
    pub thread_id: Option<String>,
    /// Constant per room; use it to group or replace notifications.
    pub notification_id: Option<i64>,
    /// The room key that opened the message (decrypted only), or the one
    /// the message asked for (failed only, when known).
    pub key_id: Option<String>,
    /// Message format and key cipher, e.g. `rc.v2.aes-sha2+A256GCM`.
    pub algorithm: Option<String>,
    /// False when an old (rotated-out) room key was needed.
    pub key_current: Option<bool>,
    /// The Megolm ratchet index the message was encrypted at (Matrix,
    /// decrypted only); `None` for Rocket.Chat, which has none.
    pub message_index: Option<u32>,
    /// The message was fetched from the server.
    pub fetched: bool,
    /// The room key was fetched from the server.
    pub room_key_fetched: bool,
}

/// The chat protocol a push came from. (`Protocol` would clash with the
/// Objective-C class of that name in Swift.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
#[non_exhaustive]
pub enum ChatProtocol {
    RocketChat,
    Matrix,
}

impl ChatProtocol {
    fn from_core(protocol: pushseal::Protocol) -> Option<Self> {
        match protocol {
            pushseal::Protocol::RocketChat => Some(Self::RocketChat),
            pushseal::Protocol::Matrix => Some(Self::Matrix),
            // A protocol this binding does not know yet: better unknown than wrong.
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RoomKind {
    Direct,
    PrivateGroup,
    PublicChannel,
    Omnichannel,
    Other { code: String },
}

impl DecryptResult {
    /// `decrypted`, `not_encrypted`, `needs_fetch` or `failed`, for logs.
    pub(crate) fn status(&self) -> &'static str {
        match self {
            Self::Decrypted { .. } => "decrypted",
            Self::NotEncrypted { .. } => "not_encrypted",
            Self::NeedsFetch { .. } => "needs_fetch",
            Self::Failed { .. } => "failed",
        }
    }

    /// A failure for when the library itself broke; the push is not read.
    pub(crate) fn internal(detail: &str) -> Self {
        Self::Failed {
            reason: FailureReason::Internal,
            detail: detail.to_owned(),
            fallback_title: pushseal::FALLBACK_TITLE.to_owned(),
            fallback_body: pushseal::FALLBACK_BODY_NEW.to_owned(),
            fields: NotificationFields::default(),
        }
    }
}

impl From<FetchOutcome> for DecryptResult {
    fn from(out: FetchOutcome) -> Self {
        let mut fields = fields(out.outcome.context());
        fields.chat_protocol = ChatProtocol::from_core(out.outcome.protocol());
        fields.fetched = out.fetched;
        fields.room_key_fetched = out.room_key_fetched;
        match out.outcome {
            Outcome::Decrypted(n) => {
                if let Some(key) = &n.key {
                    fields.key_id = Some(key.key_id.clone());
                    fields.algorithm = Some(key.algorithm.clone());
                    fields.key_current = Some(key.current);
                    fields.message_index = key.message_index;
                }
                Self::Decrypted {
                    title: n.title,
                    body: Arc::new(SecretText(n.body)),
                    fields,
                }
            }
            Outcome::NotEncrypted(n) => Self::NotEncrypted {
                title: n.title,
                body: Arc::new(SecretText(n.body)),
                fields,
            },
            Outcome::NeedsFetch(f) => Self::NeedsFetch {
                reason: f.reason.into(),
                fallback_title: f.fallback_title,
                fallback_body: f.fallback_body,
                fields,
            },
            Outcome::Failed(f) => {
                fields.key_id = f.key_id;
                Self::Failed {
                    reason: f.reason.into(),
                    detail: f.detail,
                    fallback_title: f.fallback_title,
                    fallback_body: f.fallback_body,
                    fields,
                }
            }
            // An outcome this binding does not know yet: a pushseal bug.
            other => Self::internal(&format!("unmapped outcome {}", other.status())),
        }
    }
}

fn fields(ctx: &Context) -> NotificationFields {
    let sender = ctx.sender.clone().unwrap_or_default();
    NotificationFields {
        server: ctx.server.clone(),
        room_id: ctx.room_id.clone(),
        room_kind: ctx.room_kind.as_ref().and_then(room_kind),
        room_name: ctx.room_name.clone(),
        sender_id: sender.id,
        sender_username: sender.username,
        sender_name: sender.display_name,
        message_id: ctx.message_id.clone(),
        thread_id: ctx.thread_id.clone(),
        notification_id: ctx.notification_id,
        ..NotificationFields::default()
    }
}

fn room_kind(kind: &pushseal::RoomKind) -> Option<RoomKind> {
    Some(match kind {
        pushseal::RoomKind::Direct => RoomKind::Direct,
        pushseal::RoomKind::PrivateGroup => RoomKind::PrivateGroup,
        pushseal::RoomKind::PublicChannel => RoomKind::PublicChannel,
        pushseal::RoomKind::Omnichannel => RoomKind::Omnichannel,
        pushseal::RoomKind::Other(code) => RoomKind::Other { code: code.clone() },
        // A kind this binding does not know yet: better unknown than wrong.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_text_is_never_formatted() {
        let text = SecretText(SecretString::from("meet at noon"));
        assert_eq!(format!("{text}"), "SecretText(<12 bytes redacted>)");
        assert!(!format!("{text:?}").contains("noon"));
        assert_eq!(text.expose(), "meet at noon");
    }
}
