//! A full disk, on a real small tmpfs: a write that does not fit is
//! `DiskFull` and leaves no trace, the store still opens and decrypts, and
//! a write that committed stays committed when the checkpoint after it
//! fails. Needs root (to mount); says SKIPPED when it cannot mount.

mod store_support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use store_support::*;

/// A tmpfs mounted on a fresh folder, unmounted on drop.
struct SmallDisk {
    dir: TempDir,
    mount: PathBuf,
}

impl SmallDisk {
    fn new(tag: &str, size: &str) -> Option<Self> {
        let dir = TempDir::new(tag);
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&mount)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Self { dir, mount }),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    fn db(&self) -> PathBuf {
        self.mount.join("store.db")
    }

    /// Fills every free block; returns the filler file.
    fn fill(&self) -> PathBuf {
        let path = self.mount.join("filler");
        let mut file = File::create(&path).unwrap();
        let block = [0x5au8; 4096];
        while file.write_all(&block).is_ok() {}
        drop(file);
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).status();
        let _ = &self.dir;
    }
}

fn free(filler: &Path, bytes: u64) {
    let file = File::options().write(true).open(filler).unwrap();
    let len = file.metadata().unwrap().len();
    file.set_len(len.saturating_sub(bytes)).unwrap();
}

fn token(len: usize) -> String {
    "t".repeat(len)
}

#[test]
fn a_full_disk_is_disk_full_and_the_store_still_opens() {
    let Some(disk) = SmallDisk::new("full-disk", "2m") else {
        return;
    };
    let v = vectors();
    let key = StoreKey::generate();
    seeded_store(&disk.db(), &key, &v).close().unwrap();
    let filler = disk.fill();

    let app = Store::open(disk.db(), &key, OpenMode::ReadWrite).unwrap();
    let err = app
        .set_auth_token(SERVER, token(256 * 1024).into())
        .unwrap_err();
    assert_eq!(err, StoreError::DiskFull);
    assert_eq!(
        err.to_string(),
        "key store cannot be written: the disk is full"
    );
    assert!(
        app.auth(SERVER).unwrap().is_none(),
        "the failed write left no trace"
    );
    app.close().unwrap();

    // Still full: the extension opens and decrypts, the app reopens.
    let nse = Store::open(disk.db(), &key, OpenMode::ReadOnly).unwrap();
    for (id, push, body) in decrypted_pushes(&v) {
        assert_eq!(decrypt_push(&push, &nse).display().1, body, "{id}");
    }
    nse.check_integrity().unwrap();
    nse.close().unwrap();
    Store::open(disk.db(), &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();

    std::fs::remove_file(filler).unwrap();
    let app = Store::open(disk.db(), &key, OpenMode::ReadWrite).unwrap();
    app.set_auth_token(SERVER, token(256 * 1024).into())
        .unwrap();
    app.close().unwrap();
}

/// Issue 9, item 10: the import was committed, then the checkpoint on
/// close failed on the full disk, and the caller was told it failed.
#[test]
fn a_commit_stays_committed_when_the_checkpoint_after_it_fails() {
    let Some(disk) = SmallDisk::new("full-checkpoint", "2m") else {
        return;
    };
    let v = vectors();
    let key = StoreKey::generate();
    seeded_store(&disk.db(), &key, &v).close().unwrap();
    let filler = disk.fill();
    // Room for the token in the WAL, not for it again in the database.
    let len = 200 * 1024;
    free(&filler, 280 * 1024);

    let app = Store::open(disk.db(), &key, OpenMode::ReadWrite).unwrap();
    app.set_auth_token(SERVER, token(len).into()).unwrap();
    let [_, wal, _] = store_files(&disk.db());
    assert!(std::fs::metadata(&wal).unwrap().len() > len as u64);
    app.close().unwrap();
    assert!(
        std::fs::metadata(&wal).unwrap().len() > len as u64,
        "the checkpoint could not run, so the commit is still in the WAL"
    );

    let nse = Store::open(disk.db(), &key, OpenMode::ReadOnly).unwrap();
    assert_eq!(nse.auth(SERVER).unwrap().unwrap().1.expose(), token(len));
    nse.close().unwrap();
    std::fs::remove_file(filler).unwrap();
    let app = Store::open(disk.db(), &key, OpenMode::ReadWrite).unwrap();
    assert_eq!(app.auth(SERVER).unwrap().unwrap().1.expose(), token(len));
    app.check_integrity().unwrap();
    app.close().unwrap();
}
