//! Every Matrix vector in tests/vectors/matrix/, made with libolm and Python
//! `cryptography` (and values published upstream), run through
//! pushseal::matrix. The expectations come from those files, never from
//! vodozemac itself.
#![cfg(feature = "matrix")]

mod fixtures;

use pushseal::matrix::backup::{self, BackupKey, BackupVersion, KeyBackupData, RoomKeys, Unlock};
use pushseal::matrix::sessions::{import_sessions, RoomSession};
use pushseal::matrix::{
    choose_account, client_identifier, decrypt_fetched, decrypt_push, export, parse_push,
    AccountRef, MemoryStore, SecretKey32,
};
use pushseal::{Outcome, Protocol};
use serde_json::Value;

fn vectors() -> Value {
    fixtures::load("matrix/matrix.json")
}

fn published() -> Value {
    fixtures::load("matrix/published.json")
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// The device's store as the vectors define it (`store_sessions`).
fn store(v: &Value) -> MemoryStore {
    let import = import_sessions(&bytes(&v["store_sessions"])).unwrap();
    let mut store = MemoryStore::new();
    for session in import.sessions {
        assert!(store.add(session));
    }
    store
}

fn opt<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Compares an outcome with a vector's `expected` object, field by field.
fn check(id: &str, outcome: &Outcome, want: &Value) {
    assert_eq!(outcome.status(), s(&want["status"]), "{id}: {outcome:?}");
    let ctx = outcome.context();
    assert_eq!(outcome.protocol(), Protocol::Matrix, "{id}");
    assert_eq!(ctx.room_id.as_deref(), Some(s(&want["rid"])), "{id}");
    assert_eq!(
        ctx.message_id.as_deref(),
        Some(s(&want["message_id"])),
        "{id}"
    );
    let username = ctx.sender.as_ref().and_then(|s| s.username.as_deref());
    assert_eq!(username, opt(want, "sender_username"), "{id}");
    if want.get("thread_id").is_some() {
        assert_eq!(ctx.thread_id.as_deref(), opt(want, "thread_id"), "{id}");
    }
    match outcome {
        Outcome::Decrypted(n) | Outcome::NotEncrypted(n) => {
            assert_eq!(n.title, s(&want["title"]), "{id}");
            assert_eq!(n.body.expose(), s(&want["body"]), "{id}");
            let key = n.key.as_ref();
            assert_eq!(key.map(|k| k.key_id.as_str()), opt(want, "key_id"), "{id}");
            let index = want.get("message_index").and_then(Value::as_u64);
            let got = key.and_then(|k| k.message_index).map(u64::from);
            assert_eq!(got, index, "{id}");
            if outcome.status() == "decrypted" {
                assert_eq!(s(&want["algorithm"]), pushseal::matrix::MEGOLM_V1, "{id}");
                assert_eq!(key.map(|k| k.algorithm.as_str()), opt(want, "algorithm"));
            }
        }
        Outcome::NeedsFetch(f) => {
            assert_eq!(f.reason.as_str(), s(&want["fetch_reason"]), "{id}");
            assert!(want["title"].is_null() && want["body"].is_null(), "{id}");
            assert!(!f.fallback_title.is_empty() && !f.fallback_body.is_empty());
        }
        Outcome::Failed(f) => {
            assert_eq!(f.reason.as_str(), s(&want["reason"]), "{id}: {}", f.detail);
            assert_eq!(f.fallback_title, s(&want["title"]), "{id}");
            assert!(want["body"].is_null(), "{id}");
            assert!(!f.fallback_body.is_empty(), "{id}");
            assert_eq!(f.key_id.as_deref(), opt(want, "key_id"), "{id}");
        }
        other => panic!("{id}: unexpected {other:?}"),
    }
}

fn push_by_id<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no push {id}"))
}

