//! No input makes decryption panic or show ciphertext: every vector push is
//! truncated, byte-flipped and re-shaped many times, deterministically, and
//! each result must still carry safe text.

mod fixtures;

use fixtures::*;
use pushseal::rocketchat::{decrypt_push, Keyring};
use pushseal::Outcome;
use serde_json::Value;

/// xorshift64*: a fixed sequence, so a failure reproduces exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Shown text must exist, and a failure must not echo the input.
fn assert_safe(outcome: &Outcome, input: &[u8], what: &str) {
    let (title, body) = outcome.display();
    assert!(!title.is_empty(), "{what}: empty title");
    if let Outcome::Failed(_) | Outcome::NeedsFetch(_) = outcome {
        assert!(!body.is_empty(), "{what}: empty fallback body");
        let input = String::from_utf8_lossy(input);
        for run in input.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/')) {
            assert!(
                run.len() < 16 || !body.contains(run),
                "{what}: fallback shows {run}"
            );
        }
    }
}

/// Mutations of a JSON value that keep it JSON: the parsers past the JSON
/// layer are the ones that must cope.
fn mangle(v: &mut Value, rng: &mut Rng) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.below(keys.len())];
            match rng.below(4) {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(
                        key.clone(),
                        [
                            Value::Null,
                            Value::from(7),
                            Value::from(""),
                            Value::from(vec![1]),
                        ][rng.below(4)]
                        .clone(),
                    );
                }
                _ => mangle(map.get_mut(key).unwrap(), rng),
            }
        }
        Value::String(s) => {
            // Strings hold the nested ejson: mangle inside it when it parses.
            if let Ok(mut inner) = serde_json::from_str::<Value>(s) {
                if inner.is_object() {
                    mangle(&mut inner, rng);
                    *s = inner.to_string();
                    return;
                }
            }
            let cut = rng.below(s.len() + 1);
            let mut t: String = s.chars().take(cut).collect();
            if rng.below(2) == 0 {
                t.push(['=', '-', '!', 'é', '\u{0}'][rng.below(5)]);
            }
            *s = t;
        }
        other => *other = Value::from("x"),
    }
}

#[test]
fn mutated_pushes_never_panic_and_always_have_safe_text() {
    let v = vectors();
    let keys = device_keyring(&v);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    for p in v["pushes"].as_array().unwrap() {
        let bytes = serde_json::to_vec(&p["payload"]).unwrap();
        // Raw bytes: truncations and flips, mostly not JSON any more.
        for _ in 0..20 {
            let mut b = bytes.clone();
            if rng.below(2) == 0 {
                b.truncate(rng.below(b.len()));
            } else {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            assert_safe(&decrypt_push(&b, &keys), &b, "raw mutation");
            runs += 1;
        }
        // Structural: still JSON, with members removed, retyped or cut.
        for _ in 0..30 {
            let mut value = p["payload"].clone();
            mangle(&mut value, &mut rng);
            let b = serde_json::to_vec(&value).unwrap();
            assert_safe(&decrypt_push(&b, &keys), &b, "structural mutation");
            runs += 1;
        }
    }
    assert!(runs > 3000, "{runs} runs");
}

#[test]
fn hostile_shapes_are_typed_failures() {
    let keys = Keyring::new();
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let huge = format!("{{\"ejson\":\"{}\"}}", "A".repeat(70_000));
    for input in [
        &b""[..],
        b"null",
        b"\xff\xfe",
        deep.as_bytes(),
        huge.as_bytes(),
        br#"{"aps":{},"ejson":{"host":""}}"#,
    ] {
        let outcome = decrypt_push(input, &keys);
        assert_eq!(
            outcome.status(),
            "failed",
            "{:?}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
        assert_safe(&outcome, input, "hostile shape");
    }
}
