//! Opens one SQLCipher connection: checks the file, applies the key and
//! the plaintext header, proves the key right, then sets up WAL (read-write)
//! or checks the schema (read-only).

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, FileControl, OpenFlags};
use zeroize::Zeroizing;

use super::error::StoreError;
use super::key::StoreKey;
use super::schema;
use super::{create, header, OpenMode};

/// How long a statement waits for another process's lock before `Busy`.
/// Writes are short, so this is only exceeded when something is stuck;
/// it stays well inside the NSE's ~30 s and FCM's ~10 s budgets.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(3);

/// Bytes of page 1 kept in clear: the SQLite header iOS looks for to
/// recognise a database in a shared container (sqlcipher/sqlcipher#255).
pub const PLAINTEXT_HEADER_BYTES: usize = 32;

pub(super) fn open(path: &Path, key: &StoreKey, mode: OpenMode) -> Result<Connection, StoreError> {
    #[cfg(not(target_vendor = "apple"))]
    pushseal_sqlcipher::link();
    let fresh = probe(path, mode)?;
    if fresh {
        create::fresh_store(path, key)?;
    } else {
        header::check(path)?;
    }
    if mode == OpenMode::ReadWrite {
        create::tighten_modes(path);
    }
    let flags = match mode {
        OpenMode::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
        OpenMode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    keep_wal_files(&conn)?;
    keyed(&conn, key)?;
    prove_key(&conn)?;
    match mode {
        OpenMode::ReadWrite => {
            enable_wal(&conn)?;
            // journal_size_limit = 0: the kept WAL is emptied, not left
            // full of old frames, when the last connection closes.
            // secure_delete: a replaced token or key is overwritten, not
            // left in the file's free space.
            conn.execute_batch(
                "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 0;
                 PRAGMA secure_delete = ON;",
            )?;
            schema::migrate(&mut conn)?;
        }
        OpenMode::ReadOnly => {
            conn.execute_batch("PRAGMA query_only = ON;")?;
            schema::check(&conn)?;
        }
    }
    Ok(conn)
}

/// SQLite deletes `-wal` and `-shm` when the last connection closes, and
/// the next connection creates them again, a read-only one included. Kept
/// in place (made by the app, mode 0600), the extension's read-only opens
/// find them and leave nothing new next to the store.
fn keep_wal_files(conn: &Connection) -> Result<(), StoreError> {
    let mut on: std::ffi::c_int = 1;
    conn.file_control(Some(rusqlite::MAIN_DB), FileControl::PersistWal(&mut on))?;
    Ok(())
}

/// Quiet logging, the key, the plaintext header and the busy timeout.
pub(super) fn keyed(conn: &Connection, key: &StoreKey) -> Result<(), StoreError> {
    // SQLCipher logs warnings such as a failed page HMAC to stderr (logcat,
    // the Apple console) by default; pushseal reports them as typed errors.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    apply_key(conn, key)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

/// Tells a missing file from one the OS will not let us read (iOS data
/// protection while locked gives EPERM) before SQLite turns both into
/// SQLITE_CANTOPEN. True when a read-write open must create the store.
fn probe(path: &Path, mode: OpenMode) -> Result<bool, StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(StoreError::Unreadable("path is not a file".into())),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let folder = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            return match mode {
                OpenMode::ReadWrite if folder.is_dir() => Ok(true),
                _ => Err(StoreError::NotFound),
            };
        }
        Err(e) => return Err(io_error(&e)),
    }
    // An existing file is opened next by header::check, which reports a
    // file the OS will not let us read the same way.
    Ok(false)
}

pub(super) fn io_error(e: &std::io::Error) -> StoreError {
    match e.kind() {
        ErrorKind::StorageFull => StoreError::DiskFull,
        ErrorKind::PermissionDenied => StoreError::Locked,
        ErrorKind::NotFound => StoreError::NotFound,
        kind => StoreError::Unreadable(format!("{kind}")),
    }
}

/// The key goes in as SQL text; the text is wiped here, though SQLite's
/// own copy of the statement is freed unwiped (docs/store.md, threat model).
pub(super) fn apply_key(conn: &Connection, key: &StoreKey) -> Result<(), StoreError> {
    let sql = Zeroizing::new(format!(
        "PRAGMA key = \"{}\"; PRAGMA cipher_plaintext_header_size = {PLAINTEXT_HEADER_BYTES};",
        key.sqlcipher_keyspec().as_str()
    ));
    // Never echo SQLite's message here: it could quote the statement.
    conn.execute_batch(&sql).map_err(|_| StoreError::Sqlite {
        code: 1,
        message: "setting the store key failed".into(),
    })
}

/// SQLCipher decrypts page 1 on the first read; a failed HMAC check there
/// is an error, never a silent plaintext view. The header was checked
/// before, so page 1 failing means a wrong key or damage inside page 1;
/// the other pages tell which.
fn prove_key(conn: &Connection) -> Result<(), StoreError> {
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) => match StoreError::from(e) {
            StoreError::WrongKey | StoreError::Corrupt(_) => Err(wrong_key_or_damage(conn)),
            other => Err(other),
        },
    }
}

/// Under a wrong key no page's HMAC verifies; with the right key, damage
/// in page 1 leaves the others verifying. `cipher_integrity_check` checks
/// each page's HMAC from the file alone, without reading the schema.
fn wrong_key_or_damage(conn: &Connection) -> StoreError {
    let failed = (|| -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare("PRAGMA cipher_integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.count())
    })();
    let pages = conn
        .path()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len() / u64::from(header::PAGE_SIZE));
    match failed {
        Ok(failed) if pages >= 2 && (failed as u64) < pages => StoreError::Corrupt(format!(
            "{failed} of {pages} pages fail their HMAC, the others verify"
        )),
        _ => StoreError::WrongKey,
    }
}

pub(super) fn enable_wal(conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        return Ok(());
    }
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(StoreError::Busy)
    }
}