#[test]
fn every_push_in_every_container() {
    let v = vectors();
    let pushes = v["pushes"].as_array().unwrap();
    assert!(pushes.len() >= 50);
    let mut containers = std::collections::BTreeSet::new();
    let mut backed_up = 0;
    for p in pushes {
        let id = s(&p["id"]);
        containers.insert(s(&p["container"]).to_owned());
        let mut store = store(&v);
        for before in p
            .get("after")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let first = push_by_id(&v, s(before));
            let outcome = decrypt_push(&bytes(&first["payload"]), &mut store);
            assert_eq!(outcome.status(), "decrypted", "{id}: setup {before}");
        }
        let outcome = decrypt_push(&bytes(&p["payload"]), &mut store);
        check(id, &outcome, &p["expected"]);
        let (title, body) = outcome.display();
        assert!(!title.trim().is_empty() && !body.trim().is_empty(), "{id}");
        if let Some(after) = p.get("expected_after_fetch") {
            // What GET /rooms/{roomId}/event/{eventId} returns for it.
            let event = &v["events"][s(&p["event"])]["event"];
            let payload = bytes(&p["payload"]);
            let push = parse_push(&payload).unwrap();
            let fetched = decrypt_fetched(&push, &bytes(event), &mut store);
            check(id, &fetched, after);
            // Another event than the one asked for is refused.
            let other = &v["events"]["notice"]["event"];
            let wrong = decrypt_fetched(&push, &bytes(other), &mut store);
            assert_eq!(
                wrong.reason().unwrap().as_str(),
                "malformed_payload",
                "{id}"
            );
        }
        if let Some(after) = p.get("expected_after_backup") {
            let key = backup_key(&v);
            let keys: RoomKeys = serde_json::from_value(v["backup"]["keys"].clone()).unwrap();
            let (sessions, failed) = key.decrypt_all(&keys);
            assert!(failed.is_empty(), "{id}");
            for session in sessions {
                store.add(session);
            }
            check(id, &decrypt_push(&bytes(&p["payload"]), &mut store), after);
            backed_up += 1;
        }
    }
    assert!(backed_up >= 1);
    let want = ["apns", "event", "fcm-data", "fcm-data-text", "fcm-v1"];
    assert_eq!(containers.into_iter().collect::<Vec<_>>(), want);
}

#[test]
fn a_replay_is_refused_only_under_another_event_id() {
    let v = vectors();
    let mut store = store(&v);
    let text = bytes(&push_by_id(&v, "event-text")["payload"]);
    let replay = bytes(&push_by_id(&v, "event-replay")["payload"]);
    // The replay first: it is then the one seen, and the original is refused.
    assert_eq!(decrypt_push(&replay, &mut store).status(), "decrypted");
    let second = decrypt_push(&text, &mut store);
    assert_eq!(
        second.reason().map(|r| r.as_str()),
        Some("replayed_message")
    );
    assert_eq!(decrypt_push(&replay, &mut store).status(), "decrypted");
}

/// Every event of the vectors, with every session known from index 0: the
/// outcome follows from the plaintext libolm encrypted.
#[test]
fn every_event_against_its_plaintext() {
    let v = vectors();
    let mut store = MemoryStore::new();
    for session in v["sessions"].as_array().unwrap() {
        let import = import_sessions(&bytes(&Value::Array(
            vec![session["exported_at_0"].clone()],
        )));
        for s in import.unwrap().sessions {
            store.add(s);
        }
    }
    let mut decrypted = 0;
    for (name, e) in v["events"].as_object().unwrap() {
        let event = &e["event"];
        let outcome = decrypt_push(&bytes(event), &mut store);
        let plain: Option<Value> = serde_json::from_str(s(&e["plaintext"])).ok();
        let usable = plain
            .as_ref()
            .filter(|p| p.is_object() && p.get("type").is_some() && p["content"].is_object());
        match usable {
            Some(p) if p["room_id"] == event["room_id"] => {
                let Outcome::Decrypted(n) = &outcome else {
                    panic!("{name}: {outcome:?}")
                };
                let key = n.key.as_ref().unwrap();
                assert_eq!(
                    u64::from(key.message_index.unwrap()),
                    e["message_index"].as_u64().unwrap()
                );
                assert_eq!(key.key_id, s(&e["session"]), "{name}");
                let c = &p["content"];
                let plain_text = ["m.text", "m.notice"].contains(&s(&c["msgtype"]));
                if plain_text && c.get("m.new_content").is_none() {
                    assert_eq!(n.body.expose(), s(&c["body"]), "{name}");
                }
                decrypted += 1;
            }
            Some(_) => assert_eq!(
                outcome.reason().unwrap().as_str(),
                "room_mismatch",
                "{name}"
            ),
            None => assert_eq!(
                outcome.reason().unwrap().as_str(),
                "bad_plaintext",
                "{name}"
            ),
        }
    }
    assert!(decrypted >= 20, "{decrypted}");
}

