//! Matrix's tables in a real SQLCipher store: sessions decrypt pushes,
//! replays are caught across opens and connections, a read-only open
//! writes nothing, the replace rule holds, and a rekey keeps sessions.
#![cfg(feature = "matrix")]

mod fixtures;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use pushseal::matrix::sessions::{import_sessions, RoomSession};
use pushseal::matrix::{decrypt_push, SecretKey32, SessionStore};
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use pushseal::{FailureReason, Outcome, SecretString};
use serde_json::Value;

const HS: &str = "https://matrix.example.org";
const ROOM: &str = "!projectx:example.org";

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pushseal-mxstore-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn db(&self) -> PathBuf {
        self.0.join("store.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vectors() -> Value {
    fixtures::load("matrix/matrix.json")
}

fn sessions(v: &Value) -> Vec<RoomSession> {
    let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
    import_sessions(&list).unwrap().sessions
}

fn push(v: &Value, id: &str) -> Value {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap()["payload"]
        .clone()
}

/// A read-write store with Bob's account and the vectors' sessions.
fn filled(scratch: &Scratch, key: &StoreKey) -> Store {
    let v = vectors();
    let store = Store::open(scratch.db(), key, OpenMode::ReadWrite).unwrap();
    store
        .set_matrix_account(HS, "@bob:example.org", "PUSHSEALBOB")
        .unwrap();
    let report = store.import_matrix_sessions(HS, sessions(&v)).unwrap();
    let given = sessions(&v).len();
    assert!(report.stored > 0);
    assert_eq!(report.stored + report.kept + report.unconnected, given);
    store
}

fn decrypt(store: &Store, push: &Value) -> Outcome {
    let mut sessions = store.matrix_sessions(HS).unwrap();
    decrypt_push(&serde_json::to_vec(push).unwrap(), &mut sessions)
}

fn seen_rows(store: &Store) -> usize {
    let mut sessions = store.matrix_sessions(HS).unwrap();
    let session = push(&vectors(), "fcm-data-text")["content"]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (0..4)
        .filter(|i| sessions.seen(ROOM, &session, *i).unwrap().is_some())
        .count()
}

#[test]
fn a_push_decrypts_from_the_store_and_a_replay_is_caught_after_reopening() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let v = vectors();
    let original = push(&v, "fcm-data-text");
    let app = filled(&scratch, &key);
    let outcome = decrypt(&app, &original);
    assert_eq!(
        outcome.display(),
        ("Project X", "Hi Bob, the build is green ✅")
    );
    app.close().unwrap();

    let app = Store::open(scratch.db(), &key, OpenMode::ReadWrite).unwrap();
    // The same event again is fine; the same index under another id is not.
    assert_eq!(decrypt(&app, &original).status(), "decrypted");
    let mut replay = original.clone();
    replay["event_id"] = "$another-event".into();
    assert_eq!(
        decrypt(&app, &replay).reason(),
        Some(FailureReason::ReplayedMessage)
    );
}

#[test]
fn a_read_only_open_decrypts_and_writes_nothing() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let app = filled(&scratch, &key);
    app.pause().unwrap();
    let before = std::fs::read(scratch.db()).unwrap();

    let nse = Store::open(scratch.db(), &key, OpenMode::ReadOnly).unwrap();
    let outcome = decrypt(&nse, &push(&vectors(), "fcm-data-text"));
    assert_eq!(outcome.status(), "decrypted");
    let mut sessions = nse.matrix_sessions(HS).unwrap();
    assert!(sessions.record_seen(ROOM, "s", 0, "$e").is_err());
    assert!(matches!(
        nse.set_matrix_room_name(HS, ROOM, "X"),
        Err(StoreError::ReadOnly)
    ));
    nse.close().unwrap();

    assert_eq!(std::fs::read(scratch.db()).unwrap(), before);
    assert_eq!(
        seen_rows(&app),
        0,
        "the read-only decryption recorded nothing"
    );
}

