//! RSA on the network paths (issue 9, items 2 and 8), against the fake
//! server on 127.0.0.1: a push that lacks a room key costs one unwrap, in
//! the extension's read-only store as in the app's; huge answers (2,000
//! old keys, 2,000 subscriptions, 20,000 keys waiting for the private key)
//! return by the deadline with a typed timeout, keeping the work done.
//!
//! Unwraps are counted process-wide (`rsa_unwraps`), so the tests here run
//! one at a time.

mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pushseal::net::Deadline;
use pushseal::rocketchat::{rsa_unwraps, Subscription};
use pushseal::rocketchat::{AccountStore, Client};
use pushseal::store::{OpenMode, Store, StoreKey};
use pushseal::{Error, Outcome, Password, SecretString};
use serde_json::Value;
use support::hostile::{self, ROOM};
use support::*;

/// The deadline of item 8, and the room left for a loaded 2-core machine
/// past it (one unwrap, one write, thread scheduling).
const DEADLINE: Duration = Duration::from_secs(2);
const MARGIN: Duration = Duration::from_secs(3);
const BUDGET: Duration = Duration::from_secs(30);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pushseal-rsa-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn store(&self) -> PathBuf {
        self.0.join("store.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An app store logged in to `server`, with the private key if asked.
fn app_store(dir: &TempDir, key: &StoreKey, server: &str, private_key: bool) -> Store {
    let v = vectors();
    let store = Store::open(dir.store(), key, OpenMode::ReadWrite).unwrap();
    store.set_account(server, &device_user_id(&v)).unwrap();
    store
        .set_auth_token(server, SecretString::from(TOKEN))
        .unwrap();
    if private_key {
        store.set_private_key(server, &device_key(&v)).unwrap();
    }
    store
}

/// The extension's view of the same file.
fn extension_store(dir: &TempDir, key: &StoreKey) -> Store {
    Store::open(dir.store(), key, OpenMode::ReadOnly).unwrap()
}

fn client_for(store: Store) -> Client {
    Client::new(test_config(), Arc::new(store) as Arc<dyn AccountStore>).unwrap()
}

fn stored_keys(store: &Store) -> (usize, usize) {
    let info = store.info().unwrap();
    let keys = info[0].rooms.iter().map(|r| r.keys).sum();
    (keys, info[0].pending_keys)
}

/// Fetches and decrypts `push_id`, returning the outcome and the unwraps it cost.
fn push_costs(client: &Client, server: &str, push_id: &str) -> (Outcome, u64, bool) {
    let v = vectors();
    let bytes = with_host(&push(&v, push_id)["payload"], server);
    let before = rsa_unwraps();
    let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(BUDGET));
    (out.outcome, rsa_unwraps() - before, out.room_key_fetched)
}

fn expect_body(outcome: &Outcome, push_id: &str) {
    let v = vectors();
    let want = expected_body(&v, &push(&v, push_id)["message_id"]);
    match outcome {
        Outcome::Decrypted(n) => assert_eq!(n.body.expose(), want, "{push_id}"),
        other => panic!("{push_id}: expected a decryption, got {other:?}"),
    }
}

fn expected_body(v: &Value, id: &Value) -> String {
    message(v, id.as_str().unwrap())["expected_body"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_read_only_store_unwraps_only_the_named_key_once_per_push() {
    let _one = serial();
    let server = FakeServer::http(&[]);
    let dir = TempDir::new("ro");
    let key = StoreKey::generate();
    app_store(&dir, &key, &server.url, true).close().unwrap();
    let client = client_for(extension_store(&dir, &key));
    // The room has three wrapped keys; the current one, then each old one.
    for id in [
        "p01-apns-rc.v2-gcm-m01",
        "p03-apns-rc.v2-gcm-m02",
        "p11-apns-rc.v2-gcm-m10",
        "p12-fcm-v1-rc.v1-m11",
    ] {
        let (outcome, unwraps, fetched) = push_costs(&client, &server.url, id);
        expect_body(&outcome, id);
        assert!(fetched, "{id}: the read-only store cannot keep the key");
        assert_eq!(unwraps, 1, "{id}");
    }
    assert_eq!(server.requests("subscriptions.getOne"), 4);
}

#[test]
fn the_app_store_unwraps_the_named_key_once_then_never_again() {
    let _one = serial();
    let server = FakeServer::http(&[]);
    let dir = TempDir::new("rw");
    let key = StoreKey::generate();
    let client = client_for(app_store(&dir, &key, &server.url, true));
    let (outcome, unwraps, fetched) = push_costs(&client, &server.url, "p01-apns-rc.v2-gcm-m01");
    expect_body(&outcome, "p01-apns-rc.v2-gcm-m01");
    assert_eq!((unwraps, fetched), (1, true));
    let (outcome, unwraps, fetched) = push_costs(&client, &server.url, "p03-apns-rc.v2-gcm-m02");
    expect_body(&outcome, "p03-apns-rc.v2-gcm-m02");
    assert_eq!((unwraps, fetched), (0, false));
}

#[test]
fn a_subscription_with_2000_old_keys_costs_one_unwrap_within_the_deadline() {
    let _one = serial();
    let v = vectors();
    let dir = TempDir::new("old-keys");
    let fixtures = hostile::fixtures(&v, vec![hostile::room_with_old_keys(&v, 2000)], &dir.0);
    let server = hostile::server(&fixtures);
    let key = StoreKey::generate();
    app_store(&dir, &key, &server.url, true).close().unwrap();
    let client = client_for(extension_store(&dir, &key));
    let current = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
    // The real old keys sit after 2,000 others, past the cap: a message
    // under one of them falls back to the current key, and fails typed.
    let old = with_host(&push(&v, "p11-apns-rc.v2-gcm-m10")["payload"], &server.url);

    for (bytes, decrypts) in [(current, true), (old, false)] {
        let before = rsa_unwraps();
        let started = Instant::now();
        let out = client.fetch_and_decrypt_blocking(&bytes, Deadline::after(DEADLINE));
        let took = started.elapsed();
        eprintln!("2,000 old keys: {took:?}, {}", out.outcome.status());
        assert!(took < DEADLINE + MARGIN, "took {took:?}");
        assert_eq!(rsa_unwraps() - before, 1);
        match (&out.outcome, decrypts) {
            (Outcome::Decrypted(_), true) => {}
            (Outcome::Failed(f), false) => {
                assert_eq!(f.reason, pushseal::FailureReason::NoRoomKey, "{}", f.detail)
            }
            (other, _) => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_sync_of_2000_subscriptions_returns_by_the_deadline_keeping_its_work() {
    let _one = serial();
    let v = vectors();
    let dir = TempDir::new("sync");
    let fixtures = hostile::fixtures(&v, hostile::many_rooms(&v, 2000), &dir.0);
    let server = hostile::server(&fixtures);
    let key = StoreKey::generate();
    let store = Arc::new(app_store(&dir, &key, &server.url, true));
    let client = Client::new(test_config(), store.clone() as Arc<dyn AccountStore>).unwrap();

    let mut kept = 0;
    for round in 0..2 {
        let started = Instant::now();
        let result = client.sync_blocking(&server.url, Deadline::after(DEADLINE));
        let took = started.elapsed();
        assert!(took < DEADLINE + MARGIN, "round {round} took {took:?}");
        let (keys, _) = stored_keys(&store);
        eprintln!("sync round {round}: {took:?}, {keys} keys stored, {result:?}");
        match result {
            Ok(report) => {
                // A machine fast enough to finish: everything is there.
                assert_eq!(keys, 2000, "{report:?}");
                return;
            }
            Err(Error::Timeout(detail)) => {
                assert!(detail.contains("pending"), "{detail}");
                // Work done before the deadline is stored, and the next
                // sync carries on from it.
                assert!(
                    keys > kept && keys < 2000,
                    "round {round}: {kept} then {keys}"
                );
                kept = keys;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
}

#[test]
fn an_unlock_with_20000_pending_keys_returns_by_the_deadline_keeping_its_work() {
    let _one = serial();
    let v = vectors();
    let server = FakeServer::http(&[]);
    let dir = TempDir::new("unlock");
    let key = StoreKey::generate();
    let store = Arc::new(app_store(&dir, &key, &server.url, false));
    let subs: Vec<Subscription> = hostile::subscriptions_of(&hostile::many_rooms(&v, 20_000))
        .into_iter()
        .map(|s| serde_json::from_value(s).unwrap())
        .collect();
    store.import_subscriptions(&server.url, &subs).unwrap();
    assert_eq!(stored_keys(&store), (0, 20_000));
    let client = Client::new(test_config(), store.clone() as Arc<dyn AccountStore>).unwrap();
    let password = Password::from(v["device_user"]["password"].as_str().unwrap());

    let started = Instant::now();
    let result = client.unlock_blocking(&server.url, &password, Deadline::after(DEADLINE));
    let took = started.elapsed();
    assert!(took < DEADLINE + MARGIN, "took {took:?}");
    let Err(Error::Timeout(detail)) = result else {
        panic!("expected a timeout, got {result:?}")
    };
    assert!(detail.contains("pending"), "{detail}");
    assert!(store.private_key(&server.url).unwrap().is_some());
    let (keys, pending) = stored_keys(&store);
    eprintln!("unlock: {took:?}, {keys} keys stored, {pending} pending");
    assert!(keys > 0 && pending > 0, "{keys} stored, {pending} pending");
    assert_eq!(keys + pending, 20_000);
}

#[test]
fn key_calls_refuse_a_read_only_store_before_any_request() {
    let _one = serial();
    let v = vectors();
    let server = FakeServer::http(&[]);
    let dir = TempDir::new("ro-calls");
    let key = StoreKey::generate();
    app_store(&dir, &key, &server.url, true).close().unwrap();
    let client = client_for(extension_store(&dir, &key));
    let deadline = Deadline::after(BUDGET);
    let password = Password::from(v["device_user"]["password"].as_str().unwrap());
    let read_only = |r: Result<(), Error>| {
        assert!(
            matches!(r, Err(Error::Store(pushseal::store::StoreError::ReadOnly))),
            "{r:?}"
        )
    };
    read_only(client.sync_blocking(&server.url, deadline).map(drop));
    read_only(client.unlock_blocking(&server.url, &password, deadline));
    read_only(
        client
            .fetch_room_key_blocking(&server.url, ROOM, deadline)
            .map(drop),
    );
    for endpoint in [
        "subscriptions.get",
        "subscriptions.getOne",
        "e2e.fetchMyKeys",
    ] {
        assert_eq!(server.requests(endpoint), 0, "{endpoint}");
    }
}
