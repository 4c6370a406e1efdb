//! Matrix fetch on receipt over real HTTP: `matrix::fetch_net` against the
//! fake homeserver (tests/fake-server/fake_homeserver.py) serving the
//! libolm vectors' events and key backup.
#![cfg(all(feature = "matrix", feature = "fetch"))]

mod matrix_fetch_support;

use std::time::{Duration, Instant};

use matrix_fetch_support::{matrix_vectors, repo, FakeHomeserver, ACCESS_TOKEN};
use pushseal::matrix::backup::BackupKey;
use pushseal::matrix::fetch_flow::{Backup, Fetched};
use pushseal::matrix::fetch_net::fetch_and_decrypt;
use pushseal::matrix::sessions::import_sessions;
use pushseal::matrix::MemoryStore;
use pushseal::net::{ClientConfig, Deadline, Http};
use pushseal::{FailureReason as Reason, SecretString};
use serde_json::{json, Value};

fn store(v: &Value) -> MemoryStore {
    let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
    let mut store = MemoryStore::new();
    for s in import_sessions(&list).unwrap().sessions {
        store.add(s);
    }
    store
}

fn backup(v: &Value) -> Backup {
    Backup {
        key: BackupKey::from_base64(v["backup"]["backup_key_base64"].as_str().unwrap()).unwrap(),
        version: v["backup"]["version"]["version"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

fn push(v: &Value, id: &str) -> Vec<u8> {
    let p = v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap();
    serde_json::to_vec(&p["payload"]).unwrap()
}

fn expected<'v>(v: &'v Value, id: &str, which: &str) -> &'v Value {
    &v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap()[which]
}

fn id_only(event: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event_id": event["event_id"], "room_id": event["room_id"], "unread": "1"
    }))
    .unwrap()
}

fn http() -> Http {
    let mut config = ClientConfig::default();
    config.retry.first_backoff = Duration::from_millis(50);
    Http::new(config).unwrap()
}

fn run(
    server: &FakeHomeserver,
    token: &str,
    push: &[u8],
    store: &mut MemoryStore,
    backup: Option<Backup>,
    budget: Duration,
) -> Fetched {
    fetch_and_decrypt(
        &http(),
        &server.url,
        SecretString::from(token.to_owned()),
        push,
        store,
        backup,
        Deadline::after(budget),
    )
}

const BUDGET: Duration = Duration::from_secs(20);

#[test]
fn an_id_only_push_fetches_its_event_once_with_the_bearer_token() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let got = run(
        &server,
        ACCESS_TOKEN,
        &push(&v, "apns-id-only-text"),
        &mut store(&v),
        Some(backup(&v)),
        BUDGET,
    );
    let want = expected(&v, "apns-id-only-text", "expected_after_fetch");
    assert_eq!(got.outcome.status(), "decrypted");
    assert_eq!(got.outcome.display().1, want["body"]);
    assert!(got.fetched && !got.room_key_fetched);
    let log = server.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["endpoint"], "event");
    assert_eq!(log[0]["authorization"], format!("Bearer {ACCESS_TOKEN}"));
    assert_eq!(log[0]["ids"][1], want["message_id"]);
    assert!(
        log[0]["raw_path"]
            .as_str()
            .unwrap()
            .starts_with("/_matrix/client/v3/rooms/%21projectx%3Aexample.org/event/%24"),
        "{}",
        log[0]["raw_path"]
    );
}

#[test]
fn a_session_only_in_the_backup_is_fetched_once_with_its_id_encoded() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let mut s = store(&v);
    let got = run(
        &server,
        ACCESS_TOKEN,
        &push(&v, "fcm-v1-no-room-key"),
        &mut s,
        Some(backup(&v)),
        BUDGET,
    );
    let want = expected(&v, "fcm-v1-no-room-key", "expected_after_backup");
    assert_eq!(got.outcome.status(), "decrypted");
    assert_eq!(
        got.outcome.display(),
        (
            want["title"].as_str().unwrap(),
            want["body"].as_str().unwrap()
        )
    );
    assert!(got.room_key_fetched && !got.fetched);
    assert!(got.session.is_some());
    let log = server.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["endpoint"], "backup_session");
    assert_eq!(
        log[0]["raw_path"],
        "/_matrix/client/v3/room_keys/keys/%21archive%3Aexample.org/TL%2BJUvH4EweKM9TpvCWnFZP%2FTvZhw6q79yRX25M8arc"
    );
    assert_eq!(log[0]["ids"][1], want["key_id"]);
    assert_eq!(log[0]["query"]["version"], "7");
    assert_eq!(log[0]["authorization"], format!("Bearer {ACCESS_TOKEN}"));
}

