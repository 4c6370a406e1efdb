//! From a push to an [`Outcome`]: the one place that decides what the user
//! sees for a Rocket.Chat push.

use super::keys::{self, KeyLookup, RoomKeyEntry};
use super::message::{Encrypted, EncryptedMessage};
use super::plaintext;
use super::push::{Payload, Push};
use crate::error::{Error, Result};
use crate::outcome::*;
use crate::secret::SecretString;
use crate::server::normalize_server;

/// Decrypts one push, given as the raw JSON the platform delivered.
///
/// Never panics and never fails: every problem becomes
/// [`Outcome::Failed`] with safe fallback text.
pub fn decrypt_push(bytes: &[u8], keys: &dyn KeyLookup) -> Outcome {
    match Push::parse(bytes) {
        Ok(push) => decrypt_parsed(&push, keys),
        Err(e) => unreadable(&e),
    }
}

/// The outcome for a push that could not be read at all.
pub(crate) fn unreadable(e: &Error) -> Outcome {
    failed(
        e,
        Context::default(),
        None,
        FALLBACK_TITLE.into(),
        FALLBACK_BODY_NEW,
    )
}

/// Decrypts an already-parsed push.
pub fn decrypt_parsed(push: &Push, keys: &dyn KeyLookup) -> Outcome {
    let p = &push.payload;
    let title = title(p, push.server_title.as_deref());
    let context = match context(push) {
        Ok(c) => c,
        Err(e) => return failed(&e, Context::default(), None, title, FALLBACK_BODY_NEW),
    };
    if p.is_id_only() {
        return needs_fetch(context, FetchReason::IdOnly);
    }
    if !p.is_e2e() {
        return Outcome::NotEncrypted(Notification {
            protocol: Protocol::RocketChat,
            context,
            title,
            body: SecretString::from(push.server_body.as_deref().unwrap_or_default()),
            key: None,
        });
    }
    let fallback = FALLBACK_BODY_ENCRYPTED;
    let Some(rid) = context.room_id.clone() else {
        return failed(
            &Error::malformed("e2e push has no rid"),
            context,
            None,
            title,
            fallback,
        );
    };
    let message = match EncryptedMessage::from_parts(p.content.as_ref(), p.msg.as_deref()) {
        Ok(Encrypted::Message(m)) => m,
        Ok(Encrypted::Missing) => return needs_fetch(context, FetchReason::MissingCiphertext),
        Err(e) => return failed(&e, context, None, title, fallback),
    };
    let kid = message.kid.clone();
    let server = context.server.clone().unwrap_or_default();
    let opened = keys
        .room_keys(&server, &rid)
        .and_then(|room_keys| open(&message, &room_keys, &rid));
    match opened {
        Ok((body, key)) => Outcome::Decrypted(Notification {
            protocol: Protocol::RocketChat,
            context,
            title,
            body,
            key: Some(key),
        }),
        Err(e) => failed(&e, context, kid, title, fallback),
    }
}

/// Decrypts a stored message object (`{rid, msg, content, …}`, as REST
/// endpoints such as `push.get` return it) with the keys of `server`.
pub fn decrypt_message(
    server: &str,
    message: &serde_json::Value,
    keys: &dyn KeyLookup,
) -> Result<(SecretString, KeyUsed)> {
    let rid = message
        .get("rid")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::malformed("message has no rid"))?;
    let msg = message.get("msg").and_then(serde_json::Value::as_str);
    match EncryptedMessage::from_parts(message.get("content"), msg)? {
        Encrypted::Message(m) => open(&m, &keys.room_keys(&normalize_server(server)?, rid)?, rid),
        Encrypted::Missing => Err(Error::malformed("message has no ciphertext")),
    }
}

/// Tries the candidate keys in order; the first that yields a message wins.
pub(crate) fn open(
    message: &EncryptedMessage,
    room_keys: &[RoomKeyEntry],
    rid: &str,
) -> Result<(SecretString, KeyUsed)> {
    let kid = message.kid.as_deref();
    let mut first_error = None;
    for entry in keys::candidates(room_keys, kid) {
        let attempt = entry
            .key
            .decrypt(&message.iv, &message.ciphertext)
            .and_then(|plain| plaintext::message_text(plain.expose()));
        match attempt {
            Ok(body) => {
                let used = KeyUsed {
                    key_id: entry.kid.clone(),
                    algorithm: format!("{}+{}", message.format, entry.key.algorithm().jwk_alg()),
                    current: entry.current,
                };
                return Ok((body, used));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    // When the id is unknown and the current key failed too, the honest
    // answer is that the right key is missing (a fetch can fix that).
    match first_error {
        Some(e) if keys::knows(room_keys, kid) => Err(e),
        _ => Err(keys::no_room_key(rid, kid)),
    }
}

fn context(push: &Push) -> Result<Context> {
    let p = &push.payload;
    let sender = p.sender.as_ref().map(|s| Sender {
        id: s.id.clone(),
        username: s.username.clone(),
        display_name: s
            .name
            .clone()
            .or_else(|| p.sender_name.clone())
            .filter(|n| !n.is_empty()),
    });
    Ok(Context {
        server: Some(normalize_server(&p.host)?),
        room_id: p.rid.clone().filter(|r| !r.is_empty()),
        room_kind: p.room_type.as_deref().map(RoomKind::from_rocketchat),
        room_name: p.name.clone().filter(|n| !n.is_empty()),
        sender,
        message_id: p.message_id.clone().filter(|m| !m.is_empty()),
        thread_id: p.tmid.clone().filter(|t| !t.is_empty()),
        notification_id: push.notification_id,
    })
}

/// The server's title rule (spec §7.3): `#room` for group rooms, else the
/// sender's display name; then whatever title the server sent.
pub(crate) fn title(p: &Payload, server_title: Option<&str>) -> String {
    let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
    let group = p.room_type.as_deref().is_some_and(|t| t != "d");
    if group {
        if let Some(name) = non_empty(p.name.as_deref()) {
            return format!("#{name}");
        }
    }
    non_empty(p.sender_name.as_deref())
        .or_else(|| non_empty(server_title))
        .unwrap_or_else(|| FALLBACK_TITLE.to_owned())
}

fn needs_fetch(context: Context, reason: FetchReason) -> Outcome {
    if context.message_id.is_none() {
        let e = Error::malformed("push to fetch has no messageId");
        return failed(&e, context, None, FALLBACK_TITLE.into(), FALLBACK_BODY_NEW);
    }
    Outcome::NeedsFetch(FetchRequest {
        protocol: Protocol::RocketChat,
        context,
        reason,
        fallback_title: FALLBACK_TITLE.into(),
        fallback_body: FALLBACK_BODY_NEW.into(),
    })
}

fn failed(
    e: &Error,
    context: Context,
    key_id: Option<String>,
    title: String,
    body: &str,
) -> Outcome {
    Outcome::Failed(Failure {
        protocol: Protocol::RocketChat,
        reason: FailureReason::from(e),
        detail: e.to_string(),
        context,
        key_id,
        fallback_title: title,
        fallback_body: body.to_owned(),
    })
}