#[test]
fn bad_events_fail_with_a_reason_and_never_show_text() {
    let v = vectors();
    for (name, e) in v["bad_events"].as_object().unwrap() {
        let mut store = store(&v);
        let outcome = decrypt_push(&bytes(&e["event"]), &mut store);
        if name == "replay" {
            // Only a replay after the original; see the pushes.
            continue;
        }
        let Outcome::Failed(f) = &outcome else {
            panic!("{name}: {outcome:?}")
        };
        let want = match name.as_str() {
            "redacted" => pushseal::FALLBACK_BODY_NEW,
            _ => pushseal::FALLBACK_BODY_ENCRYPTED,
        };
        assert_eq!(f.fallback_body, want, "{name}");
    }
}

#[test]
fn ratchet_exports_match_libolm_at_every_reseed() {
    let v = vectors();
    let r = &v["ratchet"];
    let room = "!dmcarol:example.org";
    let full = vodozemac::megolm::SessionKey::from_base64(s(&r["session_key"])).unwrap();
    let mut session = vodozemac::megolm::InboundGroupSession::new(
        &full,
        vodozemac::megolm::SessionConfig::version_1(),
    );
    for step in r["steps"].as_array().unwrap() {
        let index = step["index"].as_u64().unwrap() as u32;
        let exported = s(&step["exported"]);
        assert_eq!(
            session.export_at(index).unwrap().to_base64(),
            exported,
            "{index}"
        );
        let imported = RoomSession::from_export_string(room, exported).unwrap();
        assert_eq!(imported.first_known_index(), index);
        assert_eq!(imported.session_id, session.session_id());
        assert_eq!(&*imported.export_string(), exported);
    }
}

#[test]
fn libolm_pickles_load_and_decrypt() {
    let v = vectors();
    for case in v["libolm_pickles"]["cases"].as_array().unwrap() {
        let room = s(&case["room_id"]);
        let key = s(&case["pickle_key"]).as_bytes();
        let session = RoomSession::from_libolm_pickle(room, s(&case["pickle"]), key).unwrap();
        assert_eq!(session.session_id, s(&case["session_id"]));
        let first = case
            .get("first_known_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        assert_eq!(u64::from(session.first_known_index()), first);
        assert!(RoomSession::from_libolm_pickle(room, s(&case["pickle"]), b"wrong key").is_err());
        // Our own pickle round-trips.
        let pickle = session.pickle(&[7; 32]);
        let back = RoomSession::from_pickle(room, &pickle, &[7; 32]).unwrap();
        assert_eq!(back.session_id, session.session_id);
        assert!(RoomSession::from_pickle(room, &pickle, &[8; 32]).is_err());
        let mut store = MemoryStore::new();
        store.add(back);
        let event = &v["events"][s(&case["event"])];
        let outcome = decrypt_push(&bytes(&event["event"]), &mut store);
        let plain: Value = serde_json::from_str(s(&event["plaintext"])).unwrap();
        assert_eq!(outcome.display().1, s(&plain["content"]["body"]));
    }
}

#[test]
fn account_choice() {
    let v = vectors();
    let ac = &v["account_choice"];
    let all: Vec<&Value> = ac["accounts"].as_array().unwrap().iter().collect();
    assert_eq!(
        client_identifier(s(&v["account"]["user_id"])),
        s(&v["account"]["pusher_notification_client_identifier"])
    );
    for case in ac["cases"].as_array().unwrap() {
        let id = s(&case["id"]);
        let accounts: Vec<AccountRef> = case["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| {
                let a = all.iter().find(|a| a["user_id"] == *user).unwrap();
                AccountRef {
                    user_id: s(&a["user_id"]),
                    client_secret: opt(a, "client_secret"),
                }
            })
            .collect();
        let payload = bytes(&case["payload"]);
        let push = parse_push(&payload).unwrap();
        let chosen = choose_account(&push, &accounts).map(|i| accounts[i].user_id);
        match opt(&case["want"], "account") {
            Some(user) => assert_eq!(chosen, Some(user), "{id}"),
            None => {
                assert_eq!(chosen, None, "{id}");
                assert_eq!(s(&case["want"]["reason"]), "unknown_server");
            }
        }
    }
}

