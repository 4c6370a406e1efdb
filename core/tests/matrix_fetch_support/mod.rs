//! The fake Matrix homeserver (tests/fake-server/fake_homeserver.py) as a
//! child process, for the core's and the CLI's Matrix fetch tests.
#![allow(dead_code)] // each test file uses a different part

#[path = "../fake_process/mod.rs"]
mod fake_process;

use std::path::PathBuf;
use std::process::Command;

use fake_process::FakeProcess;
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
    process: FakeProcess,
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
        let process = FakeProcess::start(cmd, "fake homeserver");
        let port = process.port;
        let scheme = if tls { "https" } else { "http" };
        Self {
            process,
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
        self.process.control(method, body)
    }
}
