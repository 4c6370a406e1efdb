//! Every secret-bearing type, formatted with `{:?}` and `{:#?}` (and
//! `{}` where it has Display) around a known secret: the secret, in any
//! of its encodings, never appears in the output.

mod store_support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pushseal::rocketchat::{decrypt_push, KeyLookup, RoomKey, RoomKeyAlgorithm, RoomKeyEntry};
use pushseal::store::{OpenMode, StoreError, StoreKey};
use pushseal::{Password, SecretBytes, SecretString};
use store_support::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// All the ways `secret` could show: as given, hex (both cases), base64url,
/// and the decimal byte list `Vec<u8>`'s Debug prints.
fn forms(secret: &[u8]) -> Vec<String> {
    let mut out = vec![
        hex(secret),
        hex(secret).to_uppercase(),
        URL_SAFE_NO_PAD.encode(secret),
        format!("{secret:?}").trim_matches(['[', ']']).to_owned(),
    ];
    if let Ok(text) = std::str::from_utf8(secret) {
        out.push(text.to_owned());
    }
    out
}

fn assert_hidden(what: &str, shown: &[String], secret: &[u8]) {
    for text in shown {
        for form in forms(secret) {
            assert!(!text.contains(&form), "{what} shows its secret: {text}");
        }
    }
}

fn debug_forms(v: &impl std::fmt::Debug) -> Vec<String> {
    vec![format!("{v:?}"), format!("{v:#?}")]
}

#[test]
fn no_secret_bearing_type_prints_its_secret() {
    let text = "correct horse battery staple 4f0e1d2c";
    assert_hidden(
        "SecretString",
        &debug_forms(&SecretString::from(text)),
        text.as_bytes(),
    );
    let password: Password = text.into();
    assert_hidden("Password", &debug_forms(&password), text.as_bytes());

    let raw = [0xa7u8; 32];
    assert_hidden(
        "SecretBytes",
        &debug_forms(&SecretBytes::new(raw.to_vec())),
        &raw,
    );
    let key = StoreKey::from_bytes(raw);
    assert_hidden("StoreKey", &debug_forms(&key), &raw);
    assert_hidden("StoreKey::to_hex", &debug_forms(&key.to_hex()), &raw);

    let room = RoomKey::from_raw(RoomKeyAlgorithm::A256Gcm, &raw).unwrap();
    assert_hidden("RoomKey", &debug_forms(&room), &raw);
    let entry = RoomKeyEntry {
        kid: "kid".into(),
        key: room,
        current: true,
    };
    assert_hidden("RoomKeyEntry", &debug_forms(&entry), &raw);

    let v = vectors();
    let private = device_key(&v);
    let d = v["device_user"]["private_jwk"]["d"].as_str().unwrap();
    let d_bytes = URL_SAFE_NO_PAD.decode(d).unwrap();
    assert_hidden("UserPrivateKey", &debug_forms(&private), &d_bytes[..24]);
    assert_hidden(
        "UserPrivateKey",
        &debug_forms(&private),
        &d.as_bytes()[..24],
    );
    assert_hidden(
        "to_jwk",
        &debug_forms(&private.to_jwk()),
        &d.as_bytes()[..24],
    );
}

#[test]
fn a_store_and_its_lookups_print_no_secret() {
    let v = vectors();
    let dir = TempDir::new("secrets-shown");
    let key = StoreKey::from_bytes([0x3c; 32]);
    let store = seeded_store(&dir.db(), &key, &v);
    let token = "tok-9e8d7c6b5a4f3e2d1c0b";
    store.set_auth_token(SERVER, token.into()).unwrap();

    let mut shown = debug_forms(&store);
    shown.extend(debug_forms(&store.auth(SERVER).unwrap()));
    shown.extend(debug_forms(&store.info().unwrap()));
    assert_hidden("Store", &shown, &[0x3c; 32]);
    assert_hidden("Store::auth", &shown, token.as_bytes());

    let d = v["device_user"]["private_jwk"]["d"].as_str().unwrap();
    let private = store.private_key(SERVER).unwrap();
    assert_hidden(
        "Store::private_key",
        &debug_forms(&private),
        &d.as_bytes()[..24],
    );

    for room in v["rooms"].as_array().unwrap() {
        let rid = room["rid"].as_str().unwrap();
        let keys = store.room_keys(SERVER, rid).unwrap();
        for k in room["keys"].as_array().unwrap() {
            let raw = URL_SAFE_NO_PAD.decode(k["k"].as_str().unwrap()).unwrap();
            assert_hidden("Store::room_keys", &debug_forms(&keys), &raw);
        }
    }

    for (id, push, body) in decrypted_pushes(&v) {
        let outcome = decrypt_push(&push, &store);
        assert_eq!(outcome.display().1, body, "{id}");
        if body.len() >= 6 {
            assert_hidden(
                &format!("Outcome of {id}"),
                &debug_forms(&outcome),
                body.as_bytes(),
            );
        }
    }

    let errors = [
        StoreError::WrongKey,
        StoreError::Corrupt("header page size is 4097, not 4096".into()),
        StoreError::DiskFull,
    ];
    for e in errors {
        let mut shown = debug_forms(&e);
        shown.push(e.to_string());
        assert_hidden("StoreError", &shown, &[0x3c; 32]);
    }
    store.close().unwrap();
    let _ = OpenMode::ReadOnly;
}