fn dir_text(name: &str) -> String {
    std::fs::read_to_string(fixtures::vectors_dir().join("matrix").join(name)).unwrap()
}

#[test]
fn key_export_files() {
    let v = vectors();
    let ke = &v["key_export"];
    for case in ke["cases"].as_array().unwrap() {
        let id = s(&case["id"]);
        let text = match opt(case, "file") {
            Some(f) => dir_text(f),
            None => s(&case["text"]).to_owned(),
        };
        let result = export::import_export(&text, s(&case["passphrase"]));
        match s(&case["want"]) {
            "ok" => {
                let import = result.unwrap_or_else(|e| panic!("{id}: {e}"));
                let sum = &ke["summary"];
                assert_eq!(
                    import.sessions.len() as u64,
                    sum["imported"].as_u64().unwrap()
                );
                assert_eq!(import.room_count() as u64, sum["rooms"].as_u64().unwrap());
                assert_eq!(
                    import.skipped.len() as u64,
                    sum["skipped"].as_u64().unwrap()
                );
                assert!(import
                    .skipped
                    .iter()
                    .all(|s| s.reason == "unsupported_algorithm"));
                // The export holds what the store holds: same ids, same first indices.
                let mut store = store(&v);
                let mut imported = MemoryStore::new();
                for session in import.sessions {
                    imported.add(session);
                }
                let p = bytes(&push_by_id(&v, "fcm-data-known-index")["payload"]);
                assert_eq!(
                    decrypt_push(&p, &mut imported),
                    decrypt_push(&p, &mut store)
                );
            }
            want => {
                let err = result.err().unwrap_or_else(|| panic!("{id}: no error"));
                assert_eq!(err.code(), want, "{id}");
                assert!(!err.to_string().contains(s(&case["passphrase"])));
            }
        }
    }
}

#[test]
fn keys_files_for_the_cli() {
    let v = vectors();
    let exp = fixtures::load("matrix/keys-export.json");
    let import = export::import_export(
        s(&exp["room_keys"]["export"]),
        s(&exp["room_keys"]["passphrase"]),
    )
    .unwrap();
    assert_eq!(import.sessions.len(), 3);
    let list = fixtures::load("matrix/keys-sessions.json");
    let from_list = import_sessions(&bytes(&list["room_keys"]["sessions"])).unwrap();
    assert_eq!(from_list.sessions.len(), import.sessions.len());
    assert_eq!(from_list.skipped.len(), import.skipped.len());
    let mut store = MemoryStore::new();
    for session in from_list.sessions {
        store.add(session);
    }
    let p = bytes(&push_by_id(&v, "fcm-data-text")["payload"]);
    assert_eq!(decrypt_push(&p, &mut store).status(), "decrypted");
}

