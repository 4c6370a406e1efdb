//! The fake Matrix homeserver (tests/fake-server/fake_homeserver.py) as a
//! child process, for the core's and the CLI's Matrix fetch tests.
#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

pub const ACCESS_TOKEN: &str = "fake-access-token";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn matrix_vectors() -> Value {
    let path = repo().join("tests/vectors/matrix/matrix.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A running fake homeserver; killed when dropped (it also exits when its
/// stdin closes, so a crashed test leaves nothing behind).
pub struct FakeHomeserver {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    /// `http://127.0.0.1:<port>` or `https://…`.
    pub url: String,
}

impl FakeHomeserver {
    pub fn http(extra: &[&str]) -> Self {
        Self::launch(false, extra)
    }

    pub fn https(extra: &[&str]) -> Self {
        Self::launch(true, extra)
    }

    fn launch(tls: bool, extra: &[&str]) -> Self {
        let python = std::env::var("PUSHSEAL_PYTHON").unwrap_or_else(|_| "python3".into());
        let tls_dir = repo().join("tests/fake-server/tls");
        let mut cmd = Command::new(python);
        cmd.arg(repo().join("tests/fake-server/fake_homeserver.py"))
            .args([
                "--port",
                "0",
                "--token",
                ACCESS_TOKEN,
                "--max-seconds",
                "240",
            ])
            .arg("--fixtures")
            .arg(repo().join("tests/vectors/matrix/matrix.json"))
            .args(extra);
        if tls {
            cmd.arg("--tls")
                .arg(tls_dir.join("server.pem"))
                .arg(tls_dir.join("server.key"));
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed to run the fake homeserver");
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
            .expect("fake homeserver did not start");
        let port: u16 = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("fake homeserver said {line:?}"));
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

    /// Requests counted per endpoint (`event`, `backup_session`, …).
    pub fn requests(&self, endpoint: &str) -> u64 {
        self.raw("GET", "")["requests"][endpoint]
            .as_u64()
            .unwrap_or(0)
    }

    /// Every request so far: endpoint, path, raw_path, query, authorization, status.
    pub fn log(&self) -> Vec<Value> {
        self.raw("GET", "")["log"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn clear_log(&self) {
        self.control(serde_json::json!({"clear_log": true}));
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

impl Drop for FakeHomeserver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
