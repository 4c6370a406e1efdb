//! Stress and fault runs over one store, shared by `tests/store_stress.rs`
//! (short, asserted) and `examples/store_stress.rs` (long, measured; run by
//! `scripts/stress-store.sh`). Children are started by the caller with
//! [`child_env`] and run [`run_child`].
//!
//! A write is *acknowledged* once its call returned `Ok` and its number is
//! in the ack log; every acknowledged write must be in the store later,
//! whatever happened to the writer.
#![allow(dead_code)]

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use pushseal::Outcome;
use serde_json::Value;

use super::fixtures::{device_key, device_user_id, subscriptions};

pub const SERVER: &str = "https://chat.example.org";
const ROLE: &str = "PUSHSEAL_STRESS_ROLE";
/// A child that outlives this is stuck: the run fails instead of hanging.
pub const CHILD_LIMIT: Duration = Duration::from_secs(600);

/// One run's shared files.
#[derive(Clone)]
pub struct Run {
    pub db: PathBuf,
    pub key: StoreKey,
    pub acks: PathBuf,
    /// The writer and readers stop when this file exists.
    pub stop: PathBuf,
}

impl Run {
    pub fn new(dir: &Path, v: &Value) -> Self {
        let run = Self {
            db: dir.join("store.db"),
            key: StoreKey::generate(),
            acks: dir.join("acks"),
            stop: dir.join("stop"),
        };
        let store = Store::open(&run.db, &run.key, OpenMode::ReadWrite).unwrap();
        store.set_account(SERVER, &device_user_id(v)).unwrap();
        store.set_private_key(SERVER, &device_key(v)).unwrap();
        store
            .import_subscriptions(SERVER, &subscriptions(v))
            .unwrap();
        store.close().unwrap();
        std::fs::write(&run.acks, b"").unwrap();
        run
    }

    /// Sets the child's role and the run's files on `cmd`.
    pub fn child_env(&self, cmd: &mut Command, role: &str) {
        cmd.env(ROLE, role)
            .env("PUSHSEAL_STRESS_DB", &self.db)
            .env("PUSHSEAL_STRESS_KEY", self.key.to_hex().expose())
            .env("PUSHSEAL_STRESS_ACKS", &self.acks)
            .env("PUSHSEAL_STRESS_STOP", &self.stop)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
    }

    fn from_env() -> Option<(String, Self)> {
        let var = |k: &str| std::env::var(k).ok();
        Some((
            var(ROLE)?,
            Self {
                db: var("PUSHSEAL_STRESS_DB")?.into(),
                key: StoreKey::from_hex(&var("PUSHSEAL_STRESS_KEY")?).ok()?,
                acks: var("PUSHSEAL_STRESS_ACKS")?.into(),
                stop: var("PUSHSEAL_STRESS_STOP")?.into(),
            },
        ))
    }

    pub fn acked(&self) -> Vec<usize> {
        std::fs::read_to_string(&self.acks)
            .unwrap()
            .lines()
            .filter_map(|l| l.parse().ok())
            .collect()
    }
}

/// What a child counted, from its `STRESS key=value` line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub ops: usize,
    pub busy: usize,
    pub errors: usize,
    /// A reader that did not see an acknowledged write.
    pub stale: usize,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.ops += o.ops;
        self.busy += o.busy;
        self.errors += o.errors;
        self.stale += o.stale;
    }

    fn print(&self) {
        println!(
            "STRESS ops={} busy={} errors={} stale={}",
            self.ops, self.busy, self.errors, self.stale
        );
    }

    fn parse(line: &str) -> Option<Self> {
        let rest = line.strip_prefix("STRESS ")?;
        let mut c = Counts::default();
        for part in rest.split_whitespace() {
            let (k, v) = part.split_once('=')?;
            let v = v.parse().ok()?;
            match k {
                "ops" => c.ops = v,
                "busy" => c.busy = v,
                "errors" => c.errors = v,
                "stale" => c.stale = v,
                _ => {}
            }
        }
        Some(c)
    }
}

/// Runs the role named in the environment; false when there is none.
pub fn run_child(pushes: &[(String, Vec<u8>, String)]) -> bool {
    let Some((role, run)) = Run::from_env() else {
        return false;
    };
    let counts = match role.as_str() {
        "writer" => writer(&run),
        "reader" => reader(&run, pushes),
        other => panic!("unknown stress role {other}"),
    };
    counts.print();
    true
}

fn server(i: usize) -> String {
    format!("https://s{i}.stress.example")
}

fn token(i: usize) -> String {
    format!("stress-token-{i}")
}

