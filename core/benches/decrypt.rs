//! Criterion benchmarks on the committed WebCrypto vectors:
//! payload → notification per format (room keys in memory), a 1 KiB rc.v2
//! push, RSA room-key unwrap, and v2 private-key unlock (100 000 rounds).
//!
//! Run: `cargo bench -p pushseal --bench decrypt`

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use std::hint::black_box;

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use criterion::{criterion_group, criterion_main, Criterion};
use fixtures::{device_keyring, vectors};
use pushseal::rocketchat::{decrypt_push, KeyLookup, Keyring, UserPrivateKey};
use pushseal::Password;
use serde_json::{json, Value};

/// A ~1 KiB APNs push with an rc.v2 (AES-256-GCM) message, made with a
/// current GCM room key from the vectors.
fn one_kib_v2_push(v: &Value, keys: &Keyring) -> Vec<u8> {
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
        "content": {"algorithm": "rc.v2.aes-sha2", "kid": entry.kid, "iv": STANDARD.encode(iv), "ciphertext": STANDARD.encode(ct)}
    });
    let push = json!({"ejson": ejson.to_string(), "messageFrom": "push",
        "aps": {"alert": {"title": "#bench", "body": "alice: "}, "mutable-content": 1, "thread-id": "123"}});
    serde_json::to_vec(&push).expect("push")
}

fn bench_pushes(c: &mut Criterion) {
    let v = vectors();
    let keys = device_keyring(&v);
    let big = one_kib_v2_push(&v, &keys);
    assert_eq!(decrypt_push(&big, &keys).status(), "decrypted");
    let mut group = c.benchmark_group("push_to_notification");
    group.bench_function(format!("rc.v2 GCM apns {} bytes", big.len()), |b| {
        b.iter(|| decrypt_push(black_box(&big), &keys))
    });
    // One decrypted push per algorithm from the vectors.
    let mut seen = std::collections::BTreeSet::new();
    for p in v["pushes"].as_array().expect("pushes") {
        let Some(alg) = p["expected"]["algorithm"].as_str() else {
            continue;
        };
        let label = format!("{alg} {}", p["container"].as_str().unwrap_or("?"));
        if !seen.insert(alg.to_owned()) {
            continue;
        }
        let bytes = serde_json::to_vec(&p["payload"]).expect("payload");
        group.bench_function(label, |b| b.iter(|| decrypt_push(black_box(&bytes), &keys)));
    }
    group.finish();
}

fn bench_keys(c: &mut Criterion) {
    let v = vectors();
    let jwk = fixtures::device_key(&v);
    let e2e_key = v["rooms"][0]["subscription"]["E2EKey"]
        .as_str()
        .expect("E2EKey")
        .to_owned();
    c.bench_function("rsa_room_key_unwrap", |b| {
        b.iter(|| jwk.unwrap_room_key(black_box(&e2e_key)))
    });

    let case = v["private_keys"]
        .as_array()
        .expect("private keys")
        .iter()
        .find(|c| c["format"] == "v2-gcm" && c["iterations"] == 100_000)
        .expect("a v2 key with 100 000 iterations");
    let stored = case["fetch_my_keys"]["private_key"]
        .as_str()
        .expect("stored")
        .to_owned();
    let user = case["user_id"].as_str().expect("user").to_owned();
    let password = Password::from(case["password"].as_str().expect("password"));
    let mut group = c.benchmark_group("private_key_unlock");
    group.sample_size(10);
    group.bench_function("v2 pbkdf2 100000 + gcm", |b| {
        b.iter(|| UserPrivateKey::unlock(black_box(&stored), &user, &password))
    });
    group.finish();
}

criterion_group!(benches, bench_pushes, bench_keys);
criterion_main!(benches);