#[test]
fn an_id_only_push_whose_key_is_in_the_backup_makes_one_get_of_each() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let got = run(
        &server,
        ACCESS_TOKEN,
        &id_only(&v["events"]["archived"]["event"]),
        &mut store(&v),
        Some(backup(&v)),
        BUDGET,
    );
    assert_eq!(got.outcome.status(), "decrypted");
    assert_eq!(got.outcome.display().1, "this key is only in the backup");
    assert!(got.fetched && got.room_key_fetched);
    assert_eq!(server.requests("event"), 1);
    assert_eq!(server.requests("backup_session"), 1);
    assert_eq!(server.log().len(), 2);
}

#[test]
fn not_found_unauthorized_and_redacted_are_typed() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    // An event the server does not have.
    let unknown = json!({"event_id": "$nope", "room_id": "!projectx:example.org"});
    let got = run(
        &server,
        ACCESS_TOKEN,
        &serde_json::to_vec(&unknown).unwrap(),
        &mut store(&v),
        None,
        BUDGET,
    );
    assert_eq!(got.outcome.reason(), Some(Reason::NotFound));
    assert_eq!(got.outcome.display().1, "You have a new message");

    let text = push(&v, "apns-id-only-text");
    let got = run(&server, "wrong-token", &text, &mut store(&v), None, BUDGET);
    assert_eq!(got.outcome.reason(), Some(Reason::Unauthorized));
    let last = server.log().pop().unwrap();
    assert_eq!(last["status"], 401);

    let redacted = id_only(&v["bad_events"]["redacted"]["event"]);
    let got = run(
        &server,
        ACCESS_TOKEN,
        &redacted,
        &mut store(&v),
        None,
        BUDGET,
    );
    assert_eq!(got.outcome.reason(), Some(Reason::Redacted));
    assert!(got.fetched);

    // A session the backup does not hold stays missing: one GET, no_room_key.
    server.clear_log();
    let unknown_session = id_only(&v["bad_events"]["unknown_session"]["event"]);
    let got = run(
        &server,
        ACCESS_TOKEN,
        &unknown_session,
        &mut store(&v),
        Some(backup(&v)),
        BUDGET,
    );
    assert_eq!(got.outcome.reason(), Some(Reason::NoRoomKey));
    assert_eq!(
        (server.requests("event"), server.requests("backup_session")),
        (1, 1)
    );
}

#[test]
fn a_rate_limit_is_waited_out_within_the_deadline_and_not_beyond() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let text = push(&v, "apns-id-only-text");
    server.control(
        json!({"mode": "rate_limited", "count": 1, "retry_after_ms": 300, "path": "event"}),
    );
    let started = Instant::now();
    let got = run(&server, ACCESS_TOKEN, &text, &mut store(&v), None, BUDGET);
    assert_eq!(got.outcome.status(), "decrypted");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(server.requests("event"), 2);

    // 5 s asked, 2 s left: fail at once rather than sleep past the deadline.
    server.clear_log();
    server.control(json!({"mode": "rate_limited", "retry_after_ms": 5000, "path": "event"}));
    let started = Instant::now();
    let got = run(
        &server,
        ACCESS_TOKEN,
        &text,
        &mut store(&v),
        None,
        Duration::from_secs(2),
    );
    assert_eq!(got.outcome.reason(), Some(Reason::ServerError));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests("event"), 1);
}

#[test]
fn a_stalled_server_times_out_within_the_deadline_plus_a_fifth() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    server.control(json!({"mode": "stall", "delay_ms": 30000}));
    let text = push(&v, "apns-id-only-text");
    let budget = Duration::from_millis(1500);
    let http = http();
    let mut s = store(&v);
    let started = Instant::now();
    let got = fetch_and_decrypt(
        &http,
        &server.url,
        SecretString::from(ACCESS_TOKEN.to_owned()),
        &text,
        &mut s,
        None,
        Deadline::after(budget),
    );
    let took = started.elapsed();
    assert_eq!(got.outcome.reason(), Some(Reason::Timeout));
    assert!(took <= budget + budget / 5, "took {took:?}");
    assert!(!got.fetched);
}

#[test]
fn https_with_the_test_ca() {
    let v = matrix_vectors();
    let server = FakeHomeserver::https(&[]);
    let ca = std::fs::read_to_string(repo().join("tests/fake-server/tls/ca.pem")).unwrap();
    let config = ClientConfig {
        extra_ca_pem: Some(ca),
        ..ClientConfig::default()
    };
    let got = fetch_and_decrypt(
        &Http::new(config).unwrap(),
        &server.url,
        SecretString::from(ACCESS_TOKEN.to_owned()),
        &push(&v, "fcm-id-only-text"),
        &mut store(&v),
        None,
        Deadline::after(BUDGET),
    );
    assert_eq!(got.outcome.status(), "decrypted");
    // Without the CA the certificate is refused.
    let got = run(
        &server,
        ACCESS_TOKEN,
        &push(&v, "fcm-id-only-text"),
        &mut store(&v),
        None,
        BUDGET,
    );
    assert_eq!(got.outcome.reason(), Some(Reason::Tls));
}

