//! The files next to the store: owner-only modes whatever the umask, and
//! no file left behind by a read-only open.

mod store_support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreKey};
use store_support::*;

const MODE_CHILD: &str = "PUSHSEAL_TEST_MODE_CHILD";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// The umask belongs to the process, so the store is made in a child
/// started with `umask 022`.
#[test]
fn store_wal_and_shm_are_owner_only_under_umask_022() {
    let dir = TempDir::new("modes");
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" --exact modes_child --ignored --nocapture --test-threads=1")
        .arg(&exe)
        .env(MODE_CHILD, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("CHILD modes checked"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The child half of the test above.
#[test]
#[ignore = "run by store_wal_and_shm_are_owner_only_under_umask_022 in a child process"]
fn modes_child() {
    let dir = PathBuf::from(std::env::var_os(MODE_CHILD).expect("started by the parent test"));
    let probe = dir.join("plain-file");
    std::fs::write(&probe, b"x").unwrap();
    assert_eq!(mode(&probe), 0o644, "the umask is 022");

    let db = dir.join("store.db");
    let store = Store::open(&db, &StoreKey::generate(), OpenMode::ReadWrite).unwrap();
    store.set_account(SERVER, "u1").unwrap();
    for file in store_files(&db) {
        assert!(file.exists(), "{} while open", file.display());
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    store.close().unwrap();

    // A store an older build left with the umask's mode is tightened.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let key = StoreKey::generate();
    let other = dir.join("other.db");
    Store::open(&other, &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&other, &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();
    assert_eq!(mode(&other), 0o600);
    println!("CHILD modes checked");
}

#[test]
fn a_read_only_open_leaves_no_new_file() {
    let v = vectors();
    let dir = TempDir::new("ro-files");
    let key = StoreKey::generate();
    seeded_store(&dir.db(), &key, &v).close().unwrap();
    let before = listing(dir.path());

    let nse = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap();
    for (id, push, body) in decrypted_pushes(&v) {
        assert_eq!(decrypt_push(&push, &nse).display().1, body, "{id}");
    }
    nse.close().unwrap();
    assert_eq!(listing(dir.path()), before);
}