#[test]
fn two_connections_see_each_others_writes() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let app = Store::open(scratch.db(), &key, OpenMode::ReadWrite).unwrap();
    app.set_matrix_account(HS, "@bob:example.org", "PUSHSEALBOB")
        .unwrap();
    // The extension's connection is open before the app imports.
    let nse = Store::open(scratch.db(), &key, OpenMode::ReadOnly).unwrap();
    let v = vectors();
    assert_eq!(
        decrypt(&nse, &push(&v, "fcm-data-text")).reason(),
        Some(FailureReason::NoRoomKey)
    );
    app.import_matrix_sessions(HS, sessions(&v)).unwrap();
    app.set_matrix_room_name(HS, ROOM, "Stored name").unwrap();
    assert_eq!(
        decrypt(&nse, &push(&v, "fcm-data-text")).status(),
        "decrypted"
    );

    // And the app sees what another writer recorded.
    let other = Store::open(scratch.db(), &key, OpenMode::ReadWrite).unwrap();
    assert_eq!(
        decrypt(&other, &push(&v, "fcm-data-text")).status(),
        "decrypted"
    );
    assert_eq!(seen_rows(&app), 1);
    let mut sessions = nse.matrix_sessions(HS).unwrap();
    assert_eq!(sessions.room_name(ROOM).as_deref(), Some("Stored name"));
}

#[test]
fn a_session_is_replaced_only_by_a_connected_one_from_a_lower_index() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let store = Store::open(scratch.db(), &key, OpenMode::ReadWrite).unwrap();
    store
        .set_matrix_account(HS, "@bob:example.org", "PUSHSEALBOB")
        .unwrap();
    let v = vectors();
    let mut full = sessions(&v)
        .into_iter()
        .find(|s| s.room_id == ROOM)
        .unwrap();
    let later_key = full.session.export_at(2).unwrap().to_base64();
    let later = || RoomSession::from_export_string(ROOM, &later_key).unwrap();
    let again = || RoomSession::from_export_string(ROOM, &full.export_string()).unwrap();

    let r = store.import_matrix_sessions(HS, vec![later()]).unwrap();
    assert_eq!((r.stored, r.kept, r.rooms), (1, 0, 1));
    // Index 0 under the same id: stored, and the first message opens.
    let r = store.import_matrix_sessions(HS, vec![again()]).unwrap();
    assert_eq!((r.stored, r.kept), (1, 0));
    assert_eq!(
        decrypt(&store, &push(&v, "fcm-data-text")).status(),
        "decrypted"
    );
    // Worse or equal: kept.
    let r = store
        .import_matrix_sessions(HS, vec![later(), again()])
        .unwrap();
    assert_eq!((r.stored, r.kept), (0, 2));

    let info = store.matrix_accounts().unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].device_id, "PUSHSEALBOB");
    assert_eq!(info[0].rooms, vec![(ROOM.to_owned(), 1)]);
}

#[test]
fn secrets_are_kept_shown_only_as_flags_and_survive_a_rekey() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let store = filled(&scratch, &key);
    store
        .set_auth_token(HS, SecretString::from("syt_TOKEN"))
        .unwrap();
    store
        .set_matrix_client_secret(HS, Some(&SecretString::from("cs-SECRET")))
        .unwrap();
    store
        .set_matrix_backup(HS, &SecretKey32::new([7; 32]), "12")
        .unwrap();
    let info = &store.matrix_accounts().unwrap()[0];
    assert!(info.has_auth_token && info.has_client_secret && info.has_backup_key);
    assert_eq!(info.backup_version.as_deref(), Some("12"));
    let shown = format!("{info:?}");
    assert!(
        !shown.contains("SECRET") && !shown.contains("TOKEN"),
        "{shown}"
    );
    // Rocket.Chat's listing is unchanged by a Matrix account.
    #[cfg(feature = "rocketchat")]
    assert!(store.info().unwrap().is_empty());

    let new_key = StoreKey::generate();
    store.rekey(&new_key).unwrap();
    store.close().unwrap();
    let store = Store::open(scratch.db(), &new_key, OpenMode::ReadOnly).unwrap();
    assert_eq!(
        decrypt(&store, &push(&vectors(), "fcm-data-text")).status(),
        "decrypted"
    );
    let (backup, version) = store.matrix_backup(HS).unwrap().unwrap();
    assert_eq!((backup.expose(), version.as_str()), (&[7; 32], "12"));
    assert_eq!(
        store.matrix_client_secret(HS).unwrap().unwrap().expose(),
        "cs-SECRET"
    );
}

