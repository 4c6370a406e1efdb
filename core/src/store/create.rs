//! Creating a store: built under a temporary name and linked into place
//! only once it is keyed and migrated, so a crash never leaves an empty or
//! half-made file at the store's path (an empty file there is damage).
//! The file is made owner-only (0600) whatever the umask; SQLite gives its
//! `-wal` and `-shm` the database file's mode.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::{Connection, OpenFlags};

use super::connection::{enable_wal, io_error, keyed};
use super::error::StoreError;
use super::key::StoreKey;
use super::schema;

const OWNER_ONLY: u32 = 0o600;

pub(super) fn fresh_store(path: &Path, key: &StoreKey) -> Result<(), StoreError> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = with_suffix(path, &format!(".creating-{}-{n}", std::process::id()));
    let made = build(&tmp, key).and_then(|()| link_into_place(&tmp, path));
    for file in [with_suffix(&tmp, "-wal"), with_suffix(&tmp, "-shm"), tmp] {
        let _ = std::fs::remove_file(file);
    }
    made
}

fn build(tmp: &Path, key: &StoreKey) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, OWNER_ONLY);
    drop(options.open(tmp).map_err(|e| io_error(&e))?);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(tmp, flags)?;
    keyed(&conn, key)?;
    enable_wal(&conn)?;
    schema::migrate(&mut conn)?;
    // The last connection to close checkpoints and removes the WAL.
    conn.close().map_err(|(_, e)| StoreError::from(e))
}

/// A hard link never replaces: when two processes create the store at
/// once, the first one's file wins and the other opens it.
fn link_into_place(tmp: &Path, path: &Path) -> Result<(), StoreError> {
    match std::fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            std::fs::rename(tmp, path).map_err(|e| io_error(&e))
        }
        Err(e) => Err(io_error(&e)),
    }
}

/// Stores made by older builds got the umask's mode; make them, and their
/// `-wal` and `-shm`, owner-only. Best effort: a file of another owner is
/// left as it is, and opening then reports what the OS says.
pub(super) fn tighten_modes(path: &Path) {
    #[cfg(unix)]
    for file in [
        path.to_path_buf(),
        with_suffix(path, "-wal"),
        with_suffix(path, "-shm"),
    ] {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(&file) else {
            continue;
        };
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            let tightened = std::fs::Permissions::from_mode(mode & 0o700);
            let _ = std::fs::set_permissions(&file, tightened);
        }
    }
}

pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
