//! Real OS processes sharing one store: a writer importing keys while
//! readers decrypt, and writers killed with SIGKILL in mid-write. The
//! children are this test binary again, running `child_process_role`.

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
/// How long the writer and the readers run side by side.
const RUN_FOR: Duration = Duration::from_millis(2500);
/// Upper bound for any child; past it the test fails instead of hanging.
const CHILD_LIMIT: Duration = Duration::from_secs(60);

fn spawn(role: &str, db: &Path, key: &StoreKey, extra: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_role",
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
fn finish(mut child: Child, what: &str) -> Vec<String> {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > CHILD_LIMIT {
            child.kill().unwrap();
            panic!("{what} ran past {CHILD_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let until = [("PUSHSEAL_TEST_PUSHES", pushes.display().to_string())];

    let writer = spawn("writer", &dir.db(), &key, &until);
    let readers: Vec<Child> = (0..3)
        .map(|_| spawn("reader", &dir.db(), &key, &until))
        .collect();
    let wrote = number(&finish(writer, "writer"), "wrote ");
    let mut fresh_seen = 0;
    for (i, reader) in readers.into_iter().enumerate() {
        let lines = finish(reader, &format!("reader {i}"));
        assert!(number(&lines, "decrypted ") > 0);
        fresh_seen += number(&lines, "fresh ");
    }
    assert!(wrote > 5, "the writer committed only {wrote} imports");
    eprintln!("writer committed {wrote} imports; readers caught {fresh_seen} fresh keys");
    assert!(
        fresh_seen > 0,
        "the readers never caught a key the writer had just added"
    );

    // No lost write: every import the writer reported is there.
    let store = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap();
    assert_eq!(stress_rooms(&store), wrote);
    let files = std::fs::read_dir(&pushes).unwrap().count();
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

#[test]
fn a_writer_killed_inside_a_transaction_leaves_the_last_commit() {
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
    // Re-encrypted pages reaching the WAL mean the transaction is under
    // way; it commits only after all ~2 000 pages are written. 32 frames
    // in, it is well inside.
    const INSIDE: u64 = 32 * (4096 + 24);
    let [_, wal, _] = store_files(&dir.db());
    let wal_len = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let started = Instant::now();
    while wal_len() < INSIDE
        && child.try_wait().unwrap().is_none()
        && started.elapsed() < CHILD_LIMIT
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let wal_bytes = wal_len();

    let store = match Store::open(dir.db(), &old, OpenMode::ReadWrite) {
        Ok(store) => {
            // Killed mid-rekey: the half-written new-key pages sit in the
            // WAL without a commit record, and recovery ignores them.
            assert!(
                wal_bytes > 0,
                "killed before the transaction wrote anything"
            );
            eprintln!("killed inside the rekey transaction ({wal_bytes} WAL bytes uncommitted)");
            store
        }
        Err(StoreError::WrongKey) => {
            eprintln!("the rekey committed before the kill");
            Store::open(dir.db(), &new, OpenMode::ReadWrite).unwrap()
        }
        Err(e) => panic!("store unusable after the kill: {e:?}"),
    };
    store.check_integrity().unwrap();
    for i in 0..16 {
        let (_, got) = store
            .auth(&format!("https://s{i}.example.org"))
            .unwrap()
            .unwrap();
        assert!(got.expose() == token(i), "account {i} damaged");
    }
}

/// The child half of the tests above; does nothing on its own.
#[test]
fn child_process_role() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let db = PathBuf::from(std::env::var("PUSHSEAL_TEST_STORE").unwrap());
    let key = StoreKey::from_hex(&std::env::var("PUSHSEAL_TEST_STORE_KEY").unwrap()).unwrap();
    let pushes = std::env::var("PUSHSEAL_TEST_PUSHES").map(PathBuf::from);
    match role.as_str() {
        "writer" => writer(&db, &key, &pushes.unwrap(), true),
        "importer" => writer(&db, &key, Path::new(""), false),
        "reader" => reader(&db, &key, &pushes.unwrap()),
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

/// Imports a new room per iteration; each push file appears only after its
/// key was committed. Bounded by `RUN_FOR` when `timed`, else until killed.
fn writer(db: &Path, key: &StoreKey, pushes: &Path, timed: bool) {
    let v = vectors();
    let store = Store::open(db, key, OpenMode::ReadWrite).unwrap();
    let started = Instant::now();
    let mut i = 0;
    while !timed || started.elapsed() < RUN_FOR {
        let rid = format!("StressRoom{i:05}");
        let fresh = FreshKey::new(&v, &format!("stress-kid-{i}"));
        let report = store
            .import_subscriptions(SERVER, &[fresh.subscription(&rid)])
            .unwrap();
        assert_eq!(report.keys, 1);
        println!("CHILD committed {i}");
        if timed {
            let push = fresh.push(SERVER, &rid, &format!("stress message {i}"));
            let tmp = pushes.join(format!(".{i:05}.tmp"));
            std::fs::write(&tmp, push).unwrap();
            std::fs::rename(&tmp, pushes.join(format!("{i:05}.json"))).unwrap();
        }
        if i % 8 == 7 {
            store.pause().unwrap(); // and reopen lazily on the next import
        }
        i += 1;
    }
    println!("CHILD wrote {i}");
}

/// Decrypts vector pushes and the writer's newest push, over one store
/// handle kept open throughout: no stale view is allowed.
fn reader(db: &Path, key: &StoreKey, pushes: &Path) {
    let v = vectors();
    let known = decrypted_pushes(&v);
    let store = Store::open(db, key, OpenMode::ReadOnly).unwrap();
    let started = Instant::now();
    let (mut decrypted, mut fresh, mut last_fresh) = (0, 0, None);
    while started.elapsed() < RUN_FOR {
        let (id, push, body) = &known[decrypted % known.len()];
        assert_eq!(decrypt_push(push, &store).display().1, body, "{id}");
        decrypted += 1;
        let newest = std::fs::read_dir(pushes)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json"))
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
            last_fresh = Some(name);
        }
    }
    println!("CHILD decrypted {decrypted}");
    println!("CHILD fresh {fresh}");
}
