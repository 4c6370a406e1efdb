//! Test support shared by the net_* tests: the fake Rocket.Chat server
//! (tests/fake-server/fake_rocketchat.py) as a child process, the vectors,
//! and a keyring-backed store logged in to the fake server.

#![allow(dead_code)] // each test file uses a different part

#[path = "../fixtures/mod.rs"]
mod fixtures;
pub use fixtures::*;

pub mod hostile;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use pushseal::net::ClientConfig;
use pushseal::rocketchat::Keyring;
use pushseal::rocketchat::{AccountStore, Client};
use pushseal::SecretString;
use serde_json::{json, Value};

pub const TOKEN: &str = "fake-auth-token";

pub fn tls_file(name: &str) -> PathBuf {
    repo().join("tests/fake-server/tls").join(name)
}

/// A running fake server; killed when dropped (and it exits by itself when
/// its stdin closes, so a crashed test leaves nothing behind).
pub struct FakeServer {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    /// `http://127.0.0.1:<port>` or `https://…`.
    pub url: String,
}

impl FakeServer {
    pub fn http(extra: &[&str]) -> Self {
        Self::start(false, extra)
    }

    pub fn https(extra: &[&str]) -> Self {
        Self::start(true, extra)
    }

    /// An https server that presents `server.pem` followed by the given
    /// committed certificates (tests/fake-server/tls/), in that order.
    pub fn https_presenting(also: &[&str]) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let chain =
            std::env::temp_dir().join(format!("pushseal-chain-{}-{n}.pem", std::process::id()));
        let mut pem = std::fs::read_to_string(tls_file("server.pem")).unwrap();
        for name in also {
            pem.push_str(&std::fs::read_to_string(tls_file(name)).unwrap());
        }
        std::fs::write(&chain, pem).unwrap();
        let server = Self::launch(Some(chain.clone()), &[]);
        // The server has read the file once it says READY.
        let _ = std::fs::remove_file(chain);
        server
    }

    fn start(tls: bool, extra: &[&str]) -> Self {
        Self::launch(tls.then(|| tls_file("server.pem")), extra)
    }

    fn launch(chain: Option<PathBuf>, extra: &[&str]) -> Self {
        let tls = chain.is_some();
        let python = std::env::var("PUSHSEAL_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = repo().join("tests/fake-server/fake_rocketchat.py");
        let fixtures = repo().join("tests/vectors/rocketchat.json");
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .args([
                "--port",
                "0",
                "--token",
                TOKEN,
                "--max-seconds",
                "240",
                "--fixtures",
            ])
            .arg(fixtures)
            .args(extra);
        if let Some(chain) = &chain {
            cmd.arg("--tls").arg(chain).arg(tls_file("server.key"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed to run the fake server");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("fake server did not start");
        let port: u16 = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("fake server said {line:?}"));
        let scheme = if tls { "https" } else { "http" };
        Self {
            child,
            _stdin: stdin,
            port,
            url: format!("{scheme}://127.0.0.1:{port}"),
        }
    }

    /// POST /_control (plain-http servers only).
    pub fn control(&self, body: Value) -> Value {
        self.raw("POST", &body.to_string())
    }

    /// Requests counted per endpoint.
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.raw("GET", "")["requests"][endpoint]
            .as_u64()
            .unwrap_or(0)
    }

    fn raw(&self, method: &str, body: &str) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} /_control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let json = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        serde_json::from_str(json).unwrap_or_else(|e| panic!("control answered {answer:?}: {e}"))
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The device user logged in to `server`, with the private key and the
/// room keys of the rooms `keep` accepts.
pub fn store(v: &Value, server: &str, keep: impl Fn(&str) -> bool) -> Arc<Mutex<Keyring>> {
    let mut keyring = Keyring::new();
    keyring
        .add_account(server, &device_user_id(v), Some(device_key(v)))
        .unwrap();
    keyring
        .set_auth_token(server, SecretString::from(TOKEN))
        .unwrap();
    keyring
        .import_subscriptions(server, &subscriptions_where(v, keep))
        .unwrap();
    Arc::new(Mutex::new(keyring))
}

pub fn client(store: Arc<Mutex<Keyring>>, config: ClientConfig) -> Client {
    Client::new(config, store as Arc<dyn AccountStore>).unwrap()
}

/// Fast retries, so fault tests do not wait for production backoff.
pub fn test_config() -> ClientConfig {
    let mut c = ClientConfig::default();
    c.retry.first_backoff = Duration::from_millis(50);
    c
}

/// An APNs push in id-only mode (spec §7.3, §7.5), as the fake server's
/// own URL would send it.
pub fn id_only_push(server: &str, message_id: &str) -> Vec<u8> {
    let ejson = json!({"host": format!("{server}/"), "messageId": message_id, "notificationType": "message-id-only"});
    serde_json::to_vec(&json!({
        "ejson": ejson.to_string(),
        "messageFrom": "push",
        "aps": {"alert": "You have a new message", "badge": 1, "sound": "default", "mutable-content": 1}
    }))
    .unwrap()
}

/// A vectors push with its `host` pointed at `server`, in whichever
/// container it comes (spec §7.4–§7.6).
pub fn with_host(payload: &Value, server: &str) -> Vec<u8> {
    fn set(ejson: &mut Value, server: &str) {
        match ejson {
            Value::String(s) => {
                let mut inner: Value = serde_json::from_str(s).unwrap();
                inner["host"] = json!(format!("{server}/"));
                *s = inner.to_string();
            }
            other => other["host"] = json!(format!("{server}/")),
        }
    }
    let mut p = payload.clone();
    let path = if p.pointer("/message/data/ejson").is_some() {
        "/message/data/ejson"
    } else if p.get("ejson").is_some() {
        "/ejson"
    } else {
        ""
    };
    set(p.pointer_mut(path).unwrap(), server);
    serde_json::to_vec(&p).unwrap()
}

pub fn message<'v>(v: &'v Value, id: &str) -> &'v Value {
    v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap()
}

pub fn push<'v>(v: &'v Value, id: &str) -> &'v Value {
    v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap()
}
