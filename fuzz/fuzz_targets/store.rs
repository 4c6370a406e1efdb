//! The key store opened on damaged file bytes. A good store (the vectors'
//! account and rooms) is made once; each input either edits bytes of it
//! (first byte even) or is the whole file (first byte odd). The damaged
//! file is opened read-only and read-write with the right key, and used to
//! decrypt one vector push per room: no panic, and safe text always.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreKey};
use pushseal_fuzz::*;

const KEY: [u8; 32] = [0x5a; 32];

fn dir() -> &'static Path {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        // Memory-backed when there is one: SQLite syncs on every commit.
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("pushseal-fuzz-store-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    })
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// The bytes of a good, closed store.
fn good_store() -> &'static [u8] {
    static G: OnceLock<Vec<u8>> = OnceLock::new();
    G.get_or_init(|| {
        let path = dir().join("good.db");
        remove(&path);
        let store =
            Store::open(&path, &StoreKey::from_bytes(KEY), OpenMode::ReadWrite).expect("new store");
        store
            .set_account(server(), device_user_id())
            .expect("account");
        store
            .set_private_key(server(), device_key())
            .expect("private key");
        store
            .import_subscriptions(server(), &subscriptions())
            .expect("import");
        store
            .set_auth_token(server(), "fuzz-token".into())
            .expect("token");
        store.close().expect("close");
        let bytes = std::fs::read(&path).expect("read store");
        remove(&path);
        bytes
    })
}

/// Edits of 4 bytes: a 24-bit offset (little-endian, modulo the length)
/// and the byte to put there. A first byte of 2 mod 4 also cuts the file
/// to `second byte / 256` of its length first.
fn damaged(input: &[u8]) -> Vec<u8> {
    let mut bytes = good_store().to_vec();
    let mut edits = &input[1..];
    if input[0] % 4 == 2 {
        if let Some((&cut, rest)) = edits.split_first() {
            bytes.truncate(bytes.len() * usize::from(cut) / 256);
            edits = rest;
        }
    }
    for e in edits.chunks_exact(4) {
        if bytes.is_empty() {
            break;
        }
        let at =
            (usize::from(e[0]) | usize::from(e[1]) << 8 | usize::from(e[2]) << 16) % bytes.len();
        bytes[at] = e[3];
    }
    bytes
}

fn use_store(path: &Path, mode: OpenMode) {
    let Ok(store) = Store::open(path, &StoreKey::from_bytes(KEY), mode) else {
        return;
    };
    for push in one_push_per_room() {
        assert_safe(&decrypt_push(push, &store), &[push]);
    }
    let _ = store.auth(server());
    let _ = store.private_key(server());
    let _ = store.info();
    if mode == OpenMode::ReadWrite {
        let _ = store.set_auth_token(server(), "fuzz-token-2".into());
        for push in one_push_per_room() {
            assert_safe(&decrypt_push(push, &store), &[push]);
        }
    }
    let _ = store.close();
}

fuzz_target!(|data: &[u8]| {
    let Some(&first) = data.first() else {
        return;
    };
    let file = if first % 2 == 1 {
        data[1..].to_vec()
    } else {
        damaged(data)
    };
    let path = dir().join("fuzz.db");
    remove(&path);
    if std::fs::write(&path, &file).is_err() {
        return;
    }
    use_store(&path, OpenMode::ReadOnly);
    use_store(&path, OpenMode::ReadWrite);
    remove(&path);
});
