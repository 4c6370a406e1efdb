//! The real `pushseal` binary with the encrypted key store: import a keys
//! file, then decrypt pushes with no keys file, as the phone would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn vector_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors().join(name)).unwrap()).unwrap()
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("pushseal-cli-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs pushseal with a clean environment: no store key, no password, and
/// a data folder inside the scratch folder.
fn pushseal(scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushseal"));
    cmd.args(args)
        .env_remove("PUSHSEAL_E2E_PASSWORD")
        .env_remove("PUSHSEAL_STORE_KEY")
        .env("XDG_DATA_HOME", scratch.0.join("data"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write_pushes(scratch: &Scratch) -> Vec<(PathBuf, Value)> {
    vector_json("rocketchat.json")["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["expected"]["status"] == "decrypted")
        .enumerate()
        .map(|(i, p)| {
            let file = scratch.0.join(format!("push-{i}.json"));
            std::fs::write(&file, serde_json::to_vec(&p["payload"]).unwrap()).unwrap();
            (file, p["expected"].clone())
        })
        .collect()
}

fn decrypt_json(
    scratch: &Scratch,
    push: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (Value, Output) {
    let mut args = extra.to_vec();
    args.extend(["decrypt", "--json", push.to_str().unwrap()]);
    let out = pushseal(scratch, &args, env);
    let got = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (got, out)
}

#[test]
fn import_then_decrypt_from_the_default_store() {
    let scratch = Scratch::new("default");
    let keys = vectors().join("keys.json");
    let out = pushseal(&scratch, &["import", "--keys", keys.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created a new store key"));

    let folder = scratch.0.join("data/pushseal");
    let key_file = folder.join("store.key");
    let hex = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(hex.trim().len(), 64);
    assert!(hex.trim().bytes().all(|b| b.is_ascii_hexdigit()));
    use std::os::unix::fs::PermissionsExt;
    for file in [&key_file, &folder.join("store.db")] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }

    for (push, expected) in write_pushes(&scratch) {
        let (got, out) = decrypt_json(&scratch, &push, &[], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert_eq!(got["body"], expected["body"]);
        assert_eq!(got["key_id"], expected["key_id"]);
    }
}

#[test]
fn store_path_key_from_the_environment_and_a_password_from_the_environment() {
    let scratch = Scratch::new("env");
    let store = scratch.0.join("elsewhere/keys.db");
    let store = store.to_str().unwrap();
    let key = "0123456789abcdef".repeat(4);
    let env = [("PUSHSEAL_STORE_KEY", key.as_str())];

    // A keys file without its password needs $PUSHSEAL_E2E_PASSWORD.
    let mut keys = vector_json("keys.json");
    let password = keys["private_key"]["password"].as_str().unwrap().to_owned();
    keys["private_key"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    let keys_path = scratch.0.join("keys-no-password.json");
    std::fs::write(&keys_path, keys.to_string()).unwrap();
    let keys_arg = keys_path.to_str().unwrap();
    let out = pushseal(
        &scratch,
        &["--store", store, "import", "--keys", keys_arg],
        &env,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let with_password = [env[0], ("PUSHSEAL_E2E_PASSWORD", password.as_str())];
    let out = pushseal(
        &scratch,
        &["--store", store, "import", "--keys", keys_arg],
        &with_password,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !scratch.0.join("elsewhere/keys.key").exists(),
        "no key file when the key comes from the environment"
    );

    let (push, expected) = write_pushes(&scratch).remove(0);
    let (got, _) = decrypt_json(&scratch, &push, &["--store", store], &env);
    assert_eq!(got["body"], expected["body"]);

    // The wrong key is refused, and nothing secret is echoed.
    let wrong = "f".repeat(64);
    let out = pushseal(
        &scratch,
        &["--store", store, "decrypt", push.to_str().unwrap()],
        &[("PUSHSEAL_STORE_KEY", &wrong)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("wrong store key"), "{}", text(&out));
    assert!(!text(&out).contains(&wrong) && !text(&out).contains(&key));
}

#[test]
fn store_key_file_option_and_store_info_without_secrets() {
    let scratch = Scratch::new("info");
    let store = scratch.0.join("s.db");
    let key_file = scratch.0.join("secret/s.hex");
    let global = [
        "--store",
        store.to_str().unwrap(),
        "--store-key-file",
        key_file.to_str().unwrap(),
    ];
    let keys = vectors().join("keys-jwk.json");
    let mut args = global.to_vec();
    args.extend(["import", "--keys", keys.to_str().unwrap()]);
    assert!(pushseal(&scratch, &args, &[]).status.success());
    assert!(key_file.exists());

    let mut args = global.to_vec();
    args.extend(["store", "info", "--json"]);
    let out = pushseal(&scratch, &args, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    let account = &info["accounts"][0];
    assert_eq!(account["server"], "https://chat.example.org");
    assert_eq!(account["has_private_key"], true);
    let v = vector_json("rocketchat.json");
    let device_rooms = v["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["wrapped_for"] == "device_user");
    for room in device_rooms {
        let listed = account["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rid"] == room["rid"])
            .unwrap();
        assert_eq!(
            listed["keys"].as_u64().unwrap() as usize,
            room["keys"].as_array().unwrap().len()
        );
    }

    let mut args = global.to_vec();
    args.extend(["store", "info"]);
    let shown = text(&pushseal(&scratch, &args, &[]));
    let hex = std::fs::read_to_string(&key_file).unwrap();
    let jwk = &v["device_user"]["private_jwk"];
    for secret in [
        hex.trim(),
        jwk["d"].as_str().unwrap(),
        jwk["p"].as_str().unwrap(),
    ] {
        assert!(!shown.contains(secret), "a secret in:\n{shown}");
    }
    for room in v["rooms"].as_array().unwrap() {
        for key in room["keys"].as_array().unwrap() {
            assert!(!shown.contains(key["k"].as_str().unwrap()));
        }
    }
    assert!(shown.contains("GrpLegacyOps000c4  2 keys"), "{shown}");
}

#[test]
fn decrypt_without_a_store_says_how_to_make_one() {
    let scratch = Scratch::new("none");
    let push = scratch.0.join("p.json");
    std::fs::write(&push, b"{}").unwrap();
    let out = pushseal(
        &scratch,
        &["decrypt", push.to_str().unwrap()],
        &[("PUSHSEAL_STORE_KEY", &"a".repeat(64))],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("pushseal import"), "{}", text(&out));
    // Without a store, the error is about the store, not its key.
    let out = pushseal(&scratch, &["store", "info"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no key store at"), "{}", text(&out));
    assert!(text(&out).contains("pushseal import"), "{}", text(&out));
    assert!(!text(&out).contains("store key"), "{}", text(&out));
}
