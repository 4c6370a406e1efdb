//! Runs the real `pushseal` binary on the committed vectors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn pushseal(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pushseal"))
        .args(args)
        .env_remove("PUSHSEAL_E2E_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The child may exit before reading (usage errors): a broken pipe is fine.
    let _ = input.write_all(stdin.unwrap_or_default());
    drop(input);
    child.wait_with_output().unwrap()
}

fn pushes() -> Vec<Value> {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("rocketchat.json")).unwrap())
            .unwrap();
    v["pushes"].as_array().unwrap().clone()
}

#[test]
fn json_output_and_exit_codes_follow_the_outcome() {
    let keys = vectors().join("keys.json");
    let keys = keys.to_str().unwrap();
    let mut checked = std::collections::BTreeSet::new();
    for p in pushes() {
        let status = p["expected"]["status"].as_str().unwrap().to_owned();
        if !checked.insert(status.clone()) {
            continue;
        }
        let payload = serde_json::to_vec(&p["payload"]).unwrap();
        let out = pushseal(&["decrypt", "--keys", keys, "--json", "-"], Some(&payload));
        let got: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        assert_eq!(got["status"], status.as_str());
        assert_eq!(got["protocol"], "rocketchat", "{status}");
        for field in [
            "title",
            "body",
            "rid",
            "message_id",
            "thread_id",
            "sender_username",
            "key_id",
            "algorithm",
        ] {
            assert!(got.get(field).is_some(), "missing {field}");
        }
        let want_code = if matches!(status.as_str(), "decrypted" | "not_encrypted") {
            0
        } else {
            3
        };
        assert_eq!(out.status.code(), Some(want_code), "{status}");
        if status == "failed" {
            assert_eq!(got["reason"], p["expected"]["reason"]);
            assert!(got["detail"].is_string());
        }
        if status == "decrypted" {
            assert_eq!(got["body"], p["expected"]["body"]);
            assert_eq!(got["key_id"], p["expected"]["key_id"]);
        }
    }
    assert!(
        checked.len() >= 4,
        "vectors cover every status: {checked:?}"
    );
}

#[test]
fn human_output_reads_a_payload_file() {
    let p = pushes()
        .into_iter()
        .find(|p| p["expected"]["status"] == "decrypted")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("pushseal-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("push.json");
    std::fs::write(&file, serde_json::to_vec(&p["payload"]).unwrap()).unwrap();
    let keys = vectors().join("keys-jwk.json");
    let out = pushseal(
        &[
            "decrypt",
            "--keys",
            keys.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("status:  decrypted"), "{text}");
    assert!(
        text.contains(
            p["expected"]["body"]
                .as_str()
                .unwrap()
                .lines()
                .next()
                .unwrap()
        ),
        "{text}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(pushseal(&["decrypt"], None).status.code(), Some(2));
    assert_eq!(pushseal(&["frobnicate"], None).status.code(), Some(2));
    let out = pushseal(
        &["decrypt", "--keys", "/nonexistent/keys.json", "-"],
        Some(b"{}"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn wrong_password_is_reported_without_echoing_it() {
    let keys: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("keys.json")).unwrap())
            .unwrap();
    let mut keys = keys;
    keys["private_key"]["password"] = Value::from("definitely-not-it-42");
    let dir = std::env::temp_dir().join(format!("pushseal-cli-pw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.json");
    std::fs::write(&file, keys.to_string()).unwrap();
    let out = pushseal(
        &["decrypt", "--keys", file.to_str().unwrap(), "-"],
        Some(b"{}"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("wrong E2E password"), "{err}");
    assert!(!err.contains("definitely-not-it-42"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn demo_runs_offline_and_shows_a_failure_safely() {
    let out = pushseal(&["demo"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("status:  decrypted"));
    assert!(
        text.contains("with old key"),
        "a rotated key is shown:\n{text}"
    );
    assert!(text.contains("status:  failed"));
    assert!(
        text.contains("Meeting at 10:30 in room B: bring laptops"),
        "colons are kept:\n{text}"
    );
}
