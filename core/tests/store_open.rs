//! Opening the store: every way it can fail has its own error, read-only
//! opens never write, and a rekeyed store opens only with the new key.

mod store_support;

use pushseal::rocketchat::{decrypt_push, KeyLookup};
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use pushseal::Error;
use sha2::{Digest, Sha256};
use store_support::*;

#[test]
fn wrong_key_is_wrong_key() {
    let dir = TempDir::new("wrong-key");
    let store = Store::open(dir.db(), &StoreKey::generate(), OpenMode::ReadWrite).unwrap();
    store.set_account(SERVER, "u1").unwrap();
    store.close().unwrap();
    for mode in [OpenMode::ReadOnly, OpenMode::ReadWrite] {
        let err = Store::open(dir.db(), &StoreKey::generate(), mode).unwrap_err();
        assert_eq!(err, StoreError::WrongKey, "{mode:?}");
    }
}

#[test]
fn missing_file_is_not_found() {
    let dir = TempDir::new("missing");
    let err = Store::open(dir.db(), &StoreKey::generate(), OpenMode::ReadOnly).unwrap_err();
    assert_eq!(err, StoreError::NotFound);
    assert!(!dir.db().exists(), "a read-only open creates nothing");
    let nowhere = dir.path().join("no-such-folder/store.db");
    let err = Store::open(&nowhere, &StoreKey::generate(), OpenMode::ReadWrite).unwrap_err();
    assert_eq!(err, StoreError::NotFound);
}

#[test]
fn files_that_are_not_stores_are_corrupt_never_plaintext() {
    let dir = TempDir::new("not-a-store");
    let key = StoreKey::generate();

    // A plain SQLite database: never read as if it were the store.
    let plain_path = dir.path().join("plain.db");
    let plain = rusqlite::Connection::open(&plain_path).unwrap();
    plain
        .execute_batch("CREATE TABLE accounts (server TEXT); INSERT INTO accounts VALUES ('x');")
        .unwrap();
    drop(plain);
    let err = Store::open(&plain_path, &key, OpenMode::ReadWrite).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("unencrypted")),
        "{err:?}"
    );

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let err = Store::open(&garbage, &key, OpenMode::ReadOnly).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

    let err = Store::open(dir.path(), &key, OpenMode::ReadOnly).unwrap_err();
    assert!(
        matches!(err, StoreError::Unreadable(_)),
        "a folder: {err:?}"
    );
}

const LOCKED_CHILD: &str = "PUSHSEAL_TEST_LOCKED_STORE";

/// iOS data protection and a missing permission both refuse the open with
/// EPERM/EACCES. Root ignores file modes, so as root the check runs in a
/// child process demoted to `nobody`.
#[test]
fn unreadable_file_is_locked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("locked");
    let key = StoreKey::generate();
    Store::open(dir.db(), &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let root = status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if !root {
        std::fs::set_permissions(dir.db(), std::fs::Permissions::from_mode(0o000)).unwrap();
        let err = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap_err();
        std::fs::set_permissions(dir.db(), std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(err, StoreError::Locked);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let demoted = || {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        cmd
    };
    let can_run = demoted().arg("test").arg("-x").arg(&exe).status();
    if !can_run.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: running as root, and user nobody cannot run {} (setpriv missing or a private folder)", exe.display());
        return;
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.db(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = demoted()
        .arg(&exe)
        .args([
            "--exact",
            "unreadable_file_is_locked_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LOCKED_CHILD, dir.db())
        .env("PUSHSEAL_TEST_STORE_KEY", key.to_hex().expose())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD locked ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The child half of `unreadable_file_is_locked`; does nothing on its own.
#[test]
fn unreadable_file_is_locked_child() {
    let Some(path) = std::env::var_os(LOCKED_CHILD) else {
        return;
    };
    let key = StoreKey::from_hex(&std::env::var("PUSHSEAL_TEST_STORE_KEY").unwrap()).unwrap();
    assert_eq!(
        Store::open(&path, &key, OpenMode::ReadOnly).unwrap_err(),
        StoreError::Locked
    );
    assert_eq!(
        Store::open(&path, &key, OpenMode::ReadWrite).unwrap_err(),
        StoreError::Locked
    );
    println!("CHILD locked ok");
}

#[test]
fn read_only_needs_a_migrated_store() {
    let dir = TempDir::new("unmigrated");
    let key = StoreKey::generate();
    Store::open(dir.db(), &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();
    // As an older build left it (the tables do not matter to the check).
    raw_connection(&dir.db(), &key)
        .pragma_update(None, "user_version", 1)
        .unwrap();
    let err = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap_err();
    assert!(
        matches!(err, StoreError::NotMigrated { found: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn read_only_never_writes() {
    let v = vectors();
    let dir = TempDir::new("read-only");
    let key = StoreKey::generate();
    seeded_store(&dir.db(), &key, &v).close().unwrap();
    let digest = || Sha256::digest(std::fs::read(dir.db()).unwrap());
    let before = digest();

    let nse = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap();
    for (id, push, body) in decrypted_pushes(&v) {
        let outcome = decrypt_push(&push, &nse);
        assert_eq!(outcome.display().1, body, "{id}");
    }
    assert_eq!(
        nse.set_account(SERVER, "someone").unwrap_err(),
        StoreError::ReadOnly
    );
    assert_eq!(
        nse.rekey(&StoreKey::generate()).unwrap_err(),
        StoreError::ReadOnly
    );
    nse.pause().unwrap();
    nse.info().unwrap();
    nse.close().unwrap();
    assert_eq!(
        digest(),
        before,
        "the database file is byte-for-byte unchanged"
    );
}

#[test]
fn closed_store_says_closed() {
    let dir = TempDir::new("closed");
    let store = Store::open(dir.db(), &StoreKey::generate(), OpenMode::ReadWrite).unwrap();
    store.close().unwrap();
    assert_eq!(store.info().unwrap_err(), StoreError::Closed);
    assert!(matches!(store.room_keys(SERVER, "r"), Err(Error::Store(_))));
    store.close().unwrap();
}

#[test]
fn rekey_switches_keys_and_keeps_data() {
    let v = vectors();
    let dir = TempDir::new("rekey");
    let old = StoreKey::generate();
    let new = StoreKey::generate();
    let app = seeded_store(&dir.db(), &old, &v);
    app.set_auth_token(SERVER, "tok".into()).unwrap();
    let nse = Store::open(dir.db(), &old, OpenMode::ReadOnly).unwrap();

    app.rekey(&new).unwrap();
    // The app goes on with the new key, also after reopening lazily.
    app.pause().unwrap();
    assert_eq!(app.auth(SERVER).unwrap().unwrap().1.expose(), "tok");
    // The extension's open connection still has the old key.
    assert!(
        matches!(nse.info(), Err(StoreError::WrongKey)),
        "{:?}",
        nse.info()
    );
    app.close().unwrap();
    nse.close().unwrap();

    assert_eq!(
        Store::open(dir.db(), &old, OpenMode::ReadOnly).unwrap_err(),
        StoreError::WrongKey
    );
    let reopened = Store::open(dir.db(), &new, OpenMode::ReadOnly).unwrap();
    for (id, push, body) in decrypted_pushes(&v) {
        assert_eq!(decrypt_push(&push, &reopened).display().1, body, "{id}");
    }
    reopened.check_integrity().unwrap();
}
