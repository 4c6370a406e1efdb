//! Push shapes and display rules beyond the vectors: wrappers, recognition,
//! truncation, fallbacks, and that no secret reaches Debug or an error.
#![cfg(feature = "matrix")]

mod fixtures;

use pushseal::matrix::backup::KeyBackupData;
use pushseal::matrix::backup::{decode_recovery_key, BackupKey, Unlock};
use pushseal::matrix::sessions::{import_sessions, RoomSession};
use pushseal::matrix::{
    decrypt_push, export, parse_push, Error, Layered, MemoryStore, SessionStore, StoreError,
};
use pushseal::{FailureReason as Reason, Outcome};
use serde_json::{json, Value};
use vodozemac::megolm::InboundGroupSession;

fn vectors() -> Value {
    fixtures::load("matrix/matrix.json")
}

fn store(v: &Value) -> MemoryStore {
    let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
    let mut store = MemoryStore::new();
    for s in import_sessions(&list).unwrap().sessions {
        store.add(s);
    }
    store
}

fn fcm_data(v: &Value) -> Value {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "fcm-data-text")
        .unwrap()["payload"]
        .clone()
}

#[test]
fn fcm_http_bodies_around_the_data_map_are_read() {
    let v = vectors();
    let data = fcm_data(&v);
    let legacy = json!({"data": data, "priority": "high", "to": "token"});
    let v1 = json!({"message": {"data": data, "android": {"priority": "high"}, "token": "t"}});
    for body in [legacy, v1] {
        let mut store = store(&v);
        let outcome = decrypt_push(&serde_json::to_vec(&body).unwrap(), &mut store);
        assert_eq!(
            outcome.display(),
            ("Project X", "Hi Bob, the build is green ✅")
        );
    }
}

#[test]
fn only_matrix_pushes_are_recognised() {
    let not_matrix = [
        json!({"event_id": "e1", "room_id": "!r:x"}),
        json!({"event_id": "$e1", "room_id": "r"}),
        json!({"event_id": "$e1", "room_id": "!r:x", "ejson": {"rid": "x"}}),
        json!({"ejson": {"host": "https://chat.example.org/"}, "messageId": "m1"}),
        json!({"aps": {"badge": 1}}),
    ];
    for push in not_matrix {
        let bytes = serde_json::to_vec(&push).unwrap();
        assert!(
            matches!(parse_push(&bytes), Err(Error::NotMatrix(_))),
            "{push}"
        );
        let outcome = decrypt_push(&bytes, &mut MemoryStore::new());
        assert_eq!(outcome.reason(), Some(Reason::MalformedPayload));
    }
    for junk in [&b"not json"[..], b"[1,2]", b"", b"{\"event_id\": 5}"] {
        let err = parse_push(junk).unwrap_err();
        assert_eq!(err.code(), "malformed_payload");
    }
}

#[test]
fn a_cut_fcm_v1_ciphertext_asks_for_the_event() {
    let v = vectors();
    let mut push = fcm_data(&v);
    let content = push.as_object_mut().unwrap().remove("content").unwrap();
    let cipher = content["ciphertext"].as_str().unwrap();
    push["content_algorithm"] = content["algorithm"].clone();
    push["content_session_id"] = content["session_id"].clone();
    push["content_ciphertext"] = format!("{}…", &cipher[..40]).into();
    let outcome = decrypt_push(&serde_json::to_vec(&push).unwrap(), &mut store(&v));
    let Outcome::NeedsFetch(f) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(f.reason.as_str(), "missing_ciphertext");
    // An announced m.room.encrypted without content also needs the event.
    let bare = json!({"event_id": "$e", "room_id": "!r:x", "type": "m.room.encrypted"});
    let outcome = decrypt_push(&serde_json::to_vec(&bare).unwrap(), &mut store(&v));
    assert_eq!(outcome.status(), "needs_fetch");
}