/// The extension's read-only store uses a fetched session for one push;
/// the app's writable store keeps it (real SQLCipher files).
#[test]
fn a_writable_store_keeps_the_fetched_session_and_a_read_only_one_does_not() {
    use pushseal::store::{OpenMode, Store};
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let (dir, path, key) = store_with_sessions(&v, &server, "keep");
    let archived = push(&v, "fcm-v1-no-room-key");
    let fetch = |mode| {
        let store = Store::open(&path, &key, mode).unwrap();
        let got = {
            let mut sessions = store.matrix_sessions(&server.url).unwrap();
            fetch_and_decrypt(
                &http(),
                &server.url,
                SecretString::from(ACCESS_TOKEN.to_owned()),
                &archived,
                &mut sessions,
                Some(backup(&v)),
                Deadline::after(BUDGET),
            )
        };
        (store, got)
    };
    // Read-only: decrypted with the fetched session, nothing written.
    let (nse, got) = fetch(OpenMode::ReadOnly);
    assert_eq!(got.outcome.status(), "decrypted");
    assert!(got.room_key_fetched);
    nse.close().unwrap();
    let (app, got) = fetch(OpenMode::ReadWrite);
    assert_eq!(
        server.requests("backup_session"),
        2,
        "nothing was kept the first time"
    );
    let report = app
        .import_matrix_sessions(&server.url, vec![got.session.unwrap()])
        .unwrap();
    assert_eq!(report.stored, 1);
    app.close().unwrap();
    // Now it decrypts offline, and no further GET is made.
    let (nse, got) = fetch(OpenMode::ReadOnly);
    assert_eq!(got.outcome.status(), "decrypted");
    assert!(!got.room_key_fetched);
    assert_eq!(server.requests("backup_session"), 2);
    nse.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debug_output_shows_no_key() {
    let v = matrix_vectors();
    let b = backup(&v);
    let shown = format!("{b:?}");
    let key = v["backup"]["backup_key_base64"].as_str().unwrap();
    assert!(
        !shown.contains(key) && !shown.contains(&key[..12]),
        "{shown}"
    );
}

/// `matrix::fetch_with_store`, what the CLI and the FFI call: the account,
/// token and backup key come from the store; a writable store keeps the
/// fetched session, a read-only one does not (real SQLCipher files).
#[test]
fn fetch_with_store_reads_its_credentials_from_the_store_and_keeps_only_when_writable() {
    use pushseal::matrix::fetch_with_store;
    use pushseal::store::{OpenMode, Store};
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let (dir, path, key) = store_with_sessions(&v, &server, "fws");
    let b = backup(&v);
    let archived = push(&v, "fcm-v1-no-room-key");
    let run = |mode| {
        let store = Store::open(&path, &key, mode).unwrap();
        let got = fetch_with_store(&archived, &store, &http(), Deadline::after(BUDGET));
        store.close().unwrap();
        got
    };
    // No token stored: offline only, no request.
    let got = run(OpenMode::ReadOnly);
    assert_eq!(got.outcome.reason(), Some(Reason::NoRoomKey));
    assert_eq!(server.requests("backup_session"), 0);
    {
        let app = Store::open(&path, &key, OpenMode::ReadWrite).unwrap();
        app.set_auth_token(&server.url, SecretString::from(ACCESS_TOKEN.to_owned()))
            .unwrap();
        app.set_matrix_backup(&server.url, b.key.secret(), &b.version)
            .unwrap();
        app.close().unwrap();
    }
    // Read-only (the extension): decrypted with the fetched session, kept nowhere.
    let got = run(OpenMode::ReadOnly);
    assert_eq!(
        got.outcome.status(),
        "decrypted",
        "{:?}",
        got.outcome.reason()
    );
    assert!(got.room_key_fetched);
    let got = run(OpenMode::ReadOnly);
    assert!(got.room_key_fetched);
    assert_eq!(server.requests("backup_session"), 2);
    // Read-write (the app): fetched once and kept; then offline.
    let got = run(OpenMode::ReadWrite);
    assert!(got.room_key_fetched);
    let got = run(OpenMode::ReadOnly);
    assert_eq!(got.outcome.status(), "decrypted");
    assert!(!got.room_key_fetched);
    assert_eq!(server.requests("backup_session"), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A real SQLCipher store in a fresh folder, as the app leaves it: Bob's
/// account on `server` and the vectors' stored sessions. The folder is the
/// caller's to remove.
fn store_with_sessions(
    v: &Value,
    server: &FakeHomeserver,
    tag: &str,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    pushseal::store::StoreKey,
) {
    use pushseal::store::{OpenMode, Store, StoreKey};
    let dir = std::env::temp_dir().join(format!("pushseal-mx-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.db");
    let key = StoreKey::generate();
    let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
    let app = Store::open(&path, &key, OpenMode::ReadWrite).unwrap();
    app.set_matrix_account(&server.url, "@bob:example.org", "PUSHSEALBOB")
        .unwrap();
    app.import_matrix_sessions(&server.url, import_sessions(&list).unwrap().sessions)
        .unwrap();
    app.close().unwrap();
    (dir, path, key)
}
