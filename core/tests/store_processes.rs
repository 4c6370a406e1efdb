//! Real OS processes sharing one store: a writer importing keys while
//! readers decrypt, and writers killed with SIGKILL in mid-write. The
//! children are this test binary again, running the ignored test
//! `child_process_role`. Every wait is on a count or a file, never a time
//! window, so a slow (emulated) machine only makes the tests slower.

mod store_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use pushseal::Outcome;
use store_support::*;

const ROLE: &str = "PUSHSEAL_TEST_CHILD_ROLE";
/// Imports the writer commits.
const IMPORTS: usize = 12;
const READERS: usize = 3;
/// Upper bound for any child or wait; past it the test fails instead of
/// hanging. Generous: under emulation a child can be 20 times slower.
const CHILD_LIMIT: Duration = Duration::from_secs(300);

fn spawn(role: &str, db: &Path, key: &StoreKey, extra: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_role",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(ROLE, role)
    .env("PUSHSEAL_TEST_STORE", db)
    .env("PUSHSEAL_TEST_STORE_KEY", key.to_hex().expose())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Waits for a child with a deadline; returns its `CHILD …` lines.
fn finish(child: Child, what: &str) -> Vec<String> {
    let stdout = child_output(child, what, CHILD_LIMIT);
    stdout
        .lines()
        .filter_map(child_line)
        .map(str::to_owned)
        .collect()
}

/// A child's own line; with `--nocapture` the first one shares its line
/// with the test harness's "test child_process_role ... ".
fn child_line(line: &str) -> Option<&str> {
    line.split_once("CHILD ").map(|(_, rest)| rest)
}

fn number(lines: &[String], prefix: &str) -> usize {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
}

fn stress_rooms(store: &Store) -> usize {
    store.info().unwrap()[0]
        .rooms
        .iter()
        .filter(|r| r.rid.starts_with("Stress"))
        .count()
}

#[test]
fn one_writer_and_three_readers_in_separate_processes() {
    let v = vectors();
    let dir = TempDir::new("processes");
    let key = StoreKey::generate();
    seeded_store(&dir.db(), &key, &v).close().unwrap();
    let pushes = dir.path().join("pushes");
    std::fs::create_dir(&pushes).unwrap();
    let with = [("PUSHSEAL_TEST_PUSHES", pushes.display().to_string())];

    let readers: Vec<Child> = (0..READERS)
        .map(|r| {
            let me = [with[0].clone(), ("PUSHSEAL_TEST_READER", r.to_string())];
            spawn("reader", &dir.db(), &key, &me)
        })
        .collect();
    let writer = spawn("writer", &dir.db(), &key, &with);
    let wrote = number(&finish(writer, "writer"), "wrote ");
    assert_eq!(wrote, IMPORTS);
    for (i, reader) in readers.into_iter().enumerate() {
        let lines = finish(reader, &format!("reader {i}"));
        assert!(number(&lines, "decrypted ") > 0);
        // The writer waited half-way until this reader had decrypted its
        // newest push, so the reader's open connection saw a commit made
        // after it opened, while the writer was still running.
        let overlapped = number(&lines, "overlapped ");
        eprintln!("reader {i}: {overlapped} fresh keys decrypted while the writer ran");
        assert!(overlapped > 0, "reader {i} never overlapped the writer");
    }

    // No lost write: every import the writer reported is there.
    let store = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap();
    assert_eq!(stress_rooms(&store), wrote);
    let files = std::fs::read_dir(&pushes)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".json")
        })
        .count();
    assert_eq!(files, wrote);
    store.check_integrity().unwrap();
}

