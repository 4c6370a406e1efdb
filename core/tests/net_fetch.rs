//! Fetch on receipt against the fake Rocket.Chat server, with the WebCrypto
//! vectors: id-only pushes, old servers' pushes without ciphertext, and
//! room keys fetched on demand.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use pushseal::net::{Deadline, FetchOutcome};
use pushseal::rocketchat::decrypt_push;
use pushseal::{FailureReason, FetchReason, Outcome};
use serde_json::{json, Value};
use support::*;

const BUDGET: Duration = Duration::from_secs(20);

/// Asserts a decryption and returns (title, body).
fn decrypted(out: &FetchOutcome) -> (String, String) {
    match &out.outcome {
        Outcome::Decrypted(n) => (n.title.clone(), n.body.expose().to_owned()),
        other => panic!("expected a decryption, got {other:?}"),
    }
}

fn expected_body(v: &Value, message_id: &Value) -> String {
    message(v, message_id.as_str().unwrap())["expected_body"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_id_only_push_is_fetched_and_decrypted() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let client = client(store(&v, &server.url, |_| true), test_config());
    let id_only: Vec<&Value> = v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["mode"] == "message-id-only" && p["message_id"].is_string())
        .collect();
    assert!(id_only.len() >= 4, "the vectors cover every container");
    for p in &id_only {
        let bytes = with_host(&p["payload"], &server.url);
        let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(BUDGET));
        let (title, body) = decrypted(&out);
        assert_eq!(body, expected_body(&v, &p["message_id"]), "{}", p["id"]);
        assert!(
            !title.is_empty() && title != "New message",
            "{}: title {title:?}",
            p["id"]
        );
        assert!(out.fetched && !out.room_key_fetched, "{}", p["id"]);
        assert_eq!(
            out.outcome.context().message_id.as_deref(),
            p["message_id"].as_str()
        );
    }
    assert_eq!(server.requests("push.get"), id_only.len() as u64);
    assert_eq!(server.requests("subscriptions.getOne"), 0);
}

#[test]
fn old_server_pushes_without_ciphertext_are_fetched() {
    let v = vectors();
    for old_server in [true, false] {
        let server = FakeServer::http(if old_server { &["--old-server"] } else { &[] });
        let client = client(store(&v, &server.url, |_| true), test_config());
        for id in [
            "p39-apns-nociphertext-rc.v1",
            "p40-fcm-data-nociphertext-rc.v1",
        ] {
            let p = push(&v, id);
            let bytes = with_host(&p["payload"], &server.url);
            // The scenario is real: offline, this push cannot be decrypted.
            let offline = decrypt_push(&bytes, &*store(&v, &server.url, |_| true));
            assert!(
                matches!(&offline, Outcome::NeedsFetch(r) if r.reason == FetchReason::MissingCiphertext),
                "{id}"
            );
            let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(BUDGET));
            assert_eq!(
                decrypted(&out).1,
                expected_body(&v, &p["message_id"]),
                "{id}, old server {old_server}"
            );
            assert!(out.fetched);
        }
    }
}

#[test]
fn an_unknown_room_key_is_fetched_once_and_kept() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let rid = "GrpProjectX0000a1";
    let client = client(store(&v, &server.url, |r| r != rid), test_config());
    let first = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
    let out = client.fetch_and_decrypt_blocking(&first, Deadline::after(BUDGET));
    assert_eq!(
        decrypted(&out).1,
        expected_body(&v, &json!("MsgE2eVec00000001"))
    );
    assert!(out.room_key_fetched && !out.fetched);
    assert_eq!(server.requests("subscriptions.getOne"), 1);

    // Only the key the message named was unwrapped and kept: another
    // message under it decrypts offline; an old key is fetched once when
    // a message first names it, and kept too.
    let offline = push(&v, "p03-apns-rc.v2-gcm-m02");
    let out = client.fetch_and_decrypt_blocking(
        &with_host(&offline["payload"], &server.url),
        Deadline::after(BUDGET),
    );
    assert_eq!(decrypted(&out).1, expected_body(&v, &offline["message_id"]));
    assert!(!out.room_key_fetched);
    for (n, id) in ["p11-apns-rc.v2-gcm-m10", "p12-fcm-v1-rc.v1-m11"]
        .into_iter()
        .enumerate()
    {
        let p = push(&v, id);
        for again in [false, true] {
            let out = client.fetch_and_decrypt_blocking(
                &with_host(&p["payload"], &server.url),
                Deadline::after(BUDGET),
            );
            assert_eq!(
                decrypted(&out).1,
                expected_body(&v, &p["message_id"]),
                "{id}"
            );
            assert_eq!(out.room_key_fetched, !again, "{id}");
        }
        assert_eq!(server.requests("subscriptions.getOne"), 2 + n as u64);
    }
}

