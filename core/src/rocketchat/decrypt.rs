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
    // The usual push is read in one pass with its message, which skips the
    // `Value` that a `Push` keeps of `content`; the result is the same.
    if let Some((push, message)) = Push::parse_with_message(bytes) {
        return decide(push, move || message, keys);
    }
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
    // `decide` takes the members it shows; the ciphertext stays here.
    let shown = Push {
        container: push.container,
        payload: Payload {
            host: p.host.clone(),
            message_id: p.message_id.clone(),
            notification_type: p.notification_type.clone(),
            rid: p.rid.clone(),
            sender: p.sender.clone(),
            sender_name: p.sender_name.clone(),
            room_type: p.room_type.clone(),
            name: p.name.clone(),
            message_type: p.message_type.clone(),
            tmid: p.tmid.clone(),
            msg: None,
            content: None,
        },
        server_title: push.server_title.clone(),
        server_body: push.server_body.clone(),
        notification_id: push.notification_id,
    };
    decide(
        shown,
        || EncryptedMessage::from_parts(p.content.as_ref(), p.msg.as_deref()),
        keys,
    )
}

/// `message` gives what `EncryptedMessage::from_parts` reads from the
/// payload; it is asked only for an e2e push with a room id. The strings
/// the outcome shows are moved out of `push`, not copied.
fn decide(
    mut push: Push,
    message: impl FnOnce() -> Result<Encrypted>,
    keys: &dyn KeyLookup,
) -> Outcome {
    let title = title(&push.payload, push.server_title.as_deref());
    let context = match context(&mut push) {
        Ok(c) => c,
        Err(e) => return failed(&e, Context::default(), None, title, FALLBACK_BODY_NEW),
    };
    let p = &push.payload;
    if p.is_id_only() {
        return needs_fetch(context, FetchReason::IdOnly);
    }
    if !p.is_e2e() {
        return Outcome::NotEncrypted(Notification {
            protocol: Protocol::RocketChat,
            context,
            title,
            body: shown(SecretString::new(push.server_body.unwrap_or_default())),
            key: None,
        });
    }
    let fallback = FALLBACK_BODY_ENCRYPTED;
    let Some(rid) = context.room_id.as_deref() else {
        return failed(
            &Error::malformed("e2e push has no rid"),
            context,
            None,
            title,
            fallback,
        );
    };
    let message = match message() {
        Ok(Encrypted::Message(m)) => m,
        Ok(Encrypted::Missing) => return needs_fetch(context, FetchReason::MissingCiphertext),
        Err(e) => return failed(&e, context, None, title, fallback),
    };
    let server = context.server.as_deref().unwrap_or_default();
    let opened = keys
        .room_keys(server, rid)
        .and_then(|room_keys| open(&message, &room_keys, rid));
    match opened {
        Ok((body, key)) => Outcome::Decrypted(Notification {
            protocol: Protocol::RocketChat,
            context,
            title,
            body: shown(body),
            key: Some(key),
        }),
        Err(e) => failed(&e, context, message.kid, title, fallback),
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
                    algorithm: algorithm(message.format.as_str(), entry.key.algorithm().jwk_alg()),
                    current: entry.current,
                    message_index: None,
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

/// `format+alg`, built without `format!` (this runs on every push).
fn algorithm(format: &str, alg: &str) -> String {
    let mut out = String::with_capacity(format.len() + 1 + alg.len());
    out.push_str(format);
    out.push('+');
    out.push_str(alg);
    out
}

/// The context of `push`, taking its members out of the payload.
fn context(push: &mut Push) -> Result<Context> {
    let p = &mut push.payload;
    let server = normalize_server(&p.host)?;
    let sender = p.sender.take().map(|s| Sender {
        id: s.id,
        username: s.username,
        display_name: s
            .name
            .or_else(|| p.sender_name.take())
            .filter(|n| !n.is_empty()),
    });
    Ok(Context {
        server: Some(server),
        room_id: p.rid.take().filter(|r| !r.is_empty()),
        room_kind: p.room_type.as_deref().map(super::room_kind),
        room_name: p.name.take().filter(|n| !n.is_empty()),
        sender,
        message_id: p.message_id.take().filter(|m| !m.is_empty()),
        thread_id: p.tmid.take().filter(|t| !t.is_empty()),
        notification_id: push.notification_id,
    })
}

/// The server's title rule (spec §7.3): `#room` for group rooms, else the
/// sender's display name; then whatever title the server sent.
pub(crate) fn title(p: &Payload, server_title: Option<&str>) -> String {
    let non_empty = |s: Option<&str>| s.filter(|s| !s.trim().is_empty()).map(str::to_owned);
    let group = p.room_type.as_deref().is_some_and(|t| t != "d");
    if group {
        if let Some(name) = p.name.as_deref().filter(|s| !s.trim().is_empty()) {
            return ["#", name].concat();
        }
    }
    non_empty(p.sender_name.as_deref())
        .or_else(|| non_empty(server_title))
        .unwrap_or_else(|| FALLBACK_TITLE.to_owned())
}

/// A message with nothing to show (empty or only whitespace) gets the
/// generic text rather than a blank notification. The outcome stays what it
/// was (`decrypted` keeps its key): the message did open, it is just empty.
fn shown(body: SecretString) -> SecretString {
    if body.expose().trim().is_empty() {
        SecretString::from(FALLBACK_BODY_NEW)
    } else {
        body
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rocketchat::room_key::{RoomKey, RoomKeyAlgorithm};
    use ::aes::cipher::{BlockEncryptMut, KeyIvInit};
    use ::base64::engine::general_purpose::STANDARD;
    use ::base64::Engine;
    use aes_gcm::aead::{Aead, KeyInit};
    use serde_json::json;

    const RID: &str = "GrpEmptyBody00001";
    const GCM_KEY: [u8; 32] = [7; 32];
    const CBC_KEY: [u8; 16] = [9; 16];
    const CBC_KID: &str = "a1b2c3d4e5f6";

    /// One GCM room (current key) and one CBC key with a 12-char kid, as an
    /// old key of the same room.
    struct TwoKeys;

    impl KeyLookup for TwoKeys {
        fn room_keys(&self, _server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
            assert_eq!(rid, RID);
            Ok(vec![
                RoomKeyEntry {
                    kid: "gcm-kid".into(),
                    key: RoomKey::from_raw(RoomKeyAlgorithm::A256Gcm, &GCM_KEY)?,
                    current: true,
                },
                RoomKeyEntry {
                    kid: CBC_KID.into(),
                    key: RoomKey::from_raw(RoomKeyAlgorithm::A128Cbc, &CBC_KEY)?,
                    current: false,
                },
            ])
        }
    }

    fn gcm(plain: &str) -> (Vec<u8>, Vec<u8>) {
        let iv = vec![1u8; 12];
        let ct = aes_gcm::Aes256Gcm::new_from_slice(&GCM_KEY)
            .unwrap()
            .encrypt(aes_gcm::Nonce::from_slice(&iv), plain.as_bytes())
            .unwrap();
        (iv, ct)
    }

    fn cbc(plain: &str) -> (Vec<u8>, Vec<u8>) {
        let iv = vec![2u8; 16];
        let ct = cbc::Encryptor::<::aes::Aes128>::new_from_slices(&CBC_KEY, &iv)
            .unwrap()
            .encrypt_padded_vec_mut::<::aes::cipher::block_padding::Pkcs7>(plain.as_bytes());
        (iv, ct)
    }

    /// An APNs push with a server alert of `alert` and the given content.
    fn push(content: serde_json::Value, alert: serde_json::Value) -> Vec<u8> {
        let ejson = json!({"host": "https://chat.example.org/", "messageId": "m1",
            "notificationType": "message", "rid": RID, "sender": {"username": "alice"},
            "senderName": "alice", "type": "p", "name": "empty", "messageType": "e2e",
            "msg": "", "content": content});
        serde_json::to_vec(&json!({"ejson": ejson.to_string(), "aps": {"alert": alert}})).unwrap()
    }

    fn formats(plain: &str) -> Vec<(&'static str, serde_json::Value)> {
        let (iv, ct) = gcm(plain);
        let gcm = json!({"algorithm": "rc.v2.aes-sha2", "kid": "gcm-kid",
            "iv": STANDARD.encode(iv), "ciphertext": STANDARD.encode(ct)});
        let (iv, ct) = cbc(plain);
        let v2_cbc = json!({"algorithm": "rc.v2.aes-sha2", "kid": CBC_KID,
            "iv": STANDARD.encode(&iv), "ciphertext": STANDARD.encode(&ct)});
        let v1 = json!({"algorithm": "rc.v1.aes-sha2",
            "ciphertext": format!("{CBC_KID}{}", STANDARD.encode([iv, ct].concat()))});
        vec![
            ("rc.v2.aes-sha2+A256GCM", gcm),
            ("rc.v2.aes-sha2+A128CBC", v2_cbc),
            ("rc.v1.aes-sha2+A128CBC", v1),
        ]
    }

    #[test]
    fn blank_decrypted_text_shows_the_fallback_and_stays_decrypted() {
        for plain in [
            r#"{"msg":""}"#,
            r#"{"msg":"   "}"#,
            "{\"msg\":\" \\n\\t \"}",
        ] {
            for (algorithm, content) in formats(plain) {
                let outcome = decrypt_push(&push(content, json!({"title": "#empty"})), &TwoKeys);
                let Outcome::Decrypted(n) = &outcome else {
                    panic!("{plain} {algorithm}: {outcome:?}");
                };
                assert_eq!(n.body.expose(), FALLBACK_BODY_NEW, "{plain} {algorithm}");
                assert_eq!(n.key.as_ref().unwrap().algorithm, algorithm);
                assert_eq!(outcome.display(), ("#empty", FALLBACK_BODY_NEW));
            }
        }
    }

    #[test]
    fn real_text_is_kept_as_written() {
        for (algorithm, content) in formats(r#"{"msg":"  hi  "}"#) {
            let outcome = decrypt_push(&push(content, json!("x")), &TwoKeys);
            assert_eq!(outcome.display().1, "  hi  ", "{algorithm}");
        }
    }

    #[test]
    fn plain_push_without_alert_text_shows_the_fallback() {
        let ejson = json!({"host": "https://chat.example.org/", "messageId": "m2",
            "notificationType": "message", "rid": "GENERAL", "type": "c", "name": "general"});
        let bare = serde_json::to_vec(&ejson).unwrap();
        let fcm_blank = serde_json::to_vec(
            &json!({"ejson": ejson.to_string(), "title": "general", "message": " \n "}),
        )
        .unwrap();
        let apns_title_only = serde_json::to_vec(
            &json!({"ejson": ejson.to_string(), "aps": {"alert": {"title": "t"}}}),
        )
        .unwrap();
        for bytes in [bare, fcm_blank, apns_title_only] {
            let outcome = decrypt_push(&bytes, &TwoKeys);
            assert_eq!(outcome.status(), "not_encrypted");
            assert_eq!(outcome.display(), ("#general", FALLBACK_BODY_NEW));
        }
    }

    #[test]
    fn blank_names_do_not_make_a_blank_title() {
        let p = Payload::from_value(json!({"host": "h", "type": "p", "name": "  ",
            "senderName": " "}))
        .unwrap();
        assert_eq!(title(&p, Some("\t")), FALLBACK_TITLE);
        assert_eq!(title(&p, Some("alice")), "alice");
    }
}
