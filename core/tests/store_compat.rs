//! A store written by an earlier build still opens, reads, decrypts and
//! takes writes: core/tests/data/store-openssl.db was made by the
//! OpenSSL-backed SQLCipher build (see core/tests/data/README.md), and
//! every build since must read its pages byte for byte the same way.
// The fixture holds a Rocket.Chat account and keys.
#![cfg(feature = "rocketchat")]

mod store_support;

use std::path::{Path, PathBuf};

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use store_support::*;

/// The key the fixture was made with (PUSHSEAL_STORE_KEY, hex).
const FIXTURE_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

fn fixture() -> PathBuf {
    repo().join("core/tests/data/store-openssl.db")
}

/// A private copy of the fixture, so no test changes the committed file.
fn copy(dir: &TempDir) -> PathBuf {
    std::fs::copy(fixture(), dir.db()).unwrap();
    dir.db()
}

fn key() -> StoreKey {
    StoreKey::from_hex(FIXTURE_KEY).unwrap()
}

fn assert_pushes_decrypt(path: &Path, v: &serde_json::Value) -> usize {
    let store = Store::open(path, &key(), OpenMode::ReadOnly).unwrap();
    let pushes = decrypted_pushes(v);
    for (id, push, body) in &pushes {
        assert_eq!(&decrypt_push(push, &store).display().1, body, "{id}");
    }
    store.check_integrity().unwrap();
    store.close().unwrap();
    pushes.len()
}

#[test]
fn an_earlier_builds_store_reads_decrypts_and_takes_writes() {
    let v = vectors();
    let dir = TempDir::new("compat");
    let path = copy(&dir);

    // The fixture is schema 3. The extension's read-only open cannot
    // migrate it and says so; the app's first read-write open does.
    let err = Store::open(&path, &key(), OpenMode::ReadOnly).unwrap_err();
    assert!(
        matches!(err, StoreError::NotMigrated { found: 3, .. }),
        "{err:?}"
    );
    Store::open(&path, &key(), OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();

    let decrypted = assert_pushes_decrypt(&path, &v);
    assert!(decrypted > 10, "only {decrypted} vector pushes to decrypt");
    let store = Store::open(&path, &key(), OpenMode::ReadOnly).unwrap();
    let info = store.info().unwrap();
    assert_eq!(info.len(), 1, "{info:?}");
    assert_eq!(info[0].server, SERVER);
    assert_eq!(info[0].user_id, device_user_id(&v));
    assert!(info[0].has_private_key);
    store.close().unwrap();

    // A write through this build, then everything read back.
    let store = Store::open(&path, &key(), OpenMode::ReadWrite).unwrap();
    store
        .set_account("https://second.example.org", "u-second")
        .unwrap();
    store.close().unwrap();
    let store = Store::open(&path, &key(), OpenMode::ReadOnly).unwrap();
    assert_eq!(
        store
            .user_id("https://second.example.org")
            .unwrap()
            .as_deref(),
        Some("u-second")
    );
    assert_eq!(store.info().unwrap().len(), 2);
    store.close().unwrap();
    assert_eq!(assert_pushes_decrypt(&path, &v), decrypted);
}

#[test]
fn an_earlier_builds_store_refuses_a_wrong_key() {
    let dir = TempDir::new("compat-wrong-key");
    let path = copy(&dir);
    for mode in [OpenMode::ReadOnly, OpenMode::ReadWrite] {
        let err = Store::open(&path, &StoreKey::generate(), mode).unwrap_err();
        assert_eq!(err, StoreError::WrongKey, "{mode:?}");
    }
}

#[test]
fn an_earlier_builds_store_damaged_is_corrupt() {
    let dir = TempDir::new("compat-damaged");
    let good = std::fs::read(fixture()).unwrap();
    assert!(good.len() >= 3 * 4096, "{} bytes", good.len());
    // One bit inside page 1's ciphertext (past the clear header): found at
    // open, and told apart from a wrong key by the other pages' HMACs.
    let mut bytes = good.clone();
    bytes[200] ^= 0x01;
    std::fs::write(dir.db(), &bytes).unwrap();
    for mode in [OpenMode::ReadOnly, OpenMode::ReadWrite] {
        let err = Store::open(dir.db(), &key(), mode).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(_)),
            "page 1, {mode:?}: {err:?}"
        );
    }
    // One bit inside the last page: its HMAC no longer verifies.
    let mut bytes = good;
    let last = bytes.len() - 4096 + 100;
    bytes[last] ^= 0x01;
    std::fs::write(dir.db(), &bytes).unwrap();
    // Read-write: a read-only open would stop at the schema version first.
    let err = match Store::open(dir.db(), &key(), OpenMode::ReadWrite) {
        Err(e) => e,
        Ok(store) => store.check_integrity().unwrap_err(),
    };
    assert!(matches!(err, StoreError::Corrupt(_)), "last page: {err:?}");
}

/// Off Apple, SQLCipher runs on pushseal's RustCrypto provider, never on a
/// libcrypto (Apple builds use CommonCrypto).
#[test]
fn sqlcipher_runs_on_the_rustcrypto_provider() {
    let dir = TempDir::new("compat-provider");
    let path = copy(&dir);
    let conn = raw_connection(&path, &key());
    let provider: String = conn
        .query_row("PRAGMA cipher_provider", [], |r| r.get(0))
        .unwrap();
    let expected = if cfg!(target_vendor = "apple") {
        "commoncrypto"
    } else {
        "pushseal-rustcrypto"
    };
    assert_eq!(provider, expected);
    let cipher: String = conn.query_row("PRAGMA cipher", [], |r| r.get(0)).unwrap();
    assert!(cipher.eq_ignore_ascii_case("aes-256-cbc"), "{cipher}");
}
