//! One push to one outcome: Megolm decryption and the checks after it.

use std::borrow::Cow;

use serde::Deserialize;
use vodozemac::megolm::{DecryptionError, MegolmMessage};
use zeroize::Zeroizing;

use crate::matrix::outcome::{context, decrypted, failed, needs_fetch, not_encrypted};
use crate::matrix::push::{Body, Content, Push};
use crate::matrix::{display, parse_push, SessionStore, MEGOLM_V1};
use crate::{Context, FailureReason, FetchReason, Outcome};
use crate::{FALLBACK_BODY_NEW, FALLBACK_TITLE};

/// The decrypted payload: `{"type", "content", "room_id"}`.
#[derive(Deserialize)]
struct Plaintext<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
    #[serde(borrow, default)]
    room_id: Option<Cow<'a, str>>,
}

/// Parses and decrypts a push with the caller's sessions. Offline: a push
/// that needs the event or a key says so in the outcome.
pub fn decrypt_push(bytes: &[u8], store: &mut impl SessionStore) -> Outcome {
    match parse_push(bytes) {
        Ok(push) => decrypt_parsed(&push, store),
        Err(e) => failed(
            Context::default(),
            FALLBACK_TITLE.to_owned(),
            FailureReason::MalformedPayload,
            e.to_string(),
            None,
        ),
    }
}

/// Decrypts the event `GET /rooms/{roomId}/event/{eventId}` returned for
/// `push`. The push's `room_name` and `sender_display_name` still give the
/// title; an event that is not the one asked for is refused.
pub fn decrypt_fetched(push: &Push<'_>, event: &[u8], store: &mut impl SessionStore) -> Outcome {
    // Either way the push's own names still give the title.
    let refuse = |detail: String| {
        failed(
            context(push),
            display::title(push, None),
            FailureReason::MalformedPayload,
            detail,
            None,
        )
    };
    let mut fetched = match parse_push(event) {
        Ok(f) => f,
        Err(e) => return refuse(format!("fetched event: {e}")),
    };
    if fetched.event_id != push.event_id || fetched.room_id != push.room_id {
        return refuse("the server returned another event than the push names".into());
    }
    if fetched.room_name.is_none() {
        fetched.room_name.clone_from(&push.room_name);
    }
    if fetched.sender_display_name.is_none() {
        fetched
            .sender_display_name
            .clone_from(&push.sender_display_name);
    }
    decrypt_parsed(&fetched, store)
}

/// Decrypts an already parsed push (e.g. a fetched event).
pub fn decrypt_parsed(push: &Push<'_>, store: &mut impl SessionStore) -> Outcome {
    let ctx = context(push);
    let title = || display::title(push, None);
    let fetch = |reason| needs_fetch(context(push), reason);
    let enc = match &push.body {
        Body::IdOnly => return fetch(FetchReason::IdOnly),
        Body::EncryptedWithoutContent => return fetch(FetchReason::MissingCiphertext),
        Body::Redacted => {
            return failed(
                ctx,
                title(),
                FailureReason::Redacted,
                "the event was redacted",
                None,
            )
        }
        Body::Plain(content) => {
            let known = store.room_name(&push.room_id);
            let body = match content {
                Some(c) => display::body(push, c, push.is_edit()),
                None => FALLBACK_BODY_NEW.to_owned(),
            };
            return not_encrypted(ctx, display::title(push, known), body);
        }
        Body::Encrypted(enc) => enc,
    };
    if enc.algorithm != MEGOLM_V1 {
        let detail = format!("room events must use {MEGOLM_V1}");
        return failed(
            ctx,
            title(),
            FailureReason::UnsupportedAlgorithm,
            detail,
            None,
        );
    }
    let (Some(session_id), Some(ciphertext)) =
        (enc.session_id.as_deref(), enc.ciphertext.as_deref())
    else {
        return fetch(FetchReason::MissingCiphertext);
    };
    let sid = Some(session_id);
    let known = store.room_name(&push.room_id);
    let title = display::title(push, known);
    let session = match store.session(&push.room_id, session_id) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let detail = "no session for this room and session id";
            return failed(ctx, title, FailureReason::NoRoomKey, detail, sid);
        }
        Err(e) => return failed(ctx, title, FailureReason::StoreError, e.to_string(), sid),
    };
    let message = match MegolmMessage::from_base64(ciphertext) {
        Ok(m) => m,
        Err(_) => {
            let detail = "not a Megolm v1 message";
            return failed(ctx, title, FailureReason::BadCiphertext, detail, sid);
        }
    };
    let opened = match session.decrypt(&message) {
        Ok(d) => d,
        Err(e) => {
            let (reason, detail) = decryption_failure(&e);
            return failed(ctx, title, reason, detail, sid);
        }
    };
    let index = opened.message_index;
    let plaintext = Zeroizing::new(opened.plaintext);
    let Ok(Plaintext {
        kind: Some(_),
        content: Some(content),
        room_id,
    }) = serde_json::from_slice::<Plaintext>(&plaintext)
    else {
        let detail = "the plaintext is not an object with type and content";
        return failed(ctx, title, FailureReason::BadPlaintext, detail, sid);
    };
    if room_id.as_deref() != Some(&*push.room_id) {
        let detail = "the plaintext names another room than the event";
        return failed(ctx, title, FailureReason::RoomMismatch, detail, sid);
    }
    match store.seen(&push.room_id, session_id, index) {
        Ok(Some(first)) if first != *push.event_id => {
            let detail = format!("message index {index} was already seen under another event");
            return failed(ctx, title, FailureReason::ReplayedMessage, detail, sid);
        }
        // A read-only store cannot record; the check is then as good as
        // what the writable side recorded before.
        Ok(None) => {
            let _ = store.record_seen(&push.room_id, session_id, index, &push.event_id);
        }
        Ok(Some(_)) | Err(_) => {}
    }
    let body = display::body(push, &content, push.is_edit());
    decrypted(ctx, title, body, session_id, index)
}

fn decryption_failure(e: &DecryptionError) -> (FailureReason, String) {
    match e {
        DecryptionError::Signature(_) => (
            FailureReason::BadAuthTag,
            "Ed25519 signature mismatch".into(),
        ),
        DecryptionError::InvalidMAC(_) | DecryptionError::InvalidMACLength(..) => {
            (FailureReason::BadAuthTag, "MAC mismatch".into())
        }
        DecryptionError::InvalidPadding(_) => (FailureReason::BadPadding, "bad padding".into()),
        DecryptionError::UnknownMessageIndex(first, got) => (
            FailureReason::UnknownMessageIndex,
            format!("first known index {first}, message index {got}"),
        ),
        #[allow(unreachable_patterns)]
        _ => (FailureReason::BadCiphertext, "undecryptable".into()),
    }
}