#[test]
fn host_app_session_strings() {
    let v = vectors();
    for session in v["sessions"].as_array().unwrap() {
        let e = &session["exported_at_0"];
        let rs = RoomSession::from_export_string(s(&e["room_id"]), s(&e["session_key"])).unwrap();
        assert_eq!(rs.session_id, s(&session["session_id"]));
        assert_eq!(rs.first_known_index(), 0);
    }
    assert!(RoomSession::from_export_string("!r:x", "AQAAAA").is_err());
    // A list entry whose key belongs to another session id is skipped.
    let mut entry = v["store_sessions"][0].clone();
    entry["session_id"] = v["store_sessions"][1]["session_id"].clone();
    let import = import_sessions(&bytes(&Value::Array(vec![entry]))).unwrap();
    assert!(import.sessions.is_empty());
    assert_eq!(import.skipped[0].reason, "session_mismatch");
}

#[test]
fn a_session_is_replaced_only_by_a_connected_lower_index() {
    let v = vectors();
    let ops = &v["sessions"][1];
    let room = s(&ops["room_id"]);
    let at5 = &v["store_sessions"][1];
    let mut store = MemoryStore::new();
    let from5 = RoomSession::from_export_string(room, s(&at5["session_key"])).unwrap();
    assert_eq!(from5.first_known_index(), 5);
    assert!(store.add(from5));
    let ops2 = bytes(&push_by_id(&v, "event-unknown-index")["payload"]);
    assert_eq!(
        decrypt_push(&ops2, &mut store).reason().unwrap().as_str(),
        "unknown_message_index"
    );
    // The same index again, or a later one: kept.
    assert!(!store.add(RoomSession::from_export_string(room, s(&at5["session_key"])).unwrap()));
    // Another session's key under this id is not connected: kept.
    let other =
        RoomSession::from_export_string(room, s(&v["sessions"][0]["exported_at_0"]["session_key"]))
            .unwrap();
    let mut forged = other;
    forged.session_id = s(&ops["session_id"]).to_owned();
    assert!(!store.add(forged));
    // The backup's copy from index 3 is connected and lower: replaces.
    let case = backup_case(&v, "ok-later-index");
    let key = backup_key(&v);
    let data: KeyBackupData = serde_json::from_value(case["key_backup_data"].clone()).unwrap();
    let from3 = key
        .decrypt_session(room, s(&ops["session_id"]), &data)
        .unwrap();
    assert_eq!(from3.first_known_index(), 3);
    assert!(store.add(from3));
    let ops3 = bytes(&v["events"]["ops_3"]["event"]);
    assert_eq!(decrypt_push(&ops3, &mut store).display().1, "ops message 3");
    assert_eq!(
        decrypt_push(&ops2, &mut store).reason().unwrap().as_str(),
        "unknown_message_index"
    );
}