#[test]
fn a_key_the_server_cannot_give_stays_a_missing_key() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let client = client(store(&v, &server.url, |_| true), test_config());
    let cases = [
        "p74-fcm-v1-unknown-room",
        "p75-ejson-unknown-kid",
        "p76-apns-wrapped-for-other-user",
    ];
    for id in cases {
        let out = client.fetch_and_decrypt_blocking(
            &with_host(&push(&v, id)["payload"], &server.url),
            Deadline::after(BUDGET),
        );
        let Outcome::Failed(f) = &out.outcome else {
            panic!("{id}: {:?}", out.outcome)
        };
        assert_eq!(f.reason, FailureReason::NoRoomKey, "{id}: {}", f.detail);
        assert_eq!(f.fallback_body, "Encrypted message");
        assert!(out.room_key_fetched, "{id}");
    }
    assert_eq!(server.requests("subscriptions.getOne"), cases.len() as u64);
}

#[test]
fn pushes_that_decrypt_offline_never_reach_the_network() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let client = client(store(&v, &server.url, |_| true), test_config());
    for id in [
        "p01-apns-rc.v2-gcm-m01",
        "p30-apns-plain-group",
        "p41-apns-gcm-tampered-ct",
        "p67-apns-no-ejson",
    ] {
        let out = client.fetch_and_decrypt_blocking(
            &with_host(&push(&v, id)["payload"], &server.url),
            Deadline::after(BUDGET),
        );
        assert_eq!(
            out.outcome.status(),
            push(&v, id)["expected"]["status"].as_str().unwrap(),
            "{id}"
        );
        assert!(!out.fetched && !out.room_key_fetched, "{id}");
    }
    assert_eq!(server.control(json!({}))["requests"], json!({}));
}

#[test]
fn a_server_that_fails_then_recovers_is_retried_within_the_deadline() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let mut config = test_config();
    config.request_timeout = Duration::from_millis(800);
    let client = client(store(&v, &server.url, |_| true), config);
    let bytes = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );
    let body = expected_body(&v, &json!("MsgE2eVec00000001"));

    server.control(json!({"mode": "unavailable", "count": 2}));
    let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(Duration::from_secs(8)));
    assert_eq!(decrypted(&out).1, body);
    assert_eq!(server.requests("push.get"), 3);

    // A first answer slower than the attempt timeout is abandoned and retried.
    server.control(json!({"mode": "slow", "count": 1, "delay_ms": 3000}));
    let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(Duration::from_secs(8)));
    assert_eq!(decrypted(&out).1, body);
    assert_eq!(server.requests("push.get"), 5);
}

/// The smallest executor: what a Swift or Kotlin caller looks like to the
/// async API (no Tokio anywhere on the calling side).
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

#[test]
fn the_async_api_runs_on_any_executor_and_can_be_cancelled() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let client = client(store(&v, &server.url, |_| true), test_config());
    let bytes = with_host(
        &push(&v, "p36-fcm-v1-idonly-rc.v2-cbc")["payload"],
        &server.url,
    );
    let out = block_on(client.fetch_and_decrypt(&bytes, Deadline::after(BUDGET)));
    assert_eq!(
        decrypted(&out).1,
        expected_body(&v, &json!("MsgE2eVec00000014"))
    );

    // Start a fetch against a stalled server, then drop it mid-flight.
    server.control(json!({"mode": "stall", "count": 1, "delay_ms": 5000}));
    {
        let waker = Waker::noop();
        let mut fut = pin!(client.fetch_and_decrypt(&bytes, Deadline::after(BUDGET)));
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(waker))
            .is_pending());
        while server.requests("push.get") < 2 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // The client is still usable, from the blocking API too.
    let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(BUDGET));
    assert!(out.fetched);
    assert_eq!(
        decrypted(&out).1,
        expected_body(&v, &json!("MsgE2eVec00000014"))
    );
}

/// The future must be `Send` for UniFFI's async support.
#[test]
fn the_async_api_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let v = vectors();
    let client = client(
        store(&v, "https://chat.example.org", |_| true),
        test_config(),
    );
    let fut = client.fetch_and_decrypt(b"{}", Deadline::after(BUDGET));
    assert_send(&fut);
    let password = pushseal::Password::from("pw");
    let unlock = client.unlock(
        "https://chat.example.org",
        &password,
        Deadline::after(BUDGET),
    );
    assert_send(&unlock);
}
