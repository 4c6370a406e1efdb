//! The real `pushseal` binary against the fake Rocket.Chat server
//! (tests/fake-server/): login, unlock, sync, then decrypt pushes that need
//! the network, as the phone's extension would.

#[path = "../../core/tests/support/mod.rs"]
mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{push, tls_file, vectors, with_host, FakeServer, TOKEN};

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("pushseal-cli-net-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Runs pushseal on this scratch folder's store; `stdin` is piped in.
    fn run(&self, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
        let store = self.0.join("store.db");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushseal"));
        cmd.arg("--store")
            .arg(&store)
            .args(args)
            .env_remove("PUSHSEAL_E2E_PASSWORD")
            .env_remove("PUSHSEAL_AUTH_TOKEN")
            .env_remove("PUSHSEAL_STORE_KEY")
            .env("XDG_DATA_HOME", self.0.join("data"))
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

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A store logged in to `server`, unlocked and synced, through the CLI.
fn set_up(scratch: &Scratch, server: &FakeServer, net: &[&str]) {
    let v = vectors();
    let user = v["device_user"]["user_id"].as_str().unwrap();
    // login checks the token with the server, so it takes the TLS options too.
    let login = scratch.run(
        &[&["login", "--server", &server.url, "--user-id", user], net].concat(),
        &[("PUSHSEAL_AUTH_TOKEN", TOKEN)],
        b"",
    );
    assert!(ok(&login).contains("logged in"));
    let password = format!("{}\n", v["device_user"]["password"].as_str().unwrap());
    let unlock = scratch.run(
        &[&["unlock", "--server", &server.url], net].concat(),
        &[],
        password.as_bytes(),
    );
    assert!(ok(&unlock).contains("unlocked"));
    let sync = scratch.run(
        &[&["sync", "--server", &server.url], net].concat(),
        &[],
        b"",
    );
    assert!(ok(&sync).contains("new room keys"), "{}", ok(&sync));
}

#[test]
fn login_unlock_sync_then_decrypt_fetching_when_needed() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("flow");
    set_up(&scratch, &server, &[]);

    let id_only = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );
    let out = scratch.run(&["decrypt", "--json", "-"], &[], &id_only);
    let got = json(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(got["status"], "decrypted");
    assert_eq!(got["protocol"], "rocketchat");
    assert_eq!(got["fetched"], true);
    assert_eq!(got["room_key_fetched"], false);
    let want = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "MsgE2eVec00000001")
        .unwrap();
    assert_eq!(got["body"], want["expected_body"]);

    let offline = scratch.run(&["decrypt", "--offline", "--json", "-"], &[], &id_only);
    assert_eq!(offline.status.code(), Some(3));
    assert_eq!(
        (
            json(&offline)["status"].clone(),
            json(&offline)["fetched"].clone()
        ),
        ("needs_fetch".into(), false.into())
    );

    let pushed = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
    let text = ok(&scratch.run(&["decrypt", "-"], &[], &pushed));
    assert!(text.contains(want["expected_body"].as_str().unwrap()));
    assert!(!text.contains("fetched from the server"));
    assert_eq!(server.requests("push.get"), 1);
}

