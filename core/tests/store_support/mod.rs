//! Shared fixtures for the store tests: the committed vectors
//! (tests/vectors/), temporary folders, and fresh room keys wrapped for the
//! vectors' device user, for tests that need keys the vectors lack.
#![allow(dead_code)]

#[path = "../fixtures/mod.rs"]
mod fixtures;
pub use fixtures::*;
pub mod stress;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use pushseal::rocketchat::Subscription;
use pushseal::store::{OpenMode, Store, StoreKey};
use rand_core::{OsRng, RngCore};
use rsa::{BoxedUint, PublicKey};
use serde_json::{json, Value};
use sha2::Sha256;

pub const SERVER: &str = "https://chat.example.org";

/// Pushes the vectors expect to decrypt, as (id, bytes, expected body).
pub fn decrypted_pushes(v: &Value) -> Vec<(String, Vec<u8>, String)> {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["expected"]["status"] == "decrypted")
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                serde_json::to_vec(&p["payload"]).unwrap(),
                p["expected"]["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A store holding the device user's account, private key and every room.
pub fn seeded_store(path: &Path, key: &StoreKey, v: &Value) -> Store {
    let store = Store::open(path, key, OpenMode::ReadWrite).unwrap();
    store.set_account(SERVER, &device_user_id(v)).unwrap();
    store.set_private_key(SERVER, &device_key(v)).unwrap();
    store
        .import_subscriptions(SERVER, &subscriptions(v))
        .unwrap();
    store
}

/// A folder under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pushseal-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn db(&self) -> PathBuf {
        self.0.join("store.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The database, its WAL and its shared-memory file.
pub fn store_files(db: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut s = db.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

/// A fresh AES-256-GCM room key, wrapped for the vectors' device user the
/// way Rocket.Chat's web client wraps it: `kid ‖ base64(RSA-OAEP(JWK))`.
pub struct FreshKey {
    pub kid: String,
    pub raw: [u8; 32],
    pub e2e_key: String,
}

impl FreshKey {
    pub fn new(v: &Value, kid: &str) -> Self {
        let mut raw = [0u8; 32];
        OsRng.fill_bytes(&mut raw);
        let jwk = json!({"alg": "A256GCM", "ext": true, "k": URL_SAFE_NO_PAD.encode(raw),
            "key_ops": ["encrypt", "decrypt"], "kty": "oct"});
        let public = &v["device_user"]["public_jwk"];
        let num = |k: &str| {
            BoxedUint::from_be_slice_vartime(
                &URL_SAFE_NO_PAD.decode(public[k].as_str().unwrap()).unwrap(),
            )
        };
        let public = PublicKey::new(num("n"), num("e")).unwrap();
        let wrapped = public
            .oaep_encrypt::<rsa::sha2::Sha256>(jwk.to_string().as_bytes())
            .unwrap();
        Self {
            kid: kid.to_owned(),
            raw,
            e2e_key: format!("{kid}{}", STANDARD.encode(wrapped)),
        }
    }

    pub fn subscription(&self, rid: &str) -> Subscription {
        serde_json::from_value(json!({"rid": rid, "t": "p", "name": rid, "E2EKey": self.e2e_key}))
            .unwrap()
    }

    /// An APNs push with an rc.v2 message under this key.
    pub fn push(&self, server: &str, rid: &str, text: &str) -> Vec<u8> {
        let mut iv = [0u8; 12];
        OsRng.fill_bytes(&mut iv);
        let plain = json!({ "msg": text }).to_string();
        let ct = Aes256Gcm::new_from_slice(&self.raw)
            .unwrap()
            .encrypt(Nonce::from_slice(&iv), plain.as_bytes())
            .unwrap();
        let ejson = json!({
            "host": server, "messageId": "StoreTestMsg0001", "notificationType": "message",
            "rid": rid, "sender": {"_id": "AlicE2eUsr7Kq9Zx3", "username": "alice", "name": "Alice"},
            "senderName": "alice", "type": "p", "name": rid, "messageType": "e2e", "msg": "",
            "content": {"algorithm": "rc.v2.aes-sha2", "kid": self.kid,
                "iv": STANDARD.encode(iv), "ciphertext": STANDARD.encode(ct)}
        });
        serde_json::to_vec(&json!({"ejson": ejson.to_string(), "messageFrom": "push",
            "aps": {"alert": {"title": "#room", "body": "alice: "}, "mutable-content": 1}}))
        .unwrap()
    }
}

/// A connection to a store without pushseal's checks, keyed the way
/// docs/store.md describes: raw key, salt from the key, clear header.
pub fn raw_connection(db: &Path, key: &StoreKey) -> rusqlite::Connection {
    use sha2::Digest;
    let salt = Sha256::new()
        .chain_update(b"pushseal/store/sqlcipher-salt/v1\0")
        .chain_update(key.expose())
        .finalize();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA key = \"x'{}{}'\"; PRAGMA cipher_plaintext_header_size = 32;",
        hex(key.expose()),
        hex(&salt[..16])
    ))
    .unwrap();
    conn
}

/// Waits for a child process, killing it and failing past `limit` (a stuck
/// child fails the run instead of hanging it); the child must succeed.
/// Returns its standard output.
pub fn child_output(
    mut child: std::process::Child,
    what: &str,
    limit: std::time::Duration,
) -> String {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("{what} ran past {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
