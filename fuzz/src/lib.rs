//! What the fuzz targets share: the committed WebCrypto vectors
//! (tests/vectors/), a keyring that opens them, and the checks every
//! outcome must pass, whatever the input.

use std::sync::OnceLock;

use pushseal::rocketchat::{Keyring, Subscription, UserPrivateKey};
use pushseal::{Outcome, FALLBACK_BODY_ENCRYPTED, FALLBACK_BODY_NEW};
use serde_json::Value;

/// Fuzz inputs do not run more PBKDF2 rounds than this: the core allows
/// up to `MAX_PBKDF2_ITERATIONS` by design, which would only make the
/// fuzzer slow, not find bugs. v1 keys (1 000 rounds) still unlock.
pub const MAX_FUZZ_PBKDF2_ROUNDS: u64 = 1_000;

/// Nor more RSA unwraps than this per input: each costs tens of
/// milliseconds under the sanitizer, and one unwrap reaches all the code.
pub const MAX_FUZZ_UNWRAPS: usize = 3;

/// The RSA unwraps importing `subs` would run.
pub fn wrapped_keys(subs: &[Subscription]) -> usize {
    subs.iter()
        .map(|s| usize::from(s.e2e_key.is_some()) + s.old_room_keys.len())
        .sum()
}

pub fn vectors() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/rocketchat.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).expect("vectors are JSON")
    })
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vectors: no {key}"))
}

pub fn server() -> &'static str {
    text(vectors(), "server")
}

pub fn device_user_id() -> &'static str {
    text(&vectors()["device_user"], "user_id")
}

pub fn device_password() -> &'static str {
    text(&vectors()["device_user"], "password")
}

pub fn device_key() -> &'static UserPrivateKey {
    static K: OnceLock<UserPrivateKey> = OnceLock::new();
    K.get_or_init(|| {
        UserPrivateKey::from_jwk_object(&vectors()["device_user"]["private_jwk"])
            .expect("device key")
    })
}

pub fn subscriptions() -> Vec<Subscription> {
    rooms()
        .iter()
        .map(|r| serde_json::from_value(r["subscription"].clone()).expect("subscription"))
        .collect()
}

fn rooms() -> &'static [Value] {
    vectors()["rooms"].as_array().expect("rooms")
}

/// The device user's account on the vectors' server with every room, as a
/// phone has it after a key sync.
pub fn device_keyring() -> &'static Keyring {
    static R: OnceLock<Keyring> = OnceLock::new();
    R.get_or_init(|| {
        let mut ring = account_only();
        ring.import_subscriptions(server(), &subscriptions())
            .expect("import");
        ring
    })
}

/// The device user's account with its private key and no rooms yet.
pub fn account_only() -> Keyring {
    let mut ring = Keyring::new();
    ring.add_account(server(), device_user_id(), Some(device_key().clone()))
        .expect("account");
    ring
}

/// Every vector push, as the platform delivers it.
pub fn pushes() -> &'static [Vec<u8>] {
    static P: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    P.get_or_init(|| {
        vectors()["pushes"]
            .as_array()
            .expect("pushes")
            .iter()
            .map(|p| serde_json::to_vec(&p["payload"]).expect("payload"))
            .collect()
    })
}

/// One push that decrypts with the device keys for every room that has
/// one: enough to see whether a keyring or store still works.
pub fn one_push_per_room() -> &'static [Vec<u8>] {
    static P: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    P.get_or_init(|| {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for p in vectors()["pushes"].as_array().expect("pushes") {
            let rid = &p["expected"]["rid"];
            if p["expected"]["status"] == "decrypted" && !seen.contains(&rid) {
                seen.push(rid);
                out.push(serde_json::to_vec(&p["payload"]).expect("payload"));
            }
        }
        out
    })
}

/// What users rely on, whatever the input: text to show that is not
/// blank, and a fallback that is one of the fixed texts (so it can never
/// carry ciphertext or anything else from the input).
pub fn assert_safe(outcome: &Outcome, inputs: &[&[u8]]) {
    let (title, body) = outcome.display();
    assert!(!title.trim().is_empty(), "blank title: {outcome:?}");
    assert!(!body.trim().is_empty(), "blank body: {outcome:?}");
    if let Outcome::Failed(_) | Outcome::NeedsFetch(_) = outcome {
        assert!(
            body == FALLBACK_BODY_ENCRYPTED || body == FALLBACK_BODY_NEW,
            "fallback body is not a fixed text: {body:?}"
        );
        for input in inputs {
            assert_no_run_of(body, input);
        }
    }
}

/// No base64-like run of 16 or more characters of `input` is in `shown`.
fn assert_no_run_of(shown: &str, input: &[u8]) {
    let input = String::from_utf8_lossy(input);
    for run in input.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c))) {
        assert!(
            run.len() < 16 || !shown.contains(run),
            "fallback shows input: {run}"
        );
    }
}

/// PBKDF2 rounds a stored private key asks for (`e2e.fetchMyKeys`
/// `private_key`): v1 keys use 1000, v2 keys say so; unknown is 0.
pub fn pbkdf2_rounds(stored: &str) -> u64 {
    match serde_json::from_str::<Value>(stored) {
        Ok(v) if v.get("$binary").is_some() => 1000,
        Ok(v) => v.get("iterations").and_then(Value::as_u64).unwrap_or(0),
        Err(_) => 0,
    }
}
