//! Fetch on receipt with the encrypted store: the app's read-write store
//! keeps a fetched room key, the extension's read-only store uses it for
//! the push at hand without writing.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pushseal::net::Deadline;
use pushseal::rocketchat::{AccountStore, Client};
use pushseal::store::{OpenMode, Store, StoreKey};
use pushseal::{Outcome, Password, SecretString};
use support::*;

const BUDGET: Duration = Duration::from_secs(20);

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("pushseal-net-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An app store logged in to `server` with the private key and no room keys.
fn app_store(dir: &TempDir, key: &StoreKey, server: &str) -> Store {
    let v = vectors();
    let store = Store::open(dir.0.join("store.db"), key, OpenMode::ReadWrite).unwrap();
    store.set_account(server, &device_user_id(&v)).unwrap();
    store
        .set_auth_token(server, SecretString::from(TOKEN))
        .unwrap();
    store
}

fn client_for(store: Store) -> Client {
    Client::new(test_config(), Arc::new(store) as Arc<dyn AccountStore>).unwrap()
}

fn body(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Decrypted(n) => n.body.expose(),
        other => panic!("expected a decryption, got {other:?}"),
    }
}

#[test]
fn the_app_store_keeps_a_fetched_room_key() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let dir = TempDir::new("rw");
    let key = StoreKey::generate();
    let store = app_store(&dir, &key, &server.url);
    let jwk = device_key(&v);
    store.set_private_key(&server.url, &jwk).unwrap();
    let client = client_for(store);

    let p01 = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
    let out = client.fetch_and_decrypt_blocking(&p01, Deadline::after(BUDGET));
    assert_eq!(
        body(&out.outcome),
        message(&v, "MsgE2eVec00000001")["expected_body"]
            .as_str()
            .unwrap()
    );
    assert!(out.room_key_fetched);

    // Another process opening the file sees the key.
    let nse = Store::open(dir.0.join("store.db"), &key, OpenMode::ReadOnly).unwrap();
    let p03 = with_host(&push(&v, "p03-apns-rc.v2-gcm-m02")["payload"], &server.url);
    assert_eq!(
        pushseal::rocketchat::decrypt_push(&p03, &nse).status(),
        "decrypted"
    );
}

#[test]
fn the_extension_store_uses_a_fetched_key_without_writing() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let dir = TempDir::new("ro");
    let key = StoreKey::generate();
    {
        let app = app_store(&dir, &key, &server.url);
        let client = client_for(app);
        let password = Password::from(v["device_user"]["password"].as_str().unwrap());
        client
            .unlock_blocking(&server.url, &password, Deadline::after(BUDGET))
            .unwrap();
    }
    let nse = client_for(Store::open(dir.0.join("store.db"), &key, OpenMode::ReadOnly).unwrap());
    for _ in 0..2 {
        let p01 = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
        let out = nse.fetch_and_decrypt_blocking(&p01, Deadline::after(BUDGET));
        assert_eq!(
            body(&out.outcome),
            message(&v, "MsgE2eVec00000001")["expected_body"]
                .as_str()
                .unwrap()
        );
        assert!(out.room_key_fetched);
    }
    // Nothing was stored: each push fetched the key again.
    assert_eq!(server.requests("subscriptions.getOne"), 2);

    // An id-only push in the extension: message and key both fetched.
    let p34 = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );
    let out = nse.fetch_and_decrypt_blocking(&p34, Deadline::after(BUDGET));
    assert!(out.fetched && out.room_key_fetched);
    assert_eq!(
        body(&out.outcome),
        message(&v, "MsgE2eVec00000001")["expected_body"]
            .as_str()
            .unwrap()
    );
}
