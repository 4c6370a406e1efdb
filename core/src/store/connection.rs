//! Opens one SQLCipher connection: checks the file, applies the key and
//! the plaintext header, proves the key right, then sets up WAL (read-write)
//! or checks the schema (read-only).

use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use zeroize::Zeroizing;

use super::error::StoreError;
use super::key::StoreKey;
use super::schema;
use super::OpenMode;

/// How long a statement waits for another process's lock before `Busy`.
/// Writes are short, so this is only exceeded when something is stuck;
/// it stays well inside the NSE's ~30 s and FCM's ~10 s budgets.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(3);

/// Bytes of page 1 kept in clear: the SQLite header iOS looks for to
/// recognise a database in a shared container (sqlcipher/sqlcipher#255).
pub const PLAINTEXT_HEADER_BYTES: usize = 32;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// Offset of the per-page reserved-bytes count in the SQLite header:
/// SQLCipher reserves room for its IV and HMAC, plain SQLite reserves none.
const RESERVED_BYTES_OFFSET: usize = 20;

pub(super) fn open(path: &Path, key: &StoreKey, mode: OpenMode) -> Result<Connection, StoreError> {
    probe(path, mode)?;
    let flags = match mode {
        OpenMode::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        OpenMode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher logs warnings such as a failed page HMAC to stderr (logcat,
    // the Apple console) by default; pushseal reports them as typed errors.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    apply_key(&conn, key)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    prove_key(&conn, path)?;
    match mode {
        OpenMode::ReadWrite => {
            enable_wal(&conn)?;
            conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
            schema::migrate(&mut conn)?;
        }
        OpenMode::ReadOnly => {
            conn.execute_batch("PRAGMA query_only = ON;")?;
            schema::check(&conn)?;
        }
    }
    Ok(conn)
}

/// Tells a missing file from one the OS will not let us read (iOS data
/// protection while locked gives EPERM) before SQLite turns both into
/// SQLITE_CANTOPEN.
fn probe(path: &Path, mode: OpenMode) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => return Err(StoreError::Unreadable("path is not a file".into())),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let folder = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            return match mode {
                OpenMode::ReadWrite if folder.is_dir() => Ok(()),
                _ => Err(StoreError::NotFound),
            };
        }
        Err(e) => return Err(io_error(&e)),
    }
    std::fs::File::open(path)
        .map(drop)
        .map_err(|e| io_error(&e))
}

fn io_error(e: &std::io::Error) -> StoreError {
    match e.kind() {
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
/// is an error, never a silent plaintext view.
fn prove_key(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    match conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(e) => match StoreError::from(e) {
            StoreError::WrongKey | StoreError::Corrupt(_) => Err(explain_unreadable_page_one(path)),
            other => Err(other),
        },
    }
}

/// Page 1 that does not decrypt (SQLITE_NOTADB, or SQLITE_CORRUPT when the
/// header's page layout disagrees with SQLCipher's) is a wrong key, a plain
/// SQLite file or garbage; the clear header tells them apart.
fn explain_unreadable_page_one(path: &Path) -> StoreError {
    let mut header = [0u8; PLAINTEXT_HEADER_BYTES];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header));
    match read {
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
            StoreError::Corrupt("file is too short".into())
        }
        Err(e) => io_error(&e),
        Ok(()) if header[..16] != SQLITE_MAGIC[..] => {
            StoreError::Corrupt("not a pushseal store: no SQLite header".into())
        }
        Ok(()) if header[RESERVED_BYTES_OFFSET] == 0 => {
            StoreError::Corrupt("a plain, unencrypted SQLite database, not a key store".into())
        }
        Ok(()) => StoreError::WrongKey,
    }
}

fn enable_wal(conn: &Connection) -> Result<(), StoreError> {
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
