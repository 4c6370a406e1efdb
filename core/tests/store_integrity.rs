//! Damage to the store file is `Corrupt` ("key store is damaged: …"),
//! found at open before anything is written, and never taken for a wrong
//! key; only a key that does not fit is `WrongKey`. Every case runs on a
//! real store file.

mod store_support;

use std::path::Path;

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use sha2::{Digest, Sha256};
use store_support::*;

const MODES: [OpenMode; 2] = [OpenMode::ReadOnly, OpenMode::ReadWrite];

/// A closed store holding the vectors' keys, with no WAL left over.
fn seeded(dir: &TempDir, key: &StoreKey) -> serde_json::Value {
    let v = vectors();
    seeded_store(&dir.db(), key, &v).close().unwrap();
    let [_, wal, _] = store_files(&dir.db());
    let wal_len = std::fs::metadata(wal).map_or(0, |m| m.len());
    assert_eq!(wal_len, 0, "closing leaves no page in the WAL");
    v
}

fn digest(path: &Path) -> Vec<u8> {
    Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

fn assert_damaged(path: &Path, key: &StoreKey, case: &str) {
    let before = digest(path);
    for mode in MODES {
        let err = Store::open(path, key, mode).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt(_)),
            "{case}, {mode:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("key store is damaged: "),
            "{case}: {err}"
        );
    }
    assert_eq!(digest(path), before, "{case}: the open wrote to the file");
}

fn assert_all_pushes_decrypt(path: &Path, key: &StoreKey, v: &serde_json::Value) {
    let store = Store::open(path, key, OpenMode::ReadOnly).unwrap();
    for (id, push, body) in decrypted_pushes(v) {
        assert_eq!(decrypt_push(&push, &store).display().1, body, "{id}");
    }
    store.check_integrity().unwrap();
}

#[test]
fn a_flipped_clear_header_byte_is_damage() {
    let dir = TempDir::new("header-flip");
    let key = StoreKey::generate();
    let v = seeded(&dir, &key);
    let good = std::fs::read(dir.db()).unwrap();
    for offset in [16, 17, 18, 19, 20, 21, 22, 23, 28, 29, 30, 31] {
        for flip in [0x01u8, 0x80] {
            let mut bad = good.clone();
            bad[offset] ^= flip;
            std::fs::write(dir.db(), &bad).unwrap();
            assert_damaged(&dir.db(), &key, &format!("byte {offset} ^ {flip:#x}"));
        }
    }
    std::fs::write(dir.db(), &good).unwrap();
    assert_all_pushes_decrypt(&dir.db(), &key, &v);
}

/// Issue 9, item 9: with byte 20 flipped, the store used to open, accept an
/// import, and be damaged from then on.
#[test]
fn a_flipped_reserved_bytes_count_stops_the_write_that_would_damage() {
    let dir = TempDir::new("byte-20");
    let key = StoreKey::generate();
    let v = seeded(&dir, &key);
    let mut bytes = std::fs::read(dir.db()).unwrap();
    bytes[20] ^= 0x01;
    std::fs::write(dir.db(), &bytes).unwrap();
    let err = Store::open(dir.db(), &key, OpenMode::ReadWrite).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("reserves")),
        "{err:?}"
    );
    bytes[20] ^= 0x01;
    std::fs::write(dir.db(), &bytes).unwrap();
    let store = Store::open(dir.db(), &key, OpenMode::ReadWrite).unwrap();
    let fresh = FreshKey::new(&v, "after-repair");
    store
        .import_subscriptions(SERVER, &[fresh.subscription("AfterRepair")])
        .unwrap();
    store.close().unwrap();
    assert_all_pushes_decrypt(&dir.db(), &key, &v);
}

#[test]
fn a_truncated_file_is_damage_not_a_wrong_key() {
    let dir = TempDir::new("truncated");
    let key = StoreKey::generate();
    seeded(&dir, &key);
    let good = std::fs::read(dir.db()).unwrap();
    assert!(good.len() >= 4 * 4096, "{} bytes", good.len());
    for len in [
        100,
        4096,
        10_000,
        good.len() / 2,
        good.len() / 4096 / 2 * 4096,
    ] {
        std::fs::write(dir.db(), &good[..len]).unwrap();
        assert_damaged(&dir.db(), &key, &format!("truncated to {len} bytes"));
    }
}

#[test]
fn damage_inside_page_one_is_not_a_wrong_key() {
    let dir = TempDir::new("page-one");
    let key = StoreKey::generate();
    seeded(&dir, &key);
    let mut bytes = std::fs::read(dir.db()).unwrap();
    bytes[200] ^= 0x01;
    std::fs::write(dir.db(), &bytes).unwrap();
    assert_damaged(&dir.db(), &key, "byte 200 of page 1");
    // A wrong key on the same damaged file is still a wrong key.
    for mode in MODES {
        let err = Store::open(dir.db(), &StoreKey::generate(), mode).unwrap_err();
        assert_eq!(err, StoreError::WrongKey, "{mode:?}");
    }
}

#[test]
fn an_empty_file_is_damage_and_never_initialised() {
    let dir = TempDir::new("empty");
    std::fs::write(dir.db(), b"").unwrap();
    assert_damaged(&dir.db(), &StoreKey::generate(), "0-byte file");
    assert_eq!(std::fs::metadata(dir.db()).unwrap().len(), 0);
}

#[test]
fn a_wrong_key_on_a_good_store_is_still_wrong_key() {
    let dir = TempDir::new("wrong-key-good");
    seeded(&dir, &StoreKey::generate());
    for mode in MODES {
        let err = Store::open(dir.db(), &StoreKey::generate(), mode).unwrap_err();
        assert_eq!(err, StoreError::WrongKey, "{mode:?}");
    }
}