#[test]
fn unreadable_content_text_is_a_malformed_push() {
    let push = json!({"event_id": "$e", "room_id": "!r:x", "type": "m.room.encrypted", "content": "{not json"});
    let outcome = decrypt_push(&serde_json::to_vec(&push).unwrap(), &mut MemoryStore::new());
    assert_eq!(outcome.reason(), Some(Reason::MalformedPayload));
}

#[test]
fn unencrypted_display_rules_and_fallbacks() {
    let cases = [
        (
            json!({"msgtype": "m.emote", "body": "waves"}),
            "* Alice waves",
        ),
        (
            json!({"msgtype": "m.text", "body": "   "}),
            pushseal::FALLBACK_BODY_NEW,
        ),
        (
            json!({"msgtype": "m.image", "body": ""}),
            pushseal::FALLBACK_BODY_NEW,
        ),
        (
            json!({"msgtype": "m.video", "body": "clip.mp4", "filename": "clip.mp4"}),
            "📎 clip.mp4",
        ),
        (
            json!({"msgtype": "m.audio", "body": "listen", "filename": "a.ogg"}),
            "listen",
        ),
        (
            json!({"msgtype": "m.text", "body": "plain", "formatted_body": "<b>rich</b>"}),
            "plain",
        ),
        (json!({}), pushseal::FALLBACK_BODY_NEW),
    ];
    for (content, want) in cases {
        let push = json!({
            "event_id": "$e", "room_id": "!r:x", "type": "m.room.message",
            "sender": "@alice:x", "sender_display_name": "Alice", "content": content,
        });
        let outcome = decrypt_push(&serde_json::to_vec(&push).unwrap(), &mut MemoryStore::new());
        assert_eq!(outcome.status(), "not_encrypted");
        assert_eq!(outcome.display(), ("Alice", want), "{push}");
    }
}

#[test]
fn the_title_falls_back_to_a_room_name_the_store_knows() {
    let v = vectors();
    let event = &v["events"]["text"]["event"];
    let mut store = store(&v);
    store.set_room_name("!projectx:example.org", "Project X (stored)");
    let outcome = decrypt_push(&serde_json::to_vec(event).unwrap(), &mut store);
    assert_eq!(outcome.display().0, "Project X (stored)");
}

