//! Matrix events as the crate's neutral [`Outcome`]: the event id is the
//! message id, the sender's user id is both its id and username, and the
//! Megolm session id is the key id.

use crate::matrix::push::Push;
use crate::matrix::MEGOLM_V1;
use crate::{
    Context, Failure, FailureReason, FetchReason, FetchRequest, KeyUsed, Notification, Outcome,
    Protocol, SecretString, Sender, FALLBACK_BODY_ENCRYPTED, FALLBACK_BODY_NEW, FALLBACK_TITLE,
};

/// What the push tells about the event, before any decryption.
pub(crate) fn context(push: &Push<'_>) -> Context {
    let sender = (push.sender.is_some() || push.sender_display_name.is_some()).then(|| Sender {
        id: push.sender.as_deref().map(str::to_owned),
        username: push.sender.as_deref().map(str::to_owned),
        display_name: push.sender_display_name.as_deref().map(str::to_owned),
    });
    Context {
        room_id: Some(push.room_id.clone().into_owned()),
        message_id: Some(push.event_id.clone().into_owned()),
        sender,
        room_name: push.room_name.as_deref().map(str::to_owned),
        thread_id: push.thread_id().map(str::to_owned),
        ..Context::default()
    }
}

/// A failure; a redacted event has no encrypted text to hide, so its
/// fallback body does not claim one.
pub(crate) fn failed(
    context: Context,
    title: String,
    reason: FailureReason,
    detail: impl Into<String>,
    session_id: Option<&str>,
) -> Outcome {
    Outcome::Failed(Failure {
        protocol: Protocol::Matrix,
        reason,
        detail: detail.into(),
        context,
        key_id: session_id.map(str::to_owned),
        fallback_title: title,
        fallback_body: if reason == FailureReason::Redacted {
            FALLBACK_BODY_NEW.to_owned()
        } else {
            FALLBACK_BODY_ENCRYPTED.to_owned()
        },
    })
}

/// The event must be fetched (`GET /rooms/{roomId}/event/{eventId}`).
pub(crate) fn needs_fetch(context: Context, reason: FetchReason) -> Outcome {
    Outcome::NeedsFetch(FetchRequest {
        protocol: Protocol::Matrix,
        context,
        reason,
        fallback_title: FALLBACK_TITLE.to_owned(),
        fallback_body: FALLBACK_BODY_NEW.to_owned(),
    })
}

/// A cleartext event.
pub(crate) fn not_encrypted(context: Context, title: String, body: String) -> Outcome {
    Outcome::NotEncrypted(Notification {
        protocol: Protocol::Matrix,
        context,
        title,
        body: SecretString::new(body),
        key: None,
    })
}

/// An event decrypted with Megolm session `session_id` at `message_index`.
pub(crate) fn decrypted(
    context: Context,
    title: String,
    body: String,
    session_id: &str,
    message_index: u32,
) -> Outcome {
    Outcome::Decrypted(Notification {
        protocol: Protocol::Matrix,
        context,
        title,
        body: SecretString::new(body),
        key: Some(KeyUsed {
            key_id: session_id.to_owned(),
            algorithm: MEGOLM_V1.to_owned(),
            // Megolm has no rotated-out keys; an older session is just
            // another session id.
            current: true,
            message_index: Some(message_index),
        }),
    })
}
