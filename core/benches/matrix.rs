//! Criterion benchmarks for pushseal::matrix, warm (session in memory):
//! a 1 KiB Matrix event → notification, against vodozemac's bare Megolm
//! decrypt of the same message in the same run.
//!
//! Run: `cargo bench -p pushseal --bench matrix`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use pushseal::matrix::sessions::RoomSession;
use pushseal::matrix::{decrypt_push, MemoryStore};
use serde_json::json;
use vodozemac::megolm::{
    GroupSession, InboundGroupSession, MegolmMessage, SessionConfig, SessionKey,
};

const ROOM: &str = "!bench:example.org";

/// A fresh outbound session (timing only: the vectors grade correctness),
/// and an `m.room.encrypted` event of about `size` bytes of JSON.
fn event_of(size: usize) -> (SessionKey, String, Vec<u8>) {
    let mut outbound = GroupSession::new(SessionConfig::version_1());
    let session_id = outbound.session_id();
    let mut body_len = size / 3;
    loop {
        let plaintext = json!({
            "type": "m.room.message",
            "room_id": ROOM,
            "content": {"msgtype": "m.text", "body": "x".repeat(body_len)},
        });
        let mut probe = GroupSession::new(SessionConfig::version_1());
        let ciphertext = probe.encrypt(plaintext.to_string()).to_base64();
        let event = make_event(&session_id, &ciphertext);
        if event.len() >= size {
            let key = outbound.session_key();
            let ciphertext = outbound.encrypt(plaintext.to_string()).to_base64();
            let event = make_event(&session_id, &ciphertext);
            return (key, ciphertext, event);
        }
        body_len += 8;
    }
}

fn make_event(session_id: &str, ciphertext: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "content": {
            "algorithm": "m.megolm.v1.aes-sha2",
            "ciphertext": ciphertext,
            "device_id": "ALICEPHONE",
            "sender_key": "OgQ31YsStoUiBg8ElLiGdNx1wq3SkvXOzCtrsLbvwSk",
            "session_id": session_id,
        },
        "event_id": "$bench-event-0000000000000000000000000000000",
        "origin_server_ts": 1764160060000u64,
        "room_id": ROOM,
        "sender": "@alice:example.org",
        "type": "m.room.encrypted",
        "unsigned": {"age": 1200},
    }))
    .expect("json")
}

fn bench_warm(c: &mut Criterion) {
    let (key, ciphertext, event) = event_of(1024);
    let export = InboundGroupSession::new(&key, SessionConfig::version_1())
        .export_at(0)
        .expect("export")
        .to_base64();
    let mut store = MemoryStore::new();
    store.add(RoomSession::from_export_string(ROOM, &export).expect("session"));
    let first = decrypt_push(&event, &mut store);
    assert_eq!(first.status(), "decrypted", "{first:?}");
    eprintln!("matrix bench: event is {} bytes of JSON", event.len());

    let mut group = c.benchmark_group("matrix_warm");
    group.bench_function("push_to_notification_1kib", |b| {
        b.iter(|| black_box(decrypt_push(black_box(&event), &mut store)))
    });
    let mut bare = InboundGroupSession::new(&key, SessionConfig::version_1());
    let message = MegolmMessage::from_base64(&ciphertext).expect("message");
    group.bench_function("vodozemac_bare_decrypt", |b| {
        b.iter(|| black_box(bare.decrypt(black_box(&message)).expect("decrypt")))
    });
    group.bench_function("vodozemac_base64_and_decrypt", |b| {
        b.iter(|| {
            let m = MegolmMessage::from_base64(black_box(&ciphertext)).expect("message");
            black_box(bare.decrypt(&m).expect("decrypt"))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_warm);
criterion_main!(benches);