fn backup_case<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["backup"]["session_cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

fn backup_key(v: &Value) -> BackupKey {
    BackupKey::from_base64(s(&v["backup"]["backup_key_base64"])).unwrap()
}

#[test]
fn backup_unlock_with_every_kind_of_key() {
    let v = vectors();
    let b = &v["backup"];
    let version: BackupVersion = serde_json::from_value(b["version"].clone()).unwrap();
    let account_data: backup::AccountData =
        serde_json::from_value(b["account_data"].clone()).unwrap();
    assert_eq!(backup_key(&v).public_key(), version.auth_data.public_key);
    for case in b["unlock_cases"].as_array().unwrap() {
        let id = s(&case["id"]);
        let input = match opt(case, "recovery_key") {
            Some(k) => Unlock::RecoveryKey(k),
            None => Unlock::Passphrase(s(&case["passphrase"])),
        };
        let result = backup::unlock(&version, Some(&account_data), input);
        if case["want"]["ok"].as_bool().unwrap() {
            let (key, via) = result.unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(via.as_str(), s(&case["want"]["via"]), "{id}");
            assert_eq!(
                key.secret().expose(),
                backup_key(&v).secret().expose(),
                "{id}"
            );
        } else {
            let err = result.err().unwrap_or_else(|| panic!("{id}: unlocked"));
            assert_eq!(err.code(), s(&case["want"]["reason"]), "{id}");
        }
    }
    backup_key(&v).verify(&version).unwrap();
    let other = BackupKey::from_base64(s(
        &published()["matrix_js_sdk"]["BACKUP_DECRYPTION_KEY_BASE64"]
    ))
    .unwrap();
    assert_eq!(
        other.verify(&version).unwrap_err().code(),
        "public_key_mismatch"
    );
    // Without secret storage, the 4S key does not open the backup.
    let ssss = Unlock::RecoveryKey(s(&b["secret_storage_recovery_key"]));
    assert_eq!(
        backup::unlock(&version, None, ssss).unwrap_err().code(),
        "public_key_mismatch"
    );
    // Recovery keys encode as the vectors write them.
    let key = SecretKey32::new(*backup_key(&v).secret().expose());
    assert_eq!(&*backup::encode_recovery_key(&key), s(&b["recovery_key"]));
    let ss = b64(s(&b["secret_storage_key_base64"]));
    let ss = SecretKey32::new(ss.try_into().unwrap());
    assert_eq!(
        &*backup::encode_recovery_key(&ss),
        s(&b["secret_storage_recovery_key"])
    );
}

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(text.trim_end_matches('='))
        .unwrap()
}

#[test]
fn backup_sessions_are_checked_before_use() {
    let v = vectors();
    let key = backup_key(&v);
    for case in v["backup"]["session_cases"].as_array().unwrap() {
        let id = s(&case["id"]);
        let data: KeyBackupData = serde_json::from_value(case["key_backup_data"].clone()).unwrap();
        let result = key.decrypt_session(s(&case["room_id"]), s(&case["session_id"]), &data);
        match s(&case["want"]) {
            "ok" => {
                let session = result.unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(session.room_id, s(&case["room_id"]));
                assert_eq!(
                    u64::from(session.first_known_index()),
                    data.first_message_index as u64
                );
            }
            want => assert_eq!(result.unwrap_err().code(), want, "{id}"),
        }
    }
    // The whole GET /room_keys/keys answer.
    let keys: RoomKeys = serde_json::from_value(v["backup"]["keys"].clone()).unwrap();
    let (ok, failed) = key.decrypt_all(&keys);
    assert_eq!((ok.len(), failed.len()), (3, 0));
    // A key only in the backup heals the no_room_key push.
    let push = bytes(&push_by_id(&v, "fcm-v1-no-room-key")["payload"]);
    let mut store = store(&v);
    assert_eq!(
        decrypt_push(&push, &mut store).reason().unwrap().as_str(),
        "no_room_key"
    );
    for session in ok {
        store.add(session);
    }
    let plain: Value = serde_json::from_str(s(&v["events"]["archived"]["plaintext"])).unwrap();
    assert_eq!(
        decrypt_push(&push, &mut store).display(),
        ("Archive", s(&plain["content"]["body"]))
    );
}

#[test]
fn published_key_export_vectors() {
    let p = published();
    for vector in p["key_export"]["vectors"].as_array().unwrap() {
        let name = s(&vector["name"]);
        let plain = export::decrypt_export(s(&vector["armour"]), s(&vector["passphrase"]))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plain.expose(), s(&vector["plaintext"]).as_bytes(), "{name}");
        let wrong = export::decrypt_export(s(&vector["armour"]), "not it");
        assert_eq!(wrong.unwrap_err().code(), "bad_passphrase", "{name}");
    }
}

#[test]
fn published_matrix_rust_sdk_export() {
    let p = published();
    let e = &p["matrix_rust_sdk_export"];
    let import = export::import_export(s(&e["armour"]), s(&e["passphrase"])).unwrap();
    assert!(!import.sessions.is_empty());
    assert!(import.skipped.is_empty(), "{:?}", import.skipped);
    let wrong = export::import_export(s(&e["armour"]), "wrong").unwrap_err();
    assert_eq!(wrong.code(), "bad_passphrase");
}