#[test]
fn a_writer_killed_between_imports_loses_nothing_committed() {
    let v = vectors();
    let dir = TempDir::new("kill-import");
    let key = StoreKey::generate();
    seeded_store(&dir.db(), &key, &v).close().unwrap();
    let mut child = spawn("importer", &dir.db(), &key, &[]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut committed = 0;
    while committed < 8 {
        let line = lines.next().unwrap().unwrap();
        if let Some(n) = child_line(&line).and_then(|l| l.strip_prefix("committed ")) {
            committed = n.parse::<usize>().unwrap() + 1;
        }
    }
    child.kill().unwrap(); // SIGKILL, wherever the writer is
    child.wait().unwrap();

    let store = Store::open(dir.db(), &key, OpenMode::ReadWrite).unwrap();
    store.check_integrity().unwrap();
    assert!(stress_rooms(&store) >= committed);
    for (id, push, body) in decrypted_pushes(&v) {
        assert_eq!(decrypt_push(&push, &store).display().1, body, "{id}");
    }
}

/// The child is stopped (SIGSTOP) once re-encrypted pages reach the WAL,
/// and killed only when the WAL shows no commit frame: the kill then
/// provably lands inside the rekey transaction. A rekey that committed
/// before the stop is retried on a fresh store.
#[test]
fn a_writer_killed_inside_a_transaction_leaves_the_last_commit() {
    for attempt in 1..=5 {
        if kill_inside_rekey(attempt) {
            return;
        }
        eprintln!("attempt {attempt}: the rekey committed before the stop; again");
    }
    panic!("no attempt stopped the rekey inside its transaction");
}

fn kill_inside_rekey(attempt: usize) -> bool {
    let dir = TempDir::new("kill-rekey");
    let old = StoreKey::generate();
    let new = StoreKey::generate();
    // A store of ~8 MiB, so that re-encrypting it is one long transaction.
    let store = Store::open(dir.db(), &old, OpenMode::ReadWrite).unwrap();
    let token = |i: usize| format!("{i:02}").repeat(256 * 1024);
    for i in 0..16 {
        let server = format!("https://s{i}.example.org");
        store.set_account(&server, "u").unwrap();
        store.set_auth_token(&server, token(i).into()).unwrap();
    }
    store.close().unwrap();

    let extra = [("PUSHSEAL_TEST_NEW_KEY", new.to_hex().expose().to_owned())];
    let mut child = spawn("rekeyer", &dir.db(), &old, &extra);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while child_line(&lines.next().unwrap().unwrap()) != Some("rekeying") {}
    const INSIDE: u64 = 32 * (4096 + 24);
    let [_, wal, _] = store_files(&dir.db());
    let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let started = Instant::now();
    while wal_len() < INSIDE && child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < CHILD_LIMIT, "the rekey never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    signal("STOP", &child);
    let inside = child.try_wait().unwrap().is_none() && !wal_has_commit(&wal);
    child.kill().unwrap(); // SIGKILL, also of a stopped process
    child.wait().unwrap();

    if !inside {
        return false;
    }
    eprintln!(
        "attempt {attempt}: killed inside the rekey transaction ({} WAL bytes, no commit frame)",
        wal_len()
    );
    // The half-written new-key pages sit in the WAL without a commit
    // frame; recovery ignores them and the old key still opens the store.
    assert_eq!(
        Store::open(dir.db(), &new, OpenMode::ReadOnly).unwrap_err(),
        StoreError::WrongKey
    );
    let store = Store::open(dir.db(), &old, OpenMode::ReadWrite).unwrap();
    store.check_integrity().unwrap();
    for i in 0..16 {
        let (_, got) = store
            .auth(&format!("https://s{i}.example.org"))
            .unwrap()
            .unwrap();
        assert!(got.expose() == token(i), "account {i} damaged");
    }
    true
}

fn signal(name: &str, child: &Child) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name}");
}

/// Whether any frame of the WAL is a commit frame: its header's second
/// word (the database size after the commit) is non-zero. SQLCipher
/// encrypts the page, not SQLite's frame header.
fn wal_has_commit(wal: &Path) -> bool {
    const HEADER: usize = 32;
    const FRAME: usize = 24 + 4096;
    let bytes = std::fs::read(wal).unwrap_or_default();
    bytes
        .get(HEADER..)
        .unwrap_or_default()
        .chunks_exact(FRAME)
        .any(|frame| frame[4..8] != [0, 0, 0, 0])
}

