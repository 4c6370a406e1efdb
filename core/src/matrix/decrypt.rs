//! One push to one outcome: Megolm decryption and the checks after it.

use std::borrow::Cow;

use serde::Deserialize;
use vodozemac::megolm::{DecryptionError, MegolmMessage};
use zeroize::Zeroizing;

use crate::matrix::push::{Body, Content, Push};
use crate::matrix::{display, parse_push, Context, Notification, Outcome, Reason, SessionStore};
use crate::matrix::{FetchRequest, MEGOLM_V1};
use crate::{FetchReason, SecretString, FALLBACK_BODY_NEW, FALLBACK_TITLE};

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
        Err(e) => Outcome::failed(
            Context::default(),
            FALLBACK_TITLE.to_owned(),
            Reason::MalformedPayload,
            e.to_string(),
            None,
        ),
    }
}

/// Decrypts the event `GET /rooms/{roomId}/event/{eventId}` returned for
/// `push`. The push's `room_name` and `sender_display_name` still give the
/// title; an event that is not the one asked for is refused.
pub fn decrypt_fetched(push: &Push<'_>, event: &[u8], store: &mut impl SessionStore) -> Outcome {
    let mut fetched = match parse_push(event) {
        Ok(f) => f,
        Err(e) => {
            let title = display::title(push, None);
            let detail = format!("fetched event: {e}");
            return Outcome::failed(context(push), title, Reason::MalformedPayload, detail, None);
        }
    };
    if fetched.event_id != push.event_id || fetched.room_id != push.room_id {
        let title = display::title(push, None);
        let detail = "the server returned another event than the push names";
        return Outcome::failed(context(push), title, Reason::MalformedPayload, detail, None);
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

fn context(push: &Push<'_>) -> Context {
    Context {
        room_id: push.room_id.clone().into_owned(),
        event_id: push.event_id.clone().into_owned(),
        sender: push.sender.as_deref().map(str::to_owned),
        sender_display_name: push.sender_display_name.as_deref().map(str::to_owned),
        room_name: push.room_name.as_deref().map(str::to_owned),
        thread_id: push.thread_id().map(str::to_owned),
    }
}

/// Decrypts an already parsed push (e.g. a fetched event).
pub fn decrypt_parsed(push: &Push<'_>, store: &mut impl SessionStore) -> Outcome {
    let ctx = context(push);
    let title = || display::title(push, None);
    let fetch = |reason| {
        Outcome::NeedsFetch(FetchRequest {
            context: context(push),
            reason,
            fallback_title: FALLBACK_TITLE.to_owned(),
            fallback_body: FALLBACK_BODY_NEW.to_owned(),
        })
    };
    let enc = match &push.body {
        Body::IdOnly => return fetch(FetchReason::IdOnly),
        Body::EncryptedWithoutContent => return fetch(FetchReason::MissingCiphertext),
        Body::Redacted => {
            return Outcome::failed(
                ctx,
                title(),
                Reason::Redacted,
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
            return Outcome::NotEncrypted(Notification {
                context: ctx,
                title: display::title(push, known),
                body: SecretString::new(body),
                session_id: None,
                message_index: None,
            });
        }
        Body::Encrypted(enc) => enc,
    };
    if enc.algorithm != MEGOLM_V1 {
        let detail = format!("room events must use {MEGOLM_V1}");
        return Outcome::failed(ctx, title(), Reason::UnsupportedAlgorithm, detail, None);
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
            return Outcome::failed(ctx, title, Reason::NoRoomKey, detail, sid);
        }
        Err(e) => return Outcome::failed(ctx, title, Reason::StoreError, e.to_string(), sid),
    };
    let message = match MegolmMessage::from_base64(ciphertext) {
        Ok(m) => m,
        Err(_) => {
            let detail = "not a Megolm v1 message";
            return Outcome::failed(ctx, title, Reason::BadCiphertext, detail, sid);
        }
    };
    let decrypted = match session.decrypt(&message) {
        Ok(d) => d,
        Err(e) => {
            let (reason, detail) = decryption_failure(&e);
            return Outcome::failed(ctx, title, reason, detail, sid);
        }
    };
    let index = decrypted.message_index;
    let plaintext = Zeroizing::new(decrypted.plaintext);
    let Ok(Plaintext {
        kind: Some(_),
        content: Some(content),
        room_id,
    }) = serde_json::from_slice::<Plaintext>(&plaintext)
    else {
        let detail = "the plaintext is not an object with type and content";
        return Outcome::failed(ctx, title, Reason::BadPlaintext, detail, sid);
    };
    if room_id.as_deref() != Some(&*push.room_id) {
        let detail = "the plaintext names another room than the event";
        return Outcome::failed(ctx, title, Reason::RoomMismatch, detail, sid);
    }
    match store.seen(&push.room_id, session_id, index) {
        Ok(Some(first)) if first != *push.event_id => {
            let detail = format!("message index {index} was already seen under another event");
            return Outcome::failed(ctx, title, Reason::ReplayedMessage, detail, sid);
        }
        // A read-only store cannot record; the check is then as good as
        // what the writable side recorded before.
        Ok(None) => {
            let _ = store.record_seen(&push.room_id, session_id, index, &push.event_id);
        }
        Ok(Some(_)) | Err(_) => {}
    }
    let body = display::body(push, &content, push.is_edit());
    Outcome::Decrypted(Notification {
        context: ctx,
        title,
        body: SecretString::new(body),
        session_id: sid.map(str::to_owned),
        message_index: Some(index),
    })
}

fn decryption_failure(e: &DecryptionError) -> (Reason, String) {
    match e {
        DecryptionError::Signature(_) => (Reason::BadAuthTag, "Ed25519 signature mismatch".into()),
        DecryptionError::InvalidMAC(_) | DecryptionError::InvalidMACLength(..) => {
            (Reason::BadAuthTag, "MAC mismatch".into())
        }
        DecryptionError::InvalidPadding(_) => (Reason::BadPadding, "bad padding".into()),
        DecryptionError::UnknownMessageIndex(first, got) => (
            Reason::UnknownMessageIndex,
            format!("first known index {first}, message index {got}"),
        ),
        #[allow(unreachable_patterns)]
        _ => (Reason::BadCiphertext, "undecryptable".into()),
    }
}