/// Adds one account with a token per step, acknowledging each, until the
/// stop file appears (or until killed). Pauses every 50 steps, as an app
/// being suspended does.
fn writer(run: &Run) -> Counts {
    let mut c = Counts::default();
    let store = Store::open(&run.db, &run.key, OpenMode::ReadWrite).unwrap();
    let mut acks = OpenOptions::new().append(true).open(&run.acks).unwrap();
    let mut i = run.acked().last().map_or(0, |n| n + 1);
    while !run.stop.exists() {
        let s = server(i);
        let wrote = store
            .set_account(&s, "u")
            .and_then(|()| store.set_auth_token(&s, token(i).into()));
        match wrote {
            Ok(()) => {
                // One write(2): `writeln!` writes the number and the newline
                // separately, and a SIGKILL between them left "65" without
                // its newline, so the next writer's "66" made it "6566", an
                // ack of a write that never happened.
                acks.write_all(format!("{i}\n").as_bytes()).unwrap();
                c.ops += 1;
                i += 1;
            }
            Err(StoreError::Busy) => c.busy += 1,
            Err(e) => {
                eprintln!("writer: {e}");
                c.errors += 1;
            }
        }
        if i % 50 == 49 {
            store.pause().unwrap();
        }
    }
    c
}

/// Decrypts the vector pushes and, every tenth step, looks up the newest
/// acknowledged write, over one read-only `Store` that closes its
/// connection every 25 steps and reopens it on the next call.
fn reader(run: &Run, pushes: &[(String, Vec<u8>, String)]) -> Counts {
    let mut c = Counts::default();
    let store = Store::open(&run.db, &run.key, OpenMode::ReadOnly).unwrap();
    let mut step = 0usize;
    while !run.stop.exists() {
        step += 1;
        let (id, push, body) = &pushes[step % pushes.len()];
        match decrypt_push(push, &store) {
            outcome if outcome.display().1 == *body => c.ops += 1,
            Outcome::Failed(f) if f.detail.contains("busy") => c.busy += 1,
            outcome => {
                eprintln!("reader: {id}: {}", outcome.status());
                c.errors += 1;
            }
        }
        if step.is_multiple_of(25) {
            // As an extension does between pushes: the next call reopens,
            // checking the header while the writer commits and checkpoints.
            if let Err(e) = store.pause() {
                eprintln!("reader: pause: {e}");
                c.errors += 1;
            }
        }
        if !step.is_multiple_of(10) {
            continue;
        }
        let Some(i) = last_ack(&run.acks) else {
            continue;
        };
        match store.auth(&server(i)) {
            Ok(Some((_, t))) if t.expose() == token(i) => c.ops += 1,
            Ok(_) => c.stale += 1,
            Err(StoreError::Busy) => c.busy += 1,
            Err(e) => {
                eprintln!("reader: auth: {e}");
                c.errors += 1;
            }
        }
    }
    c
}

/// The last complete line of the ack log, read from its end.
fn last_ack(path: &Path) -> Option<usize> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(64))).ok()?;
    let mut tail = String::new();
    f.read_to_string(&mut tail).ok()?;
    let complete = tail.rsplit_once('\n')?.0;
    complete.rsplit('\n').next()?.parse().ok()
}

/// Waits for a child and sums its counts.
pub fn finish(child: Child, what: &str) -> Counts {
    let stdout = super::child_output(child, what, CHILD_LIMIT);
    stdout
        .lines()
        .find_map(|l| l.find("STRESS ").and_then(|at| Counts::parse(&l[at..])))
        .unwrap_or_else(|| panic!("{what} printed no counts:\n{stdout}"))
}

/// After everything stopped (or was killed): opens the store read-write,
/// which recovers the WAL, checks it, and counts acknowledged writes that
/// are missing. Returns (acknowledged, lost, damage found).
pub fn verify(run: &Run) -> (usize, usize, Option<String>) {
    let acked = run.acked();
    let store = match Store::open(&run.db, &run.key, OpenMode::ReadWrite) {
        Ok(store) => store,
        Err(e) => return (acked.len(), acked.len(), Some(e.to_string())),
    };
    let damage = store.check_integrity().err().map(|e| e.to_string());
    let lost = acked
        .iter()
        .filter(|&&i| !matches!(store.auth(&server(i)), Ok(Some((_, t))) if t.expose() == token(i)))
        .count();
    store.close().unwrap();
    (acked.len(), lost, damage)
}

/// Waits until the ack log holds more than `n` writes.
pub fn wait_for_acks(run: &Run, n: usize) {
    let started = Instant::now();
    while run.acked().len() <= n {
        assert!(started.elapsed() < CHILD_LIMIT, "the writer never wrote");
        std::thread::sleep(Duration::from_millis(2));
    }
}