/// The child half of the tests above, started by them as a process.
#[test]
#[ignore = "a child process of the other tests in this file"]
fn child_process_role() {
    let role = std::env::var(ROLE).expect("started by another test with a role");
    let db = PathBuf::from(std::env::var("PUSHSEAL_TEST_STORE").unwrap());
    let key = StoreKey::from_hex(&std::env::var("PUSHSEAL_TEST_STORE_KEY").unwrap()).unwrap();
    let pushes = std::env::var("PUSHSEAL_TEST_PUSHES").map(PathBuf::from);
    match role.as_str() {
        "writer" => writer(&db, &key, &pushes.unwrap(), true),
        "importer" => writer(&db, &key, Path::new(""), false),
        "reader" => {
            let me: usize = std::env::var("PUSHSEAL_TEST_READER")
                .unwrap()
                .parse()
                .unwrap();
            reader(&db, &key, &pushes.unwrap(), me)
        }
        "rekeyer" => {
            let store = Store::open(&db, &key, OpenMode::ReadWrite).unwrap();
            let new = StoreKey::from_hex(&std::env::var("PUSHSEAL_TEST_NEW_KEY").unwrap()).unwrap();
            println!("CHILD rekeying");
            store.rekey(&new).unwrap();
            println!("CHILD rekeyed");
        }
        other => panic!("unknown role {other}"),
    }
}

/// Waits until `path` exists; fails past `CHILD_LIMIT`.
fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < CHILD_LIMIT,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Imports a new room per iteration; each push file appears only after its
/// key was committed. `with_readers`: `IMPORTS` imports (it
/// waits for them to open, and half-way for each to decrypt the newest
/// push); else imports until killed.
fn writer(db: &Path, key: &StoreKey, pushes: &Path, with_readers: bool) {
    let v = vectors();
    if with_readers {
        for r in 0..READERS {
            wait_for(&pushes.join(format!("ready-{r}")));
        }
    }
    let store = Store::open(db, key, OpenMode::ReadWrite).unwrap();
    let mut i = 0;
    while !with_readers || i < IMPORTS {
        let rid = format!("StressRoom{i:05}");
        let fresh = FreshKey::new(&v, &format!("stress-kid-{i}"));
        let report = store
            .import_subscriptions(SERVER, &[fresh.subscription(&rid)])
            .unwrap();
        assert_eq!(report.keys, 1);
        println!("CHILD committed {i}");
        if with_readers {
            let push = fresh.push(SERVER, &rid, &format!("stress message {i}"));
            let tmp = pushes.join(format!(".{i:05}.tmp"));
            std::fs::write(&tmp, push).unwrap();
            std::fs::rename(&tmp, pushes.join(format!("{i:05}.json"))).unwrap();
            if i == IMPORTS / 2 {
                for r in 0..READERS {
                    wait_for(&pushes.join(format!("seen-{r}-{i:05}")));
                }
            }
        }
        if i % 8 == 7 {
            store.pause().unwrap(); // and reopen lazily on the next import
        }
        i += 1;
    }
    if with_readers {
        std::fs::write(pushes.join("done"), b"").unwrap();
    }
    println!("CHILD wrote {i}");
}

/// Decrypts vector pushes and the writer's newest push, over one store
/// handle opened before the writer starts and kept open throughout: no
/// stale view is allowed. Runs until the writer is done.
fn reader(db: &Path, key: &StoreKey, pushes: &Path, me: usize) {
    let v = vectors();
    let known = decrypted_pushes(&v);
    let store = Store::open(db, key, OpenMode::ReadOnly).unwrap();
    std::fs::write(pushes.join(format!("ready-{me}")), b"").unwrap();
    let (mut decrypted, mut fresh, mut overlapped, mut last_fresh) = (0, 0, 0, None);
    loop {
        let writer_done = pushes.join("done").exists();
        let (id, push, body) = &known[decrypted % known.len()];
        assert_eq!(decrypt_push(push, &store).display().1, body, "{id}");
        decrypted += 1;
        let newest = std::fs::read_dir(pushes)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .max();
        if let Some(name) = newest.filter(|n| Some(n) != last_fresh.as_ref()) {
            let i: usize = name.trim_end_matches(".json").parse().unwrap();
            let outcome = decrypt_push(&std::fs::read(pushes.join(&name)).unwrap(), &store);
            assert!(
                matches!(outcome, Outcome::Decrypted(_)),
                "{name}: {outcome:?}"
            );
            assert_eq!(outcome.display().1, format!("stress message {i}"));
            fresh += 1;
            if !writer_done {
                overlapped += 1;
            }
            std::fs::write(pushes.join(format!("seen-{me}-{i:05}")), b"").unwrap();
            last_fresh = Some(name);
        }
        if writer_done {
            break;
        }
    }
    println!("CHILD decrypted {decrypted}");
    println!("CHILD fresh {fresh}");
    println!("CHILD overlapped {overlapped}");
}
