//! Short versions of `scripts/stress-store.sh`, with its invariants: no
//! BUSY surfaced, no stale read, no acknowledged write lost, no damage,
//! with one writer and readers in separate processes, and with writers
//! killed by SIGKILL mid-write. Stops on counts, never on time.

mod store_support;

use std::process::{Child, Command};

use store_support::stress::{finish, verify, wait_for_acks, Run};
use store_support::*;

fn spawn(run: &Run, role: &str) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "stress_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    run.child_env(&mut cmd, role);
    cmd.spawn().unwrap()
}

#[test]
fn a_writer_and_readers_lose_nothing_and_surface_no_busy() {
    let v = vectors();
    let dir = TempDir::new("stress");
    let run = Run::new(dir.path(), &v);
    let readers: Vec<Child> = (0..2).map(|_| spawn(&run, "reader")).collect();
    let writer = spawn(&run, "writer");
    wait_for_acks(&run, 150);
    std::fs::write(&run.stop, b"").unwrap();
    let w = finish(writer, "writer");
    assert_eq!((w.busy, w.errors), (0, 0), "writer {w:?}");
    for (i, reader) in readers.into_iter().enumerate() {
        let r = finish(reader, &format!("reader {i}"));
        assert!(r.ops > 0, "reader {i} {r:?}");
        assert_eq!((r.busy, r.errors, r.stale), (0, 0, 0), "reader {i} {r:?}");
    }
    let (acked, lost, damage) = verify(&run);
    assert!(acked >= 150);
    assert_eq!((lost, damage), (0, None));
}

#[test]
fn kill_nine_during_writes_loses_no_acknowledged_write() {
    let v = vectors();
    let dir = TempDir::new("stress-kill");
    let run = Run::new(dir.path(), &v);
    for round in 0..5 {
        let before = run.acked().len();
        let mut writer = spawn(&run, "writer");
        wait_for_acks(&run, before + 2 + round * 3);
        writer.kill().unwrap(); // SIGKILL, wherever the writer is
        writer.wait().unwrap();
        let (acked, lost, damage) = verify(&run);
        assert_eq!((lost, &damage), (0, &None), "round {round}: {acked} acked");
    }
}

/// The child half of the tests above.
#[test]
#[ignore = "a child process of the other tests in this file"]
fn stress_child() {
    assert!(
        store_support::stress::run_child(&decrypted_pushes(&vectors())),
        "started without a stress role"
    );
}