#[test]
fn failures_are_typed_and_bounded_by_the_deadline() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("faults");
    set_up(&scratch, &server, &[]);
    let id_only = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );

    server.control(serde_json::json!({"mode": "stall"}));
    let started = Instant::now();
    let out = scratch.run(
        &["decrypt", "--deadline-ms", "1000", "--json", "-"],
        &[],
        &id_only,
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let got = json(&out);
    assert_eq!(
        (got["status"].as_str(), got["reason"].as_str()),
        (Some("failed"), Some("timeout"))
    );
    assert_eq!(got["body"], "You have a new message");
    assert_eq!(out.status.code(), Some(3));

    server.control(serde_json::json!({"mode": "unauthorized"}));
    let out = scratch.run(&["sync", "--server", &server.url], &[], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(unauthorized)"));
}

#[test]
fn tls_with_the_extra_ca_and_without() {
    let v = vectors();
    let server = FakeServer::https(&[]);
    let scratch = Scratch::new("tls");
    let ca = tls_file("ca.pem");
    set_up(&scratch, &server, &["--ca-file", ca.to_str().unwrap()]);
    let id_only = with_host(
        &push(&v, "p35-fcm-data-idonly-rc.v1")["payload"],
        &server.url,
    );
    let out = scratch.run(
        &["decrypt", "--ca-file", ca.to_str().unwrap(), "--json", "-"],
        &[],
        &id_only,
    );
    assert_eq!(json(&out)["status"], "decrypted");
    let untrusted = json(&scratch.run(&["decrypt", "--json", "-"], &[], &id_only));
    assert_eq!(untrusted["reason"], "tls");
}

#[test]
fn secrets_never_come_from_arguments_and_are_never_printed() {
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("secrets");
    // A wrong login is refused (exit 1) by the server's check; either way
    // the token read from stdin is never echoed.
    let out = scratch.run(
        &["login", "--server", &server.url, "--user-id", "u"],
        &[],
        b"s3cret-token\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("s3cret-token"));
    let empty = scratch.run(
        &["login", "--server", &server.url, "--user-id", "u"],
        &[],
        b"",
    );
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("PUSHSEAL_AUTH_TOKEN"));
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn login_checks_the_token_once_and_stores_nothing_when_refused() {
    let v = vectors();
    let user = v["device_user"]["user_id"].as_str().unwrap();
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("login");
    let login = |token: &str, user: &str| {
        scratch.run(
            &["login", "--server", &server.url, "--user-id", user],
            &[("PUSHSEAL_AUTH_TOKEN", token)],
            b"",
        )
    };

    let refused = login("not-the-token", user);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let said = stderr(&refused);
    assert!(said.contains("refused this login"), "{said}");
    assert!(said.contains("nothing was stored"), "{said}");
    assert!(!said.contains("not-the-token"), "{said}");
    assert!(
        !scratch.0.join("store.db").exists(),
        "no store for a refused login"
    );
    assert_eq!(server.requests("me"), 1);

    assert!(ok(&login(TOKEN, user)).contains("logged in"));
    assert_eq!(server.requests("me"), 2, "one check per login");
    let info = json(&scratch.run(&["store", "info", "--json"], &[], b""));
    assert_eq!(info["accounts"][0]["has_auth_token"], true);
}

#[test]
fn unlock_with_a_wrong_password_says_so_in_plain_words() {
    let v = vectors();
    let user = v["device_user"]["user_id"].as_str().unwrap();
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("unlock");
    let login = scratch.run(
        &["login", "--server", &server.url, "--user-id", user],
        &[("PUSHSEAL_AUTH_TOKEN", TOKEN)],
        b"",
    );
    ok(&login);
    let out = scratch.run(
        &["unlock", "--server", &server.url],
        &[],
        b"wrong-password-123\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(said.contains("wrong E2E password"), "{said}");
    assert!(!said.contains("no_private_key"), "{said}");
    assert!(said.contains("pushseal unlock --server"), "{said}");
    assert!(!said.contains("wrong-password-123"), "{said}");
}

#[test]
fn sync_before_unlock_says_the_keys_are_pending() {
    let v = vectors();
    let user = v["device_user"]["user_id"].as_str().unwrap();
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("pending");
    ok(&scratch.run(
        &["login", "--server", &server.url, "--user-id", user],
        &[("PUSHSEAL_AUTH_TOKEN", TOKEN)],
        b"",
    ));
    let synced = ok(&scratch.run(&["sync", "--server", &server.url], &[], b""));
    assert!(synced.contains("0 new room keys"), "{synced}");
    assert!(synced.contains("room keys are pending"), "{synced}");
    assert!(synced.contains("pushseal unlock --server"), "{synced}");

    let before = json(&scratch.run(&["store", "info", "--json"], &[], b""));
    let pending = before["accounts"][0]["pending_keys"].as_u64().unwrap();
    assert!(pending > 1, "{before}");
    assert!(
        synced.contains(&format!("{pending} room keys are pending")),
        "{synced}"
    );
    let info = ok(&scratch.run(&["store", "info"], &[], b""));
    assert!(info.contains(&format!("pending: {pending}")), "{info}");
    assert!(!info.contains("waiting"), "{info}");
    assert!(info.contains("pending until `pushseal unlock"), "{info}");

    let password = format!("{}\n", v["device_user"]["password"].as_str().unwrap());
    ok(&scratch.run(
        &["unlock", "--server", &server.url],
        &[],
        password.as_bytes(),
    ));
    // Unlocking unwraps them; the vectors' key wrapped for another user
    // cannot be unwrapped and stays pending.
    let info = json(&scratch.run(&["store", "info", "--json"], &[], b""));
    assert_eq!(info["accounts"][0]["has_private_key"], true, "{info}");
    assert!(
        info["accounts"][0]["pending_keys"].as_u64().unwrap() < pending,
        "{info}"
    );
    let text = ok(&scratch.run(&["store", "info"], &[], b""));
    assert!(!text.contains("pending until"), "{text}");
}

#[test]
fn an_id_only_push_is_fetched_only_from_the_server_logged_in_to() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let scratch = Scratch::new("host");
    set_up(&scratch, &server, &[]);
    let payload = &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"];
    // Same server under another name: not the login's URL, so no fetch.
    let other_name = server.url.replace("127.0.0.1", "localhost");
    for host in [other_name.as_str(), "https://chat.example.org"] {
        let out = scratch.run(&["decrypt", "--json", "-"], &[], &with_host(payload, host));
        let got = json(&out);
        assert_eq!(out.status.code(), Some(3), "{host}");
        assert_eq!(got["reason"], "not_logged_in", "{host}: {got}");
        assert_eq!(got["fetched"], false);
    }
    assert_eq!(server.requests("push.get"), 0);
    let out = scratch.run(
        &["decrypt", "--json", "-"],
        &[],
        &with_host(payload, &server.url),
    );
    assert_eq!(json(&out)["fetched"], true);
}
