//! `pause()` and `close()` leave no file of the store open, so iOS finds no
//! lock held when it suspends the app (0xdead10cc).

mod store_support;

use std::path::Path;

use pushseal::rocketchat::{decrypt_push, KeyLookup};
use pushseal::store::{OpenMode, Store, StoreKey};
use store_support::*;

/// Open descriptors of this process that point at the store's files.
fn open_store_files(db: &Path) -> usize {
    let files = store_files(db);
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| files.iter().any(|f| f == target))
        .count()
}

#[test]
fn pause_and_close_release_every_descriptor() {
    let v = vectors();
    let dir = TempDir::new("fds");
    let key = StoreKey::generate();
    let db = dir.db().canonicalize().unwrap_or(dir.db());
    let app = seeded_store(&dir.db(), &key, &v);
    let nse = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap();
    let (_, push, body) = decrypted_pushes(&v).remove(0);
    assert_eq!(decrypt_push(&push, &nse).display().1, body);
    assert!(open_store_files(&db) >= 3, "db, -wal and -shm are open");

    nse.pause().unwrap();
    app.pause().unwrap();
    assert_eq!(open_store_files(&db), 0, "pause released everything");
    let [_, wal, _] = store_files(&db);
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) == 0,
        "the WAL was checkpointed"
    );

    // The next call reopens by itself.
    assert_eq!(decrypt_push(&push, &nse).display().1, body);
    app.set_auth_token(SERVER, "t".into()).unwrap();
    assert!(open_store_files(&db) > 0);

    app.close().unwrap();
    nse.close().unwrap();
    assert_eq!(open_store_files(&db), 0, "close released everything");
    assert!(nse.room_keys(SERVER, "r").is_err());
    assert_eq!(open_store_files(&db), 0, "a closed store stays closed");
}