#[test]
fn published_recovery_key_and_passphrase() {
    let p = published();
    let rk = &p["recovery_key"];
    let key = backup::decode_recovery_key(s(&rk["encoded"])).unwrap();
    let hex: String = key.expose().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, s(&rk["key_hex"]));
    assert_eq!(&*backup::encode_recovery_key(&key), s(&rk["encoded"]));
    assert_eq!(BackupKey::new(key).public_key(), s(&rk["public_key"]));
    let bad = backup::decode_recovery_key(s(&rk["bad_parity"])).unwrap_err();
    assert_eq!(bad.code(), "bad_recovery_key");

    // Element's cross-platform passphrase vector: the derived key's public
    // key opens a backup made for that key.
    let bp = &p["backup_passphrase"];
    let want: Vec<u8> = bp["key_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    let want = BackupKey::new(SecretKey32::new(want.try_into().unwrap()));
    let version: BackupVersion = serde_json::from_value(serde_json::json!({
        "algorithm": backup::BACKUP_ALGORITHM,
        "version": "1",
        "auth_data": {
            "public_key": want.public_key(),
            "private_key_salt": bp["salt"],
            "private_key_iterations": bp["iterations"],
        }
    }))
    .unwrap();
    let (key, via) =
        backup::unlock(&version, None, Unlock::Passphrase(s(&bp["passphrase"]))).unwrap();
    assert_eq!(via, backup::UnlockedVia::BackupPassphrase);
    assert_eq!(key.secret().expose(), want.secret().expose());
}

#[test]
fn published_backup_data() {
    let p = published();
    let rs = &p["matrix_rust_sdk_backup"];
    let key = BackupKey::from_base64(s(&rs["key_base64"])).unwrap();
    let data: KeyBackupData = serde_json::from_value(rs["key_backup_data"].clone()).unwrap();
    let session = key.decrypt_backed_up("!room:example.org", &data).unwrap();
    assert!(key
        .decrypt_session("!room:example.org", "not-it", &data)
        .is_err());
    assert_eq!(
        key.decrypt_session("!room:example.org", &session.session_id, &data)
            .unwrap()
            .session_id,
        session.session_id
    );

    let js = &p["matrix_js_sdk"];
    let key = BackupKey::from_base64(s(&js["BACKUP_DECRYPTION_KEY_BASE64"])).unwrap();
    assert_eq!(
        key.public_key(),
        s(&js["SIGNED_BACKUP_DATA"]["auth_data"]["public_key"])
    );
    let room = s(&js["TEST_ROOM_ID"]);
    let data: KeyBackupData =
        serde_json::from_value(js["CURVE25519_KEY_BACKUP_DATA"].clone()).unwrap();
    let from_backup = key.decrypt_backed_up(room, &data).unwrap();
    // Upstream's test data says 1 here while the key is exported at 0: the
    // field is advisory, the session's own index is what counts.
    assert!(u64::from(from_backup.first_known_index()) <= data.first_message_index as u64);

    let list = serde_json::json!([js["MEGOLM_SESSION_DATA"]]);
    let import = import_sessions(&bytes(&list)).unwrap();
    assert_eq!(import.sessions.len(), 1);
    for entry in js["MEGOLM_SESSION_DATA_ARRAY"].as_array().unwrap() {
        let rs = RoomSession::from_export_string(room, s(&entry["session_key"])).unwrap();
        assert_eq!(rs.session_id, s(&entry["session_id"]));
    }
    let mut store = MemoryStore::new();
    for session in import.sessions {
        store.add(session);
    }
    let mut event = js["ENCRYPTED_EVENT"].clone();
    event["event_id"] = "$event1".into();
    let outcome = decrypt_push(&bytes(&event), &mut store);
    assert_eq!(
        outcome.display().1,
        s(&js["CLEAR_EVENT"]["content"]["body"])
    );
}
