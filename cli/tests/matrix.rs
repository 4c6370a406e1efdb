//! The real `pushseal` binary on Matrix: keys files made from the libolm
//! vectors (tests/vectors/matrix/), offline decryption with them, and the
//! store flow (import, login, unlock, sync, decrypt with fetch, store info)
//! against the fake homeserver (tests/fake-server/fake_homeserver.py).

#![cfg(feature = "matrix")]

#[path = "../../core/tests/matrix_fetch_support/mod.rs"]
mod matrix_fetch_support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use matrix_fetch_support::{matrix_vectors, repo, FakeHomeserver, ACCESS_TOKEN};
use serde_json::{json, Value};

const ENV_SECRETS: [&str; 6] = [
    "PUSHSEAL_AUTH_TOKEN",
    "PUSHSEAL_STORE_KEY",
    "PUSHSEAL_EXPORT_PASSPHRASE",
    "PUSHSEAL_RECOVERY_KEY",
    "PUSHSEAL_BACKUP_PASSPHRASE",
    "PUSHSEAL_E2E_PASSWORD",
];

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("pushseal-cli-mx-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// pushseal on this folder's store, with `stdin` piped in.
    fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushseal"));
        cmd.arg("--store").arg(self.0.join("store.db")).args(args);
        for k in ENV_SECRETS {
            cmd.env_remove(k);
        }
        cmd.env("XDG_DATA_HOME", self.0.join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn keys_file(name: &str) -> Value {
    let path = repo().join("tests/vectors/matrix").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn json_out(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn push<'v>(v: &'v Value, id: &str) -> &'v Value {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap()
}

/// The fields of the vectors' `expected` the CLI's --json carries too.
fn assert_matches(got: &Value, want: &Value, id: &str) {
    for field in [
        "status",
        "protocol",
        "rid",
        "message_id",
        "sender_username",
        "thread_id",
        "reason",
        "fetch_reason",
        "algorithm",
        "message_index",
    ] {
        if let Some(w) = want.get(field) {
            assert_eq!(&got[field], w, "{id}: {field}");
        }
    }
    if want.get("key_id").is_some_and(|k| !k.is_null()) {
        assert_eq!(got["key_id"], want["key_id"], "{id}: key_id");
    }
    if matches!(want["status"].as_str(), Some("decrypted" | "not_encrypted")) {
        assert_eq!(got["title"], want["title"], "{id}: title");
        assert_eq!(got["body"], want["body"], "{id}: body");
    }
}

#[test]
fn every_vector_push_decrypts_offline_with_a_sessions_keys_file() {
    let v = matrix_vectors();
    let scratch = Scratch::new("vectors");
    let keys = scratch.file(
        "keys.json",
        keys_file("keys-sessions.json").to_string().as_bytes(),
    );
    let mut checked = 0;
    for p in v["pushes"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        // Replays need an earlier push in the same store; see the store test.
        if p.get("after").is_some() {
            continue;
        }
        let payload = scratch.file("push.json", p["payload"].to_string().as_bytes());
        let out = scratch.run(&["decrypt", "--json", "--keys", &keys, &payload], &[], b"");
        let got = json_out(&out);
        // This keys file holds the backup too, so a backup-only session is there.
        let want = p.get("expected_after_backup").unwrap_or(&p["expected"]);
        assert_matches(&got, want, id);
        let notified = matches!(want["status"].as_str(), Some("decrypted" | "not_encrypted"));
        assert_eq!(
            out.status.code(),
            Some(if notified { 0 } else { 3 }),
            "{id}"
        );
        assert_eq!(
            (got["fetched"].as_bool(), got["room_key_fetched"].as_bool()),
            (Some(false), Some(false))
        );
        assert!(
            stderr(&out).contains("skipped"),
            "{id}: the v2 session is skipped aloud"
        );
        checked += 1;
    }
    assert!(checked >= 45, "{checked}");
}

#[test]
fn an_export_keys_file_decrypts_and_its_passphrase_may_come_from_the_environment() {
    let v = matrix_vectors();
    let scratch = Scratch::new("export");
    let payload = scratch.file(
        "push.json",
        push(&v, "fcm-data-text")["payload"].to_string().as_bytes(),
    );
    let file = keys_file("keys-export.json");
    let keys = scratch.file("keys.json", file.to_string().as_bytes());
    let out = scratch.run(&["decrypt", "--json", "--keys", &keys, &payload], &[], b"");
    assert_matches(
        &json_out(&out),
        &push(&v, "fcm-data-text")["expected"],
        "export",
    );
    assert_eq!(out.status.code(), Some(0));

    // Without the passphrase in the file, the environment gives it.
    let mut bare = file.clone();
    bare["room_keys"]
        .as_object_mut()
        .unwrap()
        .remove("passphrase");
    let bare_path = scratch.file("bare.json", bare.to_string().as_bytes());
    let passphrase = file["room_keys"]["passphrase"].as_str().unwrap();
    let out = scratch.run(
        &["decrypt", "--json", "--keys", &bare_path, &payload],
        &[("PUSHSEAL_EXPORT_PASSPHRASE", passphrase)],
        b"",
    );
    assert_eq!(json_out(&out)["status"], "decrypted");

    // Missing, wrong, damaged: exit 2, the problem named, in decrypt and import alike.
    let mut damaged = file.clone();
    let text = damaged["room_keys"]["export"]
        .as_str()
        .unwrap()
        .replacen("AQ", "AR", 1);
    damaged["room_keys"]["export"] = json!(text);
    let damaged_path = scratch.file("damaged.json", damaged.to_string().as_bytes());
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: [(&str, Env<'_>, &str); 3] = [
        (&bare_path, &[], "no passphrase"),
        (
            &bare_path,
            &[("PUSHSEAL_EXPORT_PASSPHRASE", "passwörd")],
            "wrong passphrase",
        ),
        (&damaged_path, &[], "damaged"),
    ];
    for (path, env, says) in cases {
        let out = scratch.run(&["decrypt", "--json", "--keys", path, &payload], env, b"");
        assert_eq!(out.status.code(), Some(2), "{says}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{says}: {}", stderr(&out));
        let out = scratch.run(&["import", "--keys", path], env, b"");
        assert_eq!(out.status.code(), Some(2), "{says}");
        assert!(stderr(&out).contains(says), "{says}: {}", stderr(&out));
        assert!(
            !scratch.0.join("store.db").exists(),
            "a refused import made a store"
        );
    }
}

#[test]
fn decrypt_with_a_keys_file_never_touches_the_network() {
    let v = matrix_vectors();
    let scratch = Scratch::new("offline");
    let server = FakeHomeserver::http(&[]);
    let mut file = keys_file("keys-sessions.json");
    file["homeserver"] = json!(server.url);
    let keys = scratch.file("keys.json", file.to_string().as_bytes());
    let payload = scratch.file(
        "push.json",
        push(&v, "apns-id-only-text")["payload"]
            .to_string()
            .as_bytes(),
    );
    let out = scratch.run(&["decrypt", "--json", "--keys", &keys, &payload], &[], b"");
    let got = json_out(&out);
    assert_eq!(
        (got["status"].as_str(), got["fetch_reason"].as_str()),
        (Some("needs_fetch"), Some("id_only"))
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(server.log().is_empty());
}

/// A store for the fake homeserver: import (keys file pointed at it), login.
fn logged_in(scratch: &Scratch, server: &FakeHomeserver, keys: &str) {
    let v = matrix_vectors();
    let mut file = keys_file(keys);
    file["homeserver"] = json!(server.url);
    if let Some(b) = file.get_mut("backup") {
        b.as_object_mut().unwrap().remove("recovery_key");
    }
    let path = scratch.file("keys.json", file.to_string().as_bytes());
    let text = ok(&scratch.run(&["import", "--keys", &path], &[], b""));
    assert_eq!(text.trim(), "imported 3 sessions in 3 rooms");
    let user = v["account"]["user_id"].as_str().unwrap();
    let device = v["account"]["device_id"].as_str().unwrap();
    let login = scratch.run(
        &[
            "login",
            "--server",
            &server.url,
            "--user-id",
            user,
            "--device-id",
            device,
        ],
        &[("PUSHSEAL_AUTH_TOKEN", ACCESS_TOKEN)],
        b"",
    );
    assert!(ok(&login).contains("logged in"));
}

#[test]
fn the_store_flow_fetches_the_event_and_the_backup_session_once_each() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let scratch = Scratch::new("flow");
    logged_in(&scratch, &server, "keys-sessions.json");
    let whoami = server.log();
    assert_eq!(whoami.len(), 1);
    assert_eq!(whoami[0]["endpoint"], "whoami");
    assert_eq!(whoami[0]["authorization"], format!("Bearer {ACCESS_TOKEN}"));

    // An id-only push: the event comes from the server.
    let id_only = push(&v, "apns-id-only-text");
    let payload = scratch.file("p1.json", id_only["payload"].to_string().as_bytes());
    let out = scratch.run(&["decrypt", "--json", &payload], &[], b"");
    let got = json_out(&out);
    assert_matches(&got, &id_only["expected_after_fetch"], "id-only");
    assert_eq!(
        (got["fetched"].as_bool(), got["room_key_fetched"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(out.status.code(), Some(0));
    let out = scratch.run(&["decrypt", "--offline", "--json", &payload], &[], b"");
    assert_eq!(json_out(&out)["status"], "needs_fetch");
    assert_eq!(out.status.code(), Some(3));

    // Before unlock, a backup-only session is missing.
    let archived = push(&v, "fcm-v1-no-room-key");
    let payload = scratch.file("p2.json", archived["payload"].to_string().as_bytes());
    let out = scratch.run(&["decrypt", "--json", &payload], &[], b"");
    assert_eq!(json_out(&out)["reason"], "no_room_key");

    // A wrong recovery key is refused and stores nothing.
    let wrong = "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d";
    let out = scratch.run(
        &["unlock", "--server", &server.url],
        &[("PUSHSEAL_RECOVERY_KEY", wrong)],
        b"",
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("recovery key"), "{}", stderr(&out));
    let info = json_out(&scratch.run(&["store", "info", "--json"], &[], b""));
    assert_eq!(info["accounts"][0]["has_backup_key"], false);

    let recovery = v["backup"]["recovery_key"].as_str().unwrap();
    let out = scratch.run(
        &["unlock", "--server", &server.url],
        &[],
        format!("{recovery}\n").as_bytes(),
    );
    assert!(ok(&out).contains("unlocked key backup version 7"));

    server.clear_log();
    let out = scratch.run(&["decrypt", "--json", &payload], &[], b"");
    let got = json_out(&out);
    assert_matches(&got, &archived["expected_after_backup"], "backup");
    assert_eq!(
        (got["fetched"].as_bool(), got["room_key_fetched"].as_bool()),
        (Some(false), Some(true))
    );
    let log = server.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["endpoint"], "backup_session");
    assert!(log[0]["raw_path"]
        .as_str()
        .unwrap()
        .ends_with("/TL%2BJUvH4EweKM9TpvCWnFZP%2FTvZhw6q79yRX25M8arc"));
    // The store was opened read-only: the session served that push only.
    let out = scratch.run(&["decrypt", "--offline", "--json", &payload], &[], b"");
    assert_eq!(json_out(&out)["reason"], "no_room_key");

    // sync imports the whole backup; then it decrypts offline.
    let out = ok(&scratch.run(&["sync", "--server", &server.url], &[], b""));
    assert!(out.contains("imported 3 sessions"), "{out}");
    let out = scratch.run(&["decrypt", "--offline", "--json", &payload], &[], b"");
    assert_eq!(json_out(&out)["status"], "decrypted");

    let info = json_out(&scratch.run(&["store", "info", "--json"], &[], b""));
    let account = &info["accounts"][0];
    assert_eq!(account["protocol"], "matrix");
    assert_eq!(account["server"], server.url);
    assert_eq!(account["user_id"], v["account"]["user_id"]);
    assert_eq!(account["device_id"], v["account"]["device_id"]);
    assert_eq!(
        (
            account["has_auth_token"].as_bool(),
            account["has_backup_key"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(account["backup_version"], "7");
    let text = info.to_string();
    assert!(
        !text.contains(ACCESS_TOKEN) && !text.contains("EsTr"),
        "{text}"
    );
    let rooms: Vec<_> = account["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["room_id"].as_str().unwrap())
        .collect();
    assert!(rooms.contains(&"!archive:example.org"), "{rooms:?}");
}

#[test]
fn failures_from_the_homeserver_are_typed_and_bounded() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let scratch = Scratch::new("faults");
    logged_in(&scratch, &server, "keys-sessions.json");
    let payload = scratch.file(
        "p.json",
        push(&v, "apns-id-only-text")["payload"]
            .to_string()
            .as_bytes(),
    );

    server.control(json!({"mode": "stall", "delay_ms": 30000}));
    let started = Instant::now();
    let out = scratch.run(
        &["decrypt", "--deadline-ms", "1500", "--json", &payload],
        &[],
        b"",
    );
    let took = started.elapsed();
    let got = json_out(&out);
    assert_eq!(
        (got["status"].as_str(), got["reason"].as_str()),
        (Some("failed"), Some("timeout"))
    );
    assert_eq!(out.status.code(), Some(3));
    // Process start and a loaded machine get room; the deadline itself is 1.5 s.
    assert!(took < Duration::from_secs(5), "took {took:?}");

    for (mode, reason) in [("not_found", "not_found"), ("unauthorized", "unauthorized")] {
        server.control(json!({"mode": mode}));
        let out = scratch.run(&["decrypt", "--json", &payload], &[], b"");
        assert_eq!(json_out(&out)["reason"], reason);
        assert_eq!(out.status.code(), Some(3));
    }
    server.control(json!({"mode": "normal"}));

    // No backup on the server: unlock fails and says so.
    server.control(json!({"backup": false}));
    let recovery = v["backup"]["recovery_key"].as_str().unwrap();
    let out = scratch.run(
        &["unlock", "--server", &server.url],
        &[("PUSHSEAL_RECOVERY_KEY", recovery)],
        b"",
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("no key backup"), "{}", stderr(&out));

    // A token the server does not know is not stored.
    let scratch2 = Scratch::new("badlogin");
    let out = scratch2.run(
        &[
            "login",
            "--server",
            &server.url,
            "--user-id",
            "@bob:example.org",
            "--device-id",
            "D",
        ],
        &[("PUSHSEAL_AUTH_TOKEN", "wrong")],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unauthorized"), "{}", stderr(&out));
}

#[test]
fn unlock_with_the_backup_passphrase() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let scratch = Scratch::new("passphrase");
    logged_in(&scratch, &server, "keys-sessions.json");
    let pass = v["backup"]["backup_passphrase"].as_str().unwrap();
    let out = scratch.run(
        &["unlock", "--server", &server.url, "--passphrase"],
        &[("PUSHSEAL_BACKUP_PASSPHRASE", "nope")],
        b"",
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("passphrase"), "{}", stderr(&out));
    let out = scratch.run(
        &["unlock", "--server", &server.url, "--passphrase"],
        &[("PUSHSEAL_BACKUP_PASSPHRASE", pass)],
        b"",
    );
    assert!(ok(&out).contains("unlocked"));
}

/// Element shows its secret-storage key as "the recovery key". `unlock
/// --server` opens the backup with it by reading the secret-storage account
/// data, and only when the key is not the raw backup key.
#[test]
fn unlock_with_elements_recovery_key_reads_secret_storage_from_the_server() {
    let v = matrix_vectors();
    let server = FakeHomeserver::http(&[]);
    let unlock = |scratch: &Scratch, env: (&str, &str), flags: &[&str]| {
        let mut args = vec!["unlock", "--server", server.url.as_str()];
        args.extend_from_slice(flags);
        scratch.run(&args, &[env], b"")
    };

    let raw = Scratch::new("raw-recovery");
    logged_in(&raw, &server, "keys-sessions.json");
    server.clear_log();
    let recovery = v["backup"]["recovery_key"].as_str().unwrap();
    let out = unlock(&raw, ("PUSHSEAL_RECOVERY_KEY", recovery), &[]);
    assert!(ok(&out).contains("unlocked key backup version 7"));
    assert_eq!(
        server.requests("account_data"),
        0,
        "the raw key needs no account data"
    );

    for (name, env, flags) in [
        (
            "ssss-key",
            (
                "PUSHSEAL_RECOVERY_KEY",
                v["backup"]["secret_storage_recovery_key"].as_str().unwrap(),
            ),
            &[][..],
        ),
        (
            "ssss-passphrase",
            (
                "PUSHSEAL_BACKUP_PASSPHRASE",
                v["backup"]["secret_storage_passphrase"].as_str().unwrap(),
            ),
            &["--passphrase"][..],
        ),
    ] {
        let scratch = Scratch::new(name);
        logged_in(&scratch, &server, "keys-sessions.json");
        server.clear_log();
        let out = unlock(&scratch, env, flags);
        assert!(ok(&out).contains("unlocked key backup version 7"), "{name}");
        assert_eq!(server.requests("account_data"), 3, "{name}");
        assert!(
            server
                .log()
                .iter()
                .all(|r| r["authorization"] == format!("Bearer {ACCESS_TOKEN}")),
            "{name}"
        );
        let info = json_out(&scratch.run(&["store", "info", "--json"], &[], b""));
        assert_eq!(info["accounts"][0]["has_backup_key"], true, "{name}");
        // The stored key opens the backup: a backup-only session arrives.
        let archived = push(&v, "fcm-v1-no-room-key");
        let payload = scratch.file("p.json", archived["payload"].to_string().as_bytes());
        let out = scratch.run(&["decrypt", "--json", &payload], &[], b"");
        assert_matches(&json_out(&out), &archived["expected_after_backup"], name);
    }

    // A key that is neither still fails, says "recovery key", stores nothing.
    let wrong = Scratch::new("wrong-recovery");
    logged_in(&wrong, &server, "keys-sessions.json");
    let bad = "EsTc LW2K PGiF wKEA 3As5 g5c4 BXwk qeeJ ZJV8 Q9fu gUMN UE4d";
    let out = unlock(&wrong, ("PUSHSEAL_RECOVERY_KEY", bad), &[]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("recovery key"), "{}", stderr(&out));
    let info = json_out(&wrong.run(&["store", "info", "--json"], &[], b""));
    assert_eq!(info["accounts"][0]["has_backup_key"], false);
}

#[test]
fn the_bundled_demo_files_work_as_the_readme_says() {
    let scratch = Scratch::new("demo");
    let demo = |f: &str| repo().join("cli/demo").join(f).to_str().unwrap().to_owned();
    let keys = demo("matrix-keys.json");
    // The bundled keys file is the bundled export with its passphrase.
    let file = keys_file("keys-export.json");
    assert_eq!(
        std::fs::read_to_string(demo("matrix-export.txt")).unwrap(),
        file["room_keys"]["export"].as_str().unwrap()
    );
    let out = scratch.run(
        &[
            "decrypt",
            "--keys",
            &keys,
            &demo("m01-fcm-data-matrix.json"),
        ],
        &[],
        b"",
    );
    let text = ok(&out);
    assert!(
        text.contains("title:   Project X")
            && text.contains("body:    Hi Bob, the build is green ✅"),
        "{text}"
    );
    assert!(stderr(&out).contains("skipped session"));
    let out = scratch.run(
        &[
            "decrypt",
            "--json",
            "--keys",
            &keys,
            &demo("m02-fcm-v1-matrix-thread.json"),
        ],
        &[],
        b"",
    );
    assert_eq!(json_out(&out)["status"], "decrypted");
    let out = scratch.run(
        &[
            "decrypt",
            "--keys",
            &keys,
            &demo("m03-apns-id-only-matrix.json"),
        ],
        &[],
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("needs fetch (id_only)"));
}

#[test]
fn a_keys_file_backup_opens_with_elements_secret_storage_recovery_key() {
    let v = matrix_vectors();
    let scratch = Scratch::new("4s");
    let mut file = keys_file("keys-sessions.json");
    file["backup"]["recovery_key"] = v["backup"]["secret_storage_recovery_key"].clone();
    let payload = scratch.file(
        "p.json",
        push(&v, "fcm-v1-no-room-key")["payload"]
            .to_string()
            .as_bytes(),
    );
    // Without the account data the secret-storage key is not the backup key.
    let keys = scratch.file("keys.json", file.to_string().as_bytes());
    let out = scratch.run(&["decrypt", "--json", "--keys", &keys, &payload], &[], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("recovery key"), "{}", stderr(&out));
    file["backup"]["account_data"] = v["backup"]["account_data"].clone();
    let keys = scratch.file("keys.json", file.to_string().as_bytes());
    let out = scratch.run(&["decrypt", "--json", "--keys", &keys, &payload], &[], b"");
    assert_eq!(json_out(&out)["status"], "decrypted", "{}", stderr(&out));
}