#[test]
fn the_dispatch_point_routes_by_the_push_shape() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let store = filled(&scratch, &key);
    let v = vectors();
    let matrix_push = serde_json::to_vec(&push(&v, "fcm-data-text")).unwrap();
    assert_eq!(
        pushseal::detect_protocol(&matrix_push),
        pushseal::Protocol::Matrix
    );
    let outcome = pushseal::decrypt_from_store(&matrix_push, &store);
    assert_eq!(outcome.status(), "decrypted");
    assert_eq!(outcome.protocol(), pushseal::Protocol::Matrix);

    // A second Matrix account: the push's client secret picks Bob's.
    store
        .set_matrix_account("https://other.example.net", "@carol:other.example.net", "C")
        .unwrap();
    let unmatched = pushseal::decrypt_from_store(&matrix_push, &store);
    assert_eq!(unmatched.reason(), Some(FailureReason::UnknownServer));
    let cs = v["account"]["client_secret"].as_str().unwrap();
    store
        .set_matrix_client_secret(HS, Some(&SecretString::from(cs)))
        .unwrap();
    let mut with_cs = push(&v, "fcm-data-text");
    with_cs["cs"] = cs.into();
    let chosen = pushseal::decrypt_from_store(&serde_json::to_vec(&with_cs).unwrap(), &store);
    assert_eq!(chosen.status(), "decrypted");

    #[cfg(feature = "rocketchat")]
    {
        let rc = br#"{"host":"https://chat.example.org/","messageId":"m1","notificationType":"message-id-only"}"#;
        assert_eq!(
            pushseal::detect_protocol(rc),
            pushseal::Protocol::RocketChat
        );
        let outcome = pushseal::decrypt_from_store(rc, &store);
        assert_eq!(outcome.status(), "needs_fetch");
        assert_eq!(outcome.protocol(), pushseal::Protocol::RocketChat);
    }
}

/// One server URL holds one account. Claiming it for the other protocol is
/// refused with a typed error, and the account already there keeps its
/// user, its token and its keys.
#[test]
fn an_account_of_the_other_protocol_on_the_same_server_is_refused_and_kept() {
    let scratch = Scratch::new();
    let key = StoreKey::generate();
    let v = vectors();
    let store = filled(&scratch, &key);

    let err = store.set_account(HS, "rcUserId").unwrap_err();
    assert!(
        matches!(&err, StoreError::ServerTaken { server, protocol } if server == HS && protocol == "matrix"),
        "{err:?}"
    );
    assert!(err.to_string().contains("remove it first"), "{err}");
    assert_eq!(
        store.user_id(HS).unwrap().as_deref(),
        Some("@bob:example.org")
    );
    let outcome = decrypt(&store, &push(&v, "fcm-data-text"));
    assert_eq!(outcome.status(), "decrypted", "{outcome:?}");

    // And the other way round: a Rocket.Chat account is not replaced by a
    // Matrix one, and its token stays.
    const RC: &str = "https://chat.example.org";
    store.set_account(RC, "rcUserId").unwrap();
    store
        .set_auth_token(RC, SecretString::from("rc-token"))
        .unwrap();
    let err = store
        .set_matrix_account(RC, "@bob:example.org", "PUSHSEALBOB")
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::ServerTaken { protocol, .. } if protocol == "rocketchat"),
        "{err:?}"
    );
    let (user, token) = store.auth(RC).unwrap().unwrap();
    assert_eq!((user.as_str(), token.expose()), ("rcUserId", "rc-token"));
    assert!(store
        .matrix_accounts()
        .unwrap()
        .iter()
        .all(|a| a.server != RC));

    // Once removed, the server may be claimed for the other protocol.
    assert!(store.remove_account(RC).unwrap());
    store
        .set_matrix_account(RC, "@bob:example.org", "PUSHSEALBOB")
        .unwrap();
}
