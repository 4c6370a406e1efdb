//! The 32 bytes of page 1 that SQLCipher leaves in clear (docs/store.md,
//! "Plaintext header"). SQLCipher's page HMAC does not cover them, so a
//! flipped byte there goes unnoticed by SQLCipher; SQLite would then lay
//! out pages differently from how SQLCipher encrypts them and damage the
//! store on the next write. Every byte SQLite relies on is checked here,
//! before SQLite reads the file.

use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

use super::connection::{io_error, PLAINTEXT_HEADER_BYTES};
use super::create::with_suffix;
use super::error::StoreError;

/// SQLCipher 4's page size; pushseal never changes it.
pub(super) const PAGE_SIZE: u32 = 4096;
/// SQLCipher 4's reserved bytes per page: a 16-byte IV and a 64-byte
/// HMAC-SHA512.
const RESERVED_BYTES: u8 = 80;
/// The WAL's own header; a WAL this short holds no page.
const WAL_HEADER_BYTES: u64 = 32;
/// A checkpoint in another process changes the page count and the file
/// size one after the other; a mismatch must persist to count as damage.
const SETTLE_TRIES: usize = 5;
const SETTLE_PAUSE: Duration = Duration::from_millis(20);

/// The clear header as SQLite reads it.
struct Header {
    bytes: [u8; PLAINTEXT_HEADER_BYTES],
    file_len: u64,
}

/// Checks the existing file at `path`; damage is [`StoreError::Corrupt`].
pub(super) fn check(path: &Path) -> Result<(), StoreError> {
    let mut result = Ok(());
    for attempt in 0..SETTLE_TRIES {
        let header = read(path)?;
        layout(&header)?;
        result = page_count(path, &header);
        if result.is_ok() {
            return Ok(());
        }
        if attempt + 1 < SETTLE_TRIES {
            std::thread::sleep(SETTLE_PAUSE);
        }
    }
    result
}

fn read(path: &Path) -> Result<Header, StoreError> {
    let mut file = std::fs::File::open(path).map_err(|e| io_error(&e))?;
    let file_len = file.metadata().map_err(|e| io_error(&e))?.len();
    if file_len == 0 {
        return Err(damaged("the file is empty"));
    }
    let mut bytes = [0u8; PLAINTEXT_HEADER_BYTES];
    match file.read_exact(&mut bytes) {
        Ok(()) => Ok(Header { bytes, file_len }),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
            Err(damaged("the file is shorter than its header"))
        }
        Err(e) => Err(io_error(&e)),
    }
}

/// The fields that fix how SQLite and SQLCipher lay out every page.
fn layout(h: &Header) -> Result<(), StoreError> {
    let b = &h.bytes;
    if &b[..16] != b"SQLite format 3\0" {
        return Err(damaged("not a pushseal store: no SQLite header"));
    }
    if b[20] == 0 {
        return Err(damaged(
            "a plain, unencrypted SQLite database, not a key store",
        ));
    }
    let page_size = u32::from(u16::from_be_bytes([b[16], b[17]]));
    if page_size != PAGE_SIZE {
        return Err(damaged(&format!(
            "header page size is {page_size}, not {PAGE_SIZE}"
        )));
    }
    // 2 and 2: the store is always in WAL mode.
    if b[18] != 2 || b[19] != 2 {
        return Err(damaged(&format!(
            "header file format versions are {} and {}, not WAL's 2 and 2",
            b[18], b[19]
        )));
    }
    if b[20] != RESERVED_BYTES {
        return Err(damaged(&format!(
            "header reserves {} bytes per page, not SQLCipher's {RESERVED_BYTES}",
            b[20]
        )));
    }
    // Fixed by the SQLite file format.
    if b[21..24] != [64, 32, 32] {
        return Err(damaged("header payload fractions are not 64, 32, 32"));
    }
    if h.file_len < u64::from(PAGE_SIZE) {
        return Err(damaged("the file is shorter than one page"));
    }
    if !h.file_len.is_multiple_of(u64::from(PAGE_SIZE)) {
        return Err(damaged("the file size is not a whole number of pages"));
    }
    Ok(())
}

/// Bytes 28–31: the page count. When no WAL holds pages, the file has
/// exactly that many; otherwise the WAL may hold newer pages and the
/// count may run ahead of the file until the next checkpoint.
fn page_count(path: &Path, h: &Header) -> Result<(), StoreError> {
    let b = &h.bytes;
    let pages = u64::from(u32::from_be_bytes([b[28], b[29], b[30], b[31]]));
    if pages == 0 {
        return Err(damaged("header page count is 0"));
    }
    if wal_holds_pages(path) {
        return Ok(());
    }
    let file_pages = h.file_len / u64::from(PAGE_SIZE);
    if pages != file_pages {
        return Err(damaged(&format!(
            "header counts {pages} pages, the file holds {file_pages}"
        )));
    }
    Ok(())
}

fn wal_holds_pages(path: &Path) -> bool {
    std::fs::metadata(with_suffix(path, "-wal")).is_ok_and(|m| m.len() > WAL_HEADER_BYTES)
}

fn damaged(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}
