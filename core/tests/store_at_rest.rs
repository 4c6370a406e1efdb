//! The store file on disk: encrypted everywhere except the 32-byte SQLite
//! header, in the database and in its WAL.

mod store_support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pushseal::store::{Store, StoreKey, PLAINTEXT_HEADER_BYTES};
use rusqlite::Connection;
use store_support::*;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every secret or identifying value the seeded store holds, as bytes.
fn secrets(v: &serde_json::Value, token: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("auth token".to_owned(), token.as_bytes().to_vec()),
        ("user id".to_owned(), device_user_id(v).into_bytes()),
        ("server host".to_owned(), b"chat.example.org".to_vec()),
    ];
    let jwk = &v["device_user"]["private_jwk"];
    for part in ["d", "p", "q"] {
        let text = jwk[part].as_str().unwrap();
        out.push((
            format!("private JWK {part} (text)"),
            text.as_bytes()[..32].to_vec(),
        ));
        out.push((
            format!("private JWK {part} (bytes)"),
            URL_SAFE_NO_PAD.decode(text).unwrap()[..16].to_vec(),
        ));
    }
    for room in v["rooms"].as_array().unwrap() {
        let rid = room["rid"].as_str().unwrap();
        out.push((format!("room id {rid}"), rid.as_bytes().to_vec()));
        let e2e = room["subscription"]["E2EKey"].as_str().unwrap();
        out.push((
            format!("E2EKey of {rid}"),
            e2e.as_bytes()[e2e.len() - 64..].to_vec(),
        ));
        for k in room["keys"].as_array().unwrap() {
            let raw = URL_SAFE_NO_PAD.decode(k["k"].as_str().unwrap()).unwrap();
            out.push((format!("raw room key of {rid}"), raw));
        }
    }
    out
}

fn assert_no_secret(path: &std::path::Path, secrets: &[(String, Vec<u8>)]) {
    let bytes = std::fs::read(path).unwrap();
    for (what, needle) in secrets {
        assert!(
            !contains(&bytes, needle),
            "{what} found in clear in {}",
            path.display()
        );
    }
}

#[test]
fn database_and_wal_hold_no_secret_in_clear() {
    let v = vectors();
    let dir = TempDir::new("at-rest");
    let key = StoreKey::generate();
    let store = seeded_store(&dir.db(), &key, &v);
    let token = "tok-4f0e1d2c3b4a5968778695a4b3c2d1e0";
    store.set_auth_token(SERVER, token.into()).unwrap();
    let secrets = secrets(&v, token);

    // While the app holds the store open, the writes sit in the WAL.
    let [db, wal, _shm] = store_files(&dir.db());
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "the WAL holds the imports"
    );
    assert_no_secret(&db, &secrets);
    assert_no_secret(&wal, &secrets);

    // After a checkpoint everything is in the main file.
    store.pause().unwrap();
    assert_no_secret(&db, &secrets);
    assert!(
        store.auth(SERVER).unwrap().is_some(),
        "the secrets are there, encrypted"
    );
}

/// SQLite reads the clear 32-byte header, then meets ciphertext where the
/// schema format number (offset 44) should be. Without the clear header
/// the same read fails with "file is not a database".
const PLAIN_SQLITE_ERROR: &str = "unsupported file format";

#[test]
fn sqlite_without_the_key_cannot_read_it() {
    let v = vectors();
    let dir = TempDir::new("no-key");
    seeded_store(&dir.db(), &StoreKey::generate(), &v)
        .close()
        .unwrap();

    // The same SQLite library, with no `PRAGMA key`: a plain SQLite view.
    let plain = Connection::open(dir.db()).unwrap();
    for sql in [
        "SELECT count(*) FROM sqlite_schema",
        "SELECT count(*) FROM accounts",
    ] {
        let err = plain
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(err.to_string().contains(PLAIN_SQLITE_ERROR), "{sql}: {err}");
    }
}

#[test]
fn the_sqlite3_command_cannot_read_it() {
    let v = vectors();
    let dir = TempDir::new("sqlite3-cli");
    seeded_store(&dir.db(), &StoreKey::generate(), &v)
        .close()
        .unwrap();
    let run = std::process::Command::new("sqlite3")
        .arg(dir.db())
        .arg("SELECT server FROM accounts;")
        .output();
    let Ok(out) = run else {
        eprintln!("SKIPPED: the sqlite3 command is not installed (apt-get install sqlite3)");
        return;
    };
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(PLAIN_SQLITE_ERROR), "{stderr}");
}

#[test]
fn first_32_bytes_are_the_plain_sqlite_header() {
    let dir = TempDir::new("header");
    let key = StoreKey::generate();
    let store = Store::open(dir.db(), &key, pushseal::store::OpenMode::ReadWrite).unwrap();
    store.set_account(SERVER, "u1").unwrap();
    store.pause().unwrap();
    let check = || {
        let bytes = std::fs::read(dir.db()).unwrap();
        assert_eq!(&bytes[..16], b"SQLite format 3\0");
        let page_size = u16::from_be_bytes([bytes[16], bytes[17]]);
        assert_eq!(page_size, 4096);
        assert_eq!(
            bytes[20], 80,
            "reserved bytes per page: SQLCipher's IV and HMAC"
        );
        assert_eq!(PLAINTEXT_HEADER_BYTES, 32);
    };
    check();
    store.rekey(&StoreKey::generate()).unwrap();
    store.pause().unwrap();
    check();
}
