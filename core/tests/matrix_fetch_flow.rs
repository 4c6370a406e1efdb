//! The Matrix fetch state machine (`matrix::fetch_flow`) over a scripted
//! homeserver that answers from the libolm vectors: which GETs a push makes,
//! and what each answer turns into. The same flow over real HTTP against the
//! fake homeserver is in matrix_fetch.rs.
#![cfg(feature = "matrix")]

mod matrix_fetch_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pushseal::matrix::backup::BackupKey;
use pushseal::matrix::fetch::encode_segment;
use pushseal::matrix::fetch_flow::{drive, Answer, Backup, Fetch, Homeserver, Step};
use pushseal::matrix::sessions::import_sessions;
use pushseal::matrix::MemoryStore;
use pushseal::{FailureReason as Reason, Outcome};
use serde_json::{json, Value};
use zeroize::Zeroizing;

fn vectors() -> Value {
    matrix_fetch_support::matrix_vectors()
}

fn store(v: &Value) -> MemoryStore {
    let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
    let mut store = MemoryStore::new();
    for s in import_sessions(&list).unwrap().sessions {
        store.add(s);
    }
    store
}

fn push(v: &Value, id: &str) -> Value {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no push {id}"))
        .clone()
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

/// Answers from the vectors; any path may be overridden with a fixed
/// status and body. Records every path and every wait.
struct Scripted {
    answers: HashMap<String, Vec<(u16, Value)>>,
    asked: Vec<String>,
    waited: Vec<Duration>,
}

impl Scripted {
    fn new(v: &Value) -> Self {
        let mut answers: HashMap<String, Vec<(u16, Value)>> = HashMap::new();
        for group in ["events", "bad_events"] {
            for e in v[group].as_object().unwrap().values() {
                let ev = &e["event"];
                let path = format!(
                    "/_matrix/client/v3/rooms/{}/event/{}",
                    encode_segment(ev["room_id"].as_str().unwrap()),
                    encode_segment(ev["event_id"].as_str().unwrap())
                );
                answers
                    .entry(path)
                    .or_insert_with(|| vec![(200, ev.clone())]);
            }
        }
        let version = v["backup"]["version"]["version"].as_str().unwrap();
        for (room, r) in v["backup"]["keys"]["rooms"].as_object().unwrap() {
            for (sid, data) in r["sessions"].as_object().unwrap() {
                let path = format!(
                    "/_matrix/client/v3/room_keys/keys/{}/{}?version={version}",
                    encode_segment(room),
                    encode_segment(sid)
                );
                answers.insert(path, vec![(200, data.clone())]);
            }
        }
        Self {
            answers,
            asked: Vec::new(),
            waited: Vec::new(),
        }
    }

    /// Answers for the paths containing `part`, in order (the last repeats).
    fn set(&mut self, part: &str, answers: Vec<(u16, Value)>) {
        let keys: Vec<String> = self
            .answers
            .keys()
            .filter(|k| k.contains(part))
            .cloned()
            .collect();
        assert!(!keys.is_empty(), "no path contains {part}");
        for k in keys {
            self.answers.insert(k, answers.clone());
        }
    }
}

impl Homeserver for Scripted {
    fn get(&mut self, path: &str, _deadline: Instant) -> Result<Answer, (Reason, String)> {
        self.asked.push(path.to_owned());
        let (status, body) = match self.answers.get_mut(path) {
            Some(list) if list.len() > 1 => list.remove(0),
            Some(list) => list[0].clone(),
            None => (404, json!({"errcode": "M_NOT_FOUND", "error": "Not found"})),
        };
        Ok(Answer {
            status,
            body: Zeroizing::new(serde_json::to_vec(&body).unwrap()),
            retry_after: None,
        })
    }

    fn wait(&mut self, d: Duration) {
        self.waited.push(d);
    }
}

fn bytes(p: &Value) -> Vec<u8> {
    serde_json::to_vec(&p["payload"]).unwrap()
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(30)
}

#[test]
fn an_id_only_push_makes_one_event_get_and_decrypts() {
    let v = vectors();
    for id in ["apns-id-only-text", "fcm-id-only-text", "fcm-v1-long-cut"] {
        let p = push(&v, id);
        let mut server = Scripted::new(&v);
        let got = drive(&bytes(&p), &mut store(&v), None, &mut server, soon());
        assert_eq!(server.asked.len(), 1, "{id}: {:?}", server.asked);
        assert!(
            server.asked[0].contains("/event/%24"),
            "{}",
            server.asked[0]
        );
        let want = &p["expected_after_fetch"];
        assert_eq!(got.outcome.status(), want["status"], "{id}");
        assert_eq!(got.outcome.display().1, want["body"], "{id}");
        assert!(got.fetched && !got.room_key_fetched);
    }
}

#[test]
fn a_push_that_decrypts_offline_makes_no_request() {
    let v = vectors();
    let mut server = Scripted::new(&v);
    let p = push(&v, "fcm-data-text");
    let got = drive(
        &bytes(&p),
        &mut store(&v),
        Some(backup(&v)),
        &mut server,
        soon(),
    );
    assert_eq!(got.outcome.status(), "decrypted");
    assert!(server.asked.is_empty());
    assert!(!got.fetched && !got.room_key_fetched);
}

#[test]
fn a_missing_session_comes_from_the_backup_once_and_is_handed_back() {
    let v = vectors();
    let p = push(&v, "fcm-v1-no-room-key");
    let mut server = Scripted::new(&v);
    let mut s = store(&v);
    let got = drive(&bytes(&p), &mut s, Some(backup(&v)), &mut server, soon());
    let want = &p["expected_after_backup"];
    assert_eq!(got.outcome.status(), "decrypted");
    assert_eq!(got.outcome.display().1, want["body"]);
    assert_eq!(server.asked.len(), 1);
    // The session id has a "/" and a "+": both encoded, with the version.
    assert_eq!(
        server.asked[0],
        "/_matrix/client/v3/room_keys/keys/%21archive%3Aexample.org/TL%2BJUvH4EweKM9TpvCWnFZP%2FTvZhw6q79yRX25M8arc?version=7"
    );
    assert!(got.room_key_fetched && !got.fetched);
    // The flow writes nothing: the session is the caller's to keep.
    let session = got.session.expect("the fetched session");
    assert_eq!(session.session_id, want["key_id"]);
    assert!(!s.contains("!archive:example.org", &session.session_id));
    s.add(session);
    let again = pushseal::matrix::decrypt_push(&bytes(&p), &mut s);
    assert_eq!(again.status(), "decrypted");

    // Without an unlocked backup, nothing is asked.
    let mut server = Scripted::new(&v);
    let got = drive(&bytes(&p), &mut store(&v), None, &mut server, soon());
    assert_eq!(got.outcome.reason(), Some(Reason::NoRoomKey));
    assert!(server.asked.is_empty());
}

#[test]
fn an_index_before_the_stored_one_asks_the_backup_for_an_older_copy() {
    let v = vectors();
    // S2 is stored from index 5; its backup copy starts at 3.
    let event = serde_json::to_vec(&v["events"]["ops_3"]["event"]).unwrap();
    let mut server = Scripted::new(&v);
    let got = drive(
        &event,
        &mut store(&v),
        Some(backup(&v)),
        &mut server,
        soon(),
    );
    assert_eq!(got.outcome.status(), "decrypted");
    assert_eq!(got.outcome.display().1, "ops message 3");
    assert!(got.room_key_fetched);
    // Index 2 is before the backup's copy too: still unknown, one GET.
    let event = serde_json::to_vec(&v["events"]["ops_2"]["event"]).unwrap();
    let mut server = Scripted::new(&v);
    let got = drive(
        &event,
        &mut store(&v),
        Some(backup(&v)),
        &mut server,
        soon(),
    );
    assert_eq!(got.outcome.reason(), Some(Reason::UnknownMessageIndex));
    assert_eq!(server.asked.len(), 1);
}

#[test]
fn an_id_only_push_whose_key_is_only_in_the_backup_makes_two_gets() {
    let v = vectors();
    let ev = &v["events"]["archived"]["event"];
    let id_only = json!({"event_id": ev["event_id"], "room_id": ev["room_id"], "unread": "1"});
    let mut server = Scripted::new(&v);
    let got = drive(
        &serde_json::to_vec(&id_only).unwrap(),
        &mut store(&v),
        Some(backup(&v)),
        &mut server,
        soon(),
    );
    assert_eq!(got.outcome.status(), "decrypted");
    assert!(got.fetched && got.room_key_fetched);
    assert_eq!(server.asked.len(), 2);
    assert!(server.asked[0].contains("/event/") && server.asked[1].contains("/room_keys/"));
}

#[test]
fn answers_map_to_typed_failures() {
    let v = vectors();
    let p = push(&v, "apns-id-only-text");
    let cases = [
        (404, json!({"errcode": "M_NOT_FOUND"}), Reason::NotFound),
        (
            401,
            json!({"errcode": "M_UNKNOWN_TOKEN"}),
            Reason::Unauthorized,
        ),
        (500, json!({"errcode": "M_UNKNOWN"}), Reason::ServerError),
    ];
    for (status, body, reason) in cases {
        let mut server = Scripted::new(&v);
        server.set("/event/", vec![(status, body)]);
        let got = drive(&bytes(&p), &mut store(&v), None, &mut server, soon());
        assert_eq!(got.outcome.reason(), Some(reason), "{status}");
        assert_eq!(got.outcome.display().1, "You have a new message");
        assert_eq!(server.asked.len(), 1);
        assert!(!got.fetched);
    }
}

#[test]
fn a_redacted_event_is_redacted() {
    let v = vectors();
    let ev = &v["bad_events"]["redacted"]["event"];
    let id_only = json!({"event_id": ev["event_id"], "room_id": ev["room_id"]});
    let mut server = Scripted::new(&v);
    let got = drive(
        &serde_json::to_vec(&id_only).unwrap(),
        &mut store(&v),
        None,
        &mut server,
        soon(),
    );
    assert_eq!(got.outcome.reason(), Some(Reason::Redacted));
    assert!(got.fetched);
}

#[test]
fn a_rate_limit_is_honoured_only_within_the_deadline() {
    let v = vectors();
    let p = push(&v, "apns-id-only-text");
    let limited = json!({"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 700});
    let event = v["events"]["text"]["event"].clone();

    let mut server = Scripted::new(&v);
    server.set("/event/", vec![(429, limited.clone()), (200, event)]);
    let got = drive(&bytes(&p), &mut store(&v), None, &mut server, soon());
    assert_eq!(got.outcome.status(), "decrypted");
    assert_eq!(server.waited, vec![Duration::from_millis(700)]);
    assert_eq!(server.asked.len(), 2);

    // 700 ms do not fit in a 500 ms deadline: give up at once, no wait.
    let mut server = Scripted::new(&v);
    server.set("/event/", vec![(429, limited)]);
    let deadline = Instant::now() + Duration::from_millis(500);
    let got = drive(&bytes(&p), &mut store(&v), None, &mut server, deadline);
    assert_eq!(got.outcome.reason(), Some(Reason::ServerError));
    assert!(server.waited.is_empty());
    assert_eq!(server.asked.len(), 1);
}

#[test]
fn a_backup_copy_that_is_not_the_session_asked_for_is_refused() {
    let v = vectors();
    let p = push(&v, "fcm-v1-no-room-key");
    let cases = v["backup"]["session_cases"].as_array().unwrap();
    for id in [
        "session-mismatch",
        "bad-padding",
        "not-json",
        "wrong-algorithm",
    ] {
        let data = cases.iter().find(|c| c["id"] == id).unwrap()["key_backup_data"].clone();
        let mut server = Scripted::new(&v);
        server.set("/room_keys/", vec![(200, data)]);
        let mut s = store(&v);
        let got = drive(&bytes(&p), &mut s, Some(backup(&v)), &mut server, soon());
        assert_eq!(got.outcome.reason(), Some(Reason::BadResponse), "{id}");
        assert!(!got.room_key_fetched && got.session.is_none(), "{id}");
        assert_eq!(s.session_count(), 3);
    }
    // Not in the backup: the key is simply missing.
    let mut server = Scripted::new(&v);
    server.set(
        "/room_keys/",
        vec![(404, json!({"errcode": "M_NOT_FOUND"}))],
    );
    let got = drive(
        &bytes(&p),
        &mut store(&v),
        Some(backup(&v)),
        &mut server,
        soon(),
    );
    assert_eq!(got.outcome.reason(), Some(Reason::NoRoomKey));
}

#[test]
fn a_transport_failure_ends_the_push_with_its_reason() {
    let v = vectors();
    let p = push(&v, "apns-id-only-text");
    let mut fetch = Fetch::new(&bytes(&p), None);
    let Step::Get { request, after } = fetch.start(&mut store(&v)) else {
        panic!("an id-only push must ask for its event");
    };
    assert_eq!(after, Duration::ZERO);
    assert_eq!(request.kind(), "event");
    let Step::Done(done) = fetch.failed(Reason::Timeout, "deadline") else {
        panic!("a failure ends the flow");
    };
    assert_eq!(done.outcome.reason(), Some(Reason::Timeout));
    let Outcome::Failed(f) = &done.outcome else {
        panic!()
    };
    assert_eq!(
        f.context.room_id.as_deref(),
        p["payload"]["room_id"].as_str()
    );
    assert_eq!(f.fallback_body, "You have a new message");
}
