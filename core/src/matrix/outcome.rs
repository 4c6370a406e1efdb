//! What a Matrix push becomes. Same shape as the crate's neutral
//! [`crate::Outcome`], with Matrix's own [`Reason`]s, until the neutral types
//! gain a Matrix protocol and the reasons Matrix adds.

use crate::matrix::Reason;
use crate::{FetchReason, SecretString, FALLBACK_BODY_ENCRYPTED, FALLBACK_BODY_NEW};

/// What is known about the event, as far as the push and plaintext tell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    pub room_id: String,
    pub event_id: String,
    /// The sender's user id, e.g. `@alice:example.org`.
    pub sender: Option<String>,
    pub sender_display_name: Option<String>,
    pub room_name: Option<String>,
    /// The thread root, from the cleartext `m.relates_to` (`m.thread`).
    pub thread_id: Option<String>,
}

/// A notification ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub context: Context,
    pub title: String,
    pub body: SecretString,
    /// Megolm session id and message index, for decrypted events.
    pub session_id: Option<String>,
    pub message_index: Option<u32>,
}

/// The event must be fetched (`GET /rooms/{roomId}/event/{eventId}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub context: Context,
    pub reason: FetchReason,
    pub fallback_title: String,
    pub fallback_body: String,
}

/// A push that could not become a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub context: Context,
    pub reason: Reason,
    /// Technical and secret-free, for logs.
    pub detail: String,
    /// The session the event asked for, when known.
    pub session_id: Option<String>,
    pub fallback_title: String,
    pub fallback_body: String,
}

/// The result of one Matrix push.
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

    /// Title and body to show, whatever happened; never empty.
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

    pub fn reason(&self) -> Option<Reason> {
        match self {
            Self::Failed(f) => Some(f.reason),
            _ => None,
        }
    }

    pub(crate) fn failed(
        context: Context,
        title: String,
        reason: Reason,
        detail: impl Into<String>,
        session_id: Option<&str>,
    ) -> Self {
        Self::Failed(Failure {
            context,
            reason,
            detail: detail.into(),
            session_id: session_id.map(str::to_owned),
            fallback_title: title,
            fallback_body: if reason == Reason::Redacted {
                FALLBACK_BODY_NEW.to_owned()
            } else {
                FALLBACK_BODY_ENCRYPTED.to_owned()
            },
        })
    }
}
