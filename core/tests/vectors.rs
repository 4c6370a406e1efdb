//! Runs the core against the WebCrypto-made vectors in tests/vectors/
//! (see tests/vectors/README.md). Node is not needed: the JSON is committed.

mod fixtures;

use fixtures::*;
use pushseal::rocketchat::{
    decrypt_message, decrypt_push, KeyLookup, Keyring, KeysFile, UserPrivateKey,
};
use pushseal::{Error, Outcome, Password};
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn first_decrypted_push(v: &Value) -> Vec<u8> {
    let push = v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["expected"]["status"] == "decrypted")
        .unwrap();
    serde_json::to_vec(&push["payload"]).unwrap()
}

#[test]
fn private_keys_unlock_in_every_format_and_encoding() {
    let v = load("rocketchat.json");
    let cases = v["private_keys"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let stored = s(&case["fetch_my_keys"], "private_key");
        let password = Password::from(s(case, "password"));
        let key = UserPrivateKey::unlock(stored, s(case, "user_id"), &password)
            .unwrap_or_else(|e| panic!("{}: {e}", s(case, "id")));
        assert_eq!(
            key.public_modulus(),
            s(&case["expected_jwk"], "n"),
            "{}",
            s(case, "id")
        );
        let wrong = Password::from(format!("{}x", s(case, "password")));
        assert_eq!(
            UserPrivateKey::unlock(stored, s(case, "user_id"), &wrong).unwrap_err(),
            Error::WrongPassword
        );
    }
}

