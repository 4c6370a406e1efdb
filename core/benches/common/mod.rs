//! The warm-path bench push and the two baselines the warm path is held
//! against (AES-GCM alone; a lean typed parse of the container and `ejson`
//! alone). Shared by `benches/decrypt.rs` and `examples/warm_push.rs` so
//! criterion and callgrind measure the same thing.
#![allow(dead_code)] // each user takes a different part

use std::borrow::Cow;

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use pushseal::rocketchat::{KeyLookup, Keyring};
use serde::Deserialize;
use serde_json::{json, Value};

/// The bench push with what the baselines need.
pub struct BenchPush {
    pub bytes: Vec<u8>,
    /// The same message in an FCM data map (`ejson`, `title`, `message`, `notId`).
    pub fcm_bytes: Vec<u8>,
    pub room_key: Vec<u8>,
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// A ~1 KiB APNs push (1,223 bytes) with an rc.v2 (AES-256-GCM) message,
/// made with a current GCM room key from the vectors.
pub fn one_kib_v2_push(v: &Value, keys: &Keyring) -> BenchPush {
    let server = pushseal::normalize_server(v["server"].as_str().expect("server")).expect("url");
    let (rid, entry) = v["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter_map(|r| {
            let rid = r["rid"].as_str()?;
            let keys = keys.room_keys(&server, rid).ok()?;
            let k = keys
                .into_iter()
                .find(|k| k.current && k.key.algorithm().jwk_alg() == "A256GCM")?;
            Some((rid.to_owned(), k))
        })
        .next()
        .expect("a GCM room");
    let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(8);
    let plain = json!({ "msg": text }).to_string();
    let iv = [7u8; 12];
    let ct = Aes256Gcm::new_from_slice(entry.key.expose_raw())
        .expect("key")
        .encrypt(Nonce::from_slice(&iv), plain.as_bytes())
        .expect("encrypt");
    let ejson = json!({
        "host": "https://chat.example.org/", "messageId": "BenchMsg000000001", "notificationType": "message",
        "rid": rid, "sender": {"_id": "BenchUser", "username": "alice", "name": "Alice"},
        "senderName": "alice", "type": "p", "name": "bench", "messageType": "e2e", "msg": "",
        "content": {"algorithm": "rc.v2.aes-sha2", "kid": entry.kid, "iv": STANDARD.encode(iv), "ciphertext": STANDARD.encode(&ct)}
    });
    let push = json!({"ejson": ejson.to_string(), "messageFrom": "push",
        "aps": {"alert": {"title": "#bench", "body": "alice: "}, "mutable-content": 1, "thread-id": "123"}});
    let fcm = json!({"ejson": ejson.to_string(), "title": "#bench", "message": "alice: ",
        "notId": "123", "msgcnt": "1", "style": "inbox", "image": "https://chat.example.org/images/logo/android-chrome-192x192.png"});
    BenchPush {
        bytes: serde_json::to_vec(&push).expect("push"),
        fcm_bytes: serde_json::to_vec(&fcm).expect("fcm push"),
        room_key: entry.key.expose_raw().to_vec(),
        iv: iv.to_vec(),
        ciphertext: ct,
    }
}

/// Baseline 1: AES-256-GCM alone (key set-up and decrypt), as a push needs it.
pub fn aes_only(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> usize {
    let cipher = Aes256Gcm::new_from_slice(key).expect("key");
    cipher
        .decrypt(Nonce::from_slice(iv), ciphertext)
        .expect("decrypt")
        .len()
}

#[derive(Deserialize)]
struct LeanApns<'a> {
    #[serde(borrow)]
    ejson: Cow<'a, str>,
    #[serde(borrow)]
    aps: LeanAps<'a>,
}

#[derive(Deserialize)]
struct LeanAps<'a> {
    #[serde(borrow)]
    alert: LeanAlert<'a>,
    #[serde(rename = "thread-id", borrow)]
    thread_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LeanAlert<'a> {
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    body: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LeanFcm<'a> {
    #[serde(borrow)]
    ejson: Cow<'a, str>,
    #[serde(borrow)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "notId", borrow)]
    not_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LeanEjson<'a> {
    #[serde(borrow)]
    host: Cow<'a, str>,
    #[serde(rename = "messageId", borrow)]
    message_id: Option<Cow<'a, str>>,
    #[serde(rename = "notificationType", borrow)]
    notification_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    sender: Option<LeanSender<'a>>,
    #[serde(rename = "senderName", borrow)]
    sender_name: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    room_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "messageType", borrow)]
    message_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    msg: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content: Option<LeanContent<'a>>,
}

#[derive(Deserialize)]
struct LeanSender<'a> {
    #[serde(rename = "_id", borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LeanContent<'a> {
    #[serde(borrow)]
    algorithm: Cow<'a, str>,
    #[serde(borrow)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow)]
    iv: Cow<'a, str>,
    #[serde(borrow)]
    ciphertext: Cow<'a, str>,
}

/// Baseline 2: the least a typed parse of both JSON layers can do: the
/// APNs container into borrowed structs, then the `ejson` text (which has
/// to be unescaped once) into borrowed structs. No validation beyond serde's.
pub fn lean_parse_only(bytes: &[u8]) -> usize {
    let top: LeanApns<'_> = serde_json::from_slice(bytes).expect("container");
    let payload: LeanEjson<'_> = serde_json::from_str(&top.ejson).expect("ejson");
    let content = payload.content.expect("content");
    payload.host.len()
        + content.ciphertext.len()
        + content.iv.len()
        + content.algorithm.len()
        + top.aps.alert.title.map_or(0, |t| t.len())
}

/// Baseline 2 for the FCM data push: the same, with the FCM container.
pub fn lean_parse_fcm_only(bytes: &[u8]) -> usize {
    let top: LeanFcm<'_> = serde_json::from_slice(bytes).expect("container");
    let payload: LeanEjson<'_> = serde_json::from_str(&top.ejson).expect("ejson");
    let content = payload.content.expect("content");
    payload.host.len()
        + content.ciphertext.len()
        + content.iv.len()
        + content.algorithm.len()
        + top.title.map_or(0, |t| t.len())
        + top.message.map_or(0, |m| m.len())
        + top.not_id.map_or(0, |n| n.len())
}