#[test]
fn secrets_are_not_printable() {
    let v = vectors();
    let b = &v["backup"];
    let key = BackupKey::from_base64(b["backup_key_base64"].as_str().unwrap()).unwrap();
    let printed = format!("{key:?}");
    assert!(!printed.contains(b["backup_key_base64"].as_str().unwrap()));
    assert!(printed.contains("redacted"));
    let recovery = decode_recovery_key(b["recovery_key"].as_str().unwrap()).unwrap();
    assert_eq!(format!("{recovery:?}"), "SecretKey32(<redacted>)");
    let pass = "correct horse";
    assert!(!format!("{:?}", Unlock::Passphrase(pass)).contains(pass));
    let e = &v["sessions"][0]["exported_at_0"];
    let session = RoomSession::from_export_string(
        e["room_id"].as_str().unwrap(),
        e["session_key"].as_str().unwrap(),
    )
    .unwrap();
    assert!(!format!("{session:?}").contains(&e["session_key"].as_str().unwrap()[..20]));
    // Decrypted text is only in the body, whose Debug is redacted.
    let mut store = store(&v);
    let outcome = decrypt_push(
        &serde_json::to_vec(&v["events"]["text"]["event"]).unwrap(),
        &mut store,
    );
    assert!(!format!("{outcome:?}").contains("build is green"));
    // A JSON error names the position, never the value.
    let secret = "hunter2-secret-value";
    let push =
        format!(r#"{{"event_id": "$e", "room_id": "!r:x", "content": {{"body": ["{secret}"]}}}}"#);
    let err = parse_push(push.as_bytes()).unwrap_err();
    assert!(!err.to_string().contains(secret), "{err}");
    // A wrong passphrase does not echo it.
    let text = std::fs::read_to_string(fixtures::vectors_dir().join("matrix/export.txt")).unwrap();
    let err = export::decrypt_export(&text, "my wrong passphrase").unwrap_err();
    assert!(!err.to_string().contains("my wrong passphrase"));
}

#[test]
fn an_export_asking_for_absurd_rounds_is_refused_without_running_them() {
    use base64::Engine;
    let mut body = vec![1u8];
    body.extend_from_slice(&[0u8; 32]);
    body.extend_from_slice(&u32::MAX.to_be_bytes());
    body.extend_from_slice(&[0u8; 48]);
    let armour = format!(
        "-----BEGIN MEGOLM SESSION DATA-----\n{}\n-----END MEGOLM SESSION DATA-----\n",
        base64::engine::general_purpose::STANDARD.encode(&body)
    );
    assert_eq!(
        export::decrypt_export(&armour, "x").unwrap_err().code(),
        "bad_armour"
    );
}

/// A store that can be read but not written, as in the iOS extension.
struct ReadOnly(MemoryStore);

impl SessionStore for ReadOnly {
    fn session(
        &mut self,
        room_id: &str,
        session_id: &str,
    ) -> Result<Option<&mut InboundGroupSession>, StoreError> {
        self.0.session(room_id, session_id)
    }
    fn seen(&mut self, r: &str, s: &str, i: u32) -> Result<Option<String>, StoreError> {
        self.0.seen(r, s, i)
    }
    fn record_seen(&mut self, _: &str, _: &str, _: u32, _: &str) -> Result<(), StoreError> {
        Err(StoreError("read-only".into()))
    }
}

#[test]
fn a_read_only_store_uses_a_fetched_session_for_this_push_only() {
    let v = vectors();
    let mut base = ReadOnly(store(&v));
    let push = v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "fcm-v1-no-room-key")
        .unwrap();
    let push = serde_json::to_vec(&push["payload"]).unwrap();
    assert_eq!(
        decrypt_push(&push, &mut base).reason(),
        Some(Reason::NoRoomKey)
    );
    let case = &v["backup"]["session_cases"][0];
    let data: KeyBackupData = serde_json::from_value(case["key_backup_data"].clone()).unwrap();
    let key = BackupKey::from_base64(v["backup"]["backup_key_base64"].as_str().unwrap()).unwrap();
    let fetched = key
        .decrypt_session(
            case["room_id"].as_str().unwrap(),
            case["session_id"].as_str().unwrap(),
            &data,
        )
        .unwrap();
    let mut extra = MemoryStore::new();
    extra.add(fetched);
    let mut layered = Layered {
        extra: &mut extra,
        base: &mut base,
    };
    assert_eq!(decrypt_push(&push, &mut layered).status(), "decrypted");
    // The seen index went to the overlay; the base store kept nothing.
    assert_eq!(
        base.seen(
            case["room_id"].as_str().unwrap(),
            case["session_id"].as_str().unwrap(),
            0
        )
        .unwrap(),
        None
    );
    assert!(extra
        .seen(
            case["room_id"].as_str().unwrap(),
            case["session_id"].as_str().unwrap(),
            0
        )
        .unwrap()
        .is_some());
    assert_eq!(
        decrypt_push(&push, &mut base).reason(),
        Some(Reason::NoRoomKey)
    );
}

#[test]
fn every_matrix_reason_is_a_neutral_reason_with_its_json_name() {
    let all = [
        (Reason::MalformedPayload, "malformed_payload"),
        (Reason::UnknownServer, "unknown_server"),
        (Reason::NoRoomKey, "no_room_key"),
        (Reason::UnknownMessageIndex, "unknown_message_index"),
        (Reason::RoomMismatch, "room_mismatch"),
        (Reason::ReplayedMessage, "replayed_message"),
        (Reason::BadAuthTag, "bad_auth_tag"),
        (Reason::BadPadding, "bad_padding"),
        (Reason::BadCiphertext, "bad_ciphertext"),
        (Reason::BadPlaintext, "bad_plaintext"),
        (Reason::UnsupportedAlgorithm, "unsupported_algorithm"),
        (Reason::Redacted, "redacted"),
        (Reason::StoreError, "store_error"),
    ];
    for (reason, name) in all {
        assert_eq!(reason.as_str(), name);
    }
}