#[test]
fn v1_private_key_is_bound_to_the_user_id() {
    let v = load("rocketchat.json");
    let case = v["private_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["format"] == "v1")
        .unwrap();
    let stored = s(&case["fetch_my_keys"], "private_key");
    let got = UserPrivateKey::unlock(stored, "someone-else", &Password::from(s(case, "password")));
    assert_eq!(got.unwrap_err(), Error::WrongPassword);
}

#[test]
fn every_room_key_unwraps_to_the_generated_key() {
    let v = load("rocketchat.json");
    let keyring = device_keyring(&v);
    let server = pushseal::normalize_server(s(&v, "server")).unwrap();
    for room in v["rooms"].as_array().unwrap() {
        let rid = s(room, "rid");
        let got = keyring.room_keys(&server, rid).unwrap();
        let want = room["keys"].as_array().unwrap();
        if room["wrapped_for"].as_str() == Some("other_user") {
            assert!(
                got.is_empty(),
                "room {rid} must not unwrap with the device key"
            );
            continue;
        }
        assert_eq!(got.len(), want.len(), "room {rid}");
        for w in want {
            let found = got
                .iter()
                .find(|k| {
                    k.kid == s(w, "kid")
                        && k.key.algorithm().jwk_alg() == s(w, "alg")
                        && base64_url(k.key.expose_raw()) == s(w, "k")
                })
                .unwrap_or_else(|| panic!("room {rid} key {}", s(w, "kid")));
            assert_eq!(found.current, w["current"].as_bool().unwrap(), "room {rid}");
        }
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn every_stored_message_decrypts() {
    let v = load("rocketchat.json");
    let keyring = device_keyring(&v);
    for m in v["messages"].as_array().unwrap() {
        let id = s(m, "id");
        let (body, used) = decrypt_message(s(&v, "server"), &m["message"], &keyring)
            .unwrap_or_else(|e| panic!("message {id}: {e}"));
        assert_eq!(body.expose(), s(m, "expected_body"), "message {id}");
        assert_eq!(used.key_id, s(m, "kid"), "message {id}");
        assert_eq!(
            used.current,
            m["key_current"].as_bool().unwrap(),
            "message {id}"
        );
    }
}

#[test]
fn every_push_gives_its_expected_outcome() {
    let v = load("rocketchat.json");
    let keyring = device_keyring(&v);
    let pushes = v["pushes"].as_array().unwrap();
    let mut failures = Vec::new();
    for p in pushes {
        let bytes = serde_json::to_vec(&p["payload"]).unwrap();
        let outcome = decrypt_push(&bytes, &keyring);
        if let Err(why) = check(&outcome, &p["expected"], &p["payload"]) {
            failures.push(format!("{} ({}): {why}", s(p, "id"), s(p, "description")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pushes wrong:\n{}",
        failures.len(),
        pushes.len(),
        failures.join("\n")
    );
}

fn check(outcome: &Outcome, want: &Value, payload: &Value) -> Result<(), String> {
    let ctx = outcome.context();
    let (title, body) = outcome.display();
    let (key_id, algorithm, reason) = match outcome {
        Outcome::Decrypted(n) => (
            n.key.as_ref().map(|k| k.key_id.as_str()),
            n.key.as_ref().map(|k| k.algorithm.as_str()),
            None,
        ),
        Outcome::Failed(f) => (None, None, Some(f.reason.as_str())),
        _ => (None, None, None),
    };
    let shown = matches!(outcome, Outcome::Decrypted(_) | Outcome::NotEncrypted(_));
    let mut fields = vec![
        ("status", Some(outcome.status())),
        ("rid", ctx.room_id.as_deref()),
        ("message_id", ctx.message_id.as_deref()),
        ("thread_id", ctx.thread_id.as_deref()),
        (
            "sender_username",
            ctx.sender.as_ref().and_then(|s| s.username.as_deref()),
        ),
        ("key_id", key_id),
        ("algorithm", algorithm),
        ("reason", reason),
    ];
    // Titles and bodies are only specified where the vector gives them.
    if !want["title"].is_null() {
        fields.push(("title", Some(title)));
    }
    if shown && !want["body"].is_null() {
        fields.push(("body", Some(body)));
    }
    let mut wrong = Vec::new();
    for (field, got) in fields {
        let w = want[field].as_str();
        let optional_absent =
            want[field].is_null() && matches!(field, "rid" | "message_id" | "sender_username");
        if w != got && !optional_absent {
            wrong.push(format!("{field}: got {got:?}, want {:?}", want[field]));
        }
    }
    if !shown {
        if let Err(e) = no_ciphertext_in(body, payload) {
            wrong.push(format!("fallback body {e}"));
        }
        if body.is_empty() || title.is_empty() {
            wrong.push("empty fallback text".into());
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("; "))
    }
}

/// Fallback text must not contain any ciphertext-like run of the payload.
fn no_ciphertext_in(shown: &str, payload: &Value) -> Result<(), String> {
    let text = payload.to_string();
    for chunk in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/')) {
        if chunk.len() >= 16 && shown.contains(chunk) {
            return Err(format!("shows {chunk}"));
        }
    }
    Ok(())
}

#[test]
fn keys_files_load_in_both_forms() {
    let v = load("rocketchat.json");
    let push = first_decrypted_push(&v);
    for name in ["keys.json", "keys-jwk.json"] {
        let bytes = std::fs::read(vectors_dir().join(name)).unwrap();
        let (keyring, report) = KeysFile::parse(&bytes).unwrap().into_keyring(None).unwrap();
        assert!(report.keys > 0, "{name}");
        let outcome = decrypt_push(&push, &keyring);
        assert_eq!(outcome.status(), "decrypted", "{name}: {outcome:?}");
    }
}

#[test]
fn missing_private_key_and_unknown_server_are_typed() {
    let v = load("rocketchat.json");
    let push = first_decrypted_push(&v);

    let mut locked = Keyring::new();
    locked.add_account(s(&v, "server"), "u", None).unwrap();
    locked
        .import_subscriptions(s(&v, "server"), &subscriptions(&v))
        .unwrap();
    let Outcome::Failed(f) = decrypt_push(&push, &locked) else {
        panic!("expected a failure without a private key")
    };
    assert_eq!(f.reason.as_str(), "no_private_key");
    assert_eq!(f.fallback_body, "Encrypted message");

    let Outcome::Failed(f) = decrypt_push(&push, &Keyring::new()) else {
        panic!("expected a failure for an unknown server")
    };
    assert_eq!(f.reason.as_str(), "unknown_server");

    // Unlocking later makes the same keyring work without re-importing.
    let jwk = device_key(&v);
    locked.add_account(s(&v, "server"), "u", Some(jwk)).unwrap();
    assert_eq!(decrypt_push(&push, &locked).status(), "decrypted");
}

#[test]
fn upstream_keychain_fixtures() {
    let v = load("upstream-keychain.json");
    for f in v["fixtures"].as_array().unwrap() {
        let key = UserPrivateKey::unlock(
            s(f, "private_key"),
            s(f, "user_id"),
            &Password::from(s(f, "password")),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f["name"]));
        if let Some(n) = f["expected_jwk"]["n"].as_str() {
            assert_eq!(key.public_modulus(), n);
        }
    }
}
