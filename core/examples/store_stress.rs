//! Stress and fault runs on one real store, measured; `scripts/stress-store.sh`
//! runs all three and prints the figures.
//!
//! - `store_stress rw DIR SECONDS READERS`: one writer and READERS reader
//!   processes for SECONDS: operations, BUSY surfaced, stale reads,
//!   acknowledged writes lost, damage.
//! - `store_stress kill DIR ROUNDS`: ROUNDS writers killed with SIGKILL at a
//!   random moment of their writes; after each, the store is opened, checked
//!   and every acknowledged write looked up.
//! - `store_stress fulldisk DIR`: DIR is a small, empty file system (a
//!   tmpfs): the store fills it; the failing write must be `DiskFull`, and the
//!   store must still open read-only and decrypt.
//!
//! Exit status 1 when a target (0 BUSY, 0 lost, 0 damaged) is missed.

#[path = "../tests/store_support/mod.rs"]
mod store_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreError};
use rand_core::{OsRng, RngCore};
use store_support::stress::{finish, verify, wait_for_acks, Counts, Run, SERVER};
use store_support::{decrypted_pushes, vectors};

fn main() -> ExitCode {
    let v = vectors();
    if store_support::stress::run_child(&decrypted_pushes(&v)) {
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let number = |i: usize, default: u64| arg(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let ok = match (arg(0), arg(1).map(PathBuf::from)) {
        (Some("rw"), Some(dir)) => rw(&dir, &v, number(2, 60), number(3, 4) as usize),
        (Some("kill"), Some(dir)) => kill(&dir, &v, number(2, 100) as usize),
        (Some("fulldisk"), Some(dir)) => full_disk(&dir, &v),
        _ => {
            eprintln!(
                "usage: store_stress rw DIR [SECONDS] [READERS] | kill DIR [ROUNDS] | fulldisk DIR"
            );
            return ExitCode::from(2);
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn spawn(run: &Run, role: &str) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    run.child_env(&mut cmd, role);
    cmd.spawn().unwrap()
}

fn fresh_dir(dir: &Path) -> &Path {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    dir
}

fn rw(dir: &Path, v: &serde_json::Value, seconds: u64, readers: usize) -> bool {
    let run = Run::new(fresh_dir(dir), v);
    let children: Vec<Child> = (0..readers).map(|_| spawn(&run, "reader")).collect();
    let writer = spawn(&run, "writer");
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    std::fs::write(&run.stop, b"").unwrap();
    let w = finish(writer, "writer");
    let mut r = Counts::default();
    for (i, child) in children.into_iter().enumerate() {
        r.add(finish(child, &format!("reader {i}")));
    }
    let took = started.elapsed().as_secs_f64();
    let (acked, lost, damage) = verify(&run);
    println!("1 writer + {readers} readers, {took:.1} s, one store:");
    println!(
        "  writer: {} acknowledged writes ({:.0}/s), {} BUSY surfaced, {} other errors",
        w.ops,
        w.ops as f64 / took,
        w.busy,
        w.errors
    );
    println!(
        "  readers: {} operations ({:.0}/s), {} BUSY surfaced, {} stale reads, {} other errors",
        r.ops,
        r.ops as f64 / took,
        r.busy,
        r.stale,
        r.errors
    );
    println!(
        "  afterwards: {acked} acknowledged, {lost} lost, damage: {}",
        damage.as_deref().unwrap_or("none")
    );
    w.busy + r.busy + w.errors + r.errors + r.stale + lost == 0 && damage.is_none()
}

fn kill(dir: &Path, v: &serde_json::Value, rounds: usize) -> bool {
    let run = Run::new(fresh_dir(dir), v);
    let (mut lost, mut damaged, mut unopenable) = (0, 0, 0);
    let started = Instant::now();
    for round in 0..rounds {
        let before = run.acked().len();
        let mut writer = spawn(&run, "writer");
        wait_for_acks(&run, before);
        // Somewhere in the next 0–20 ms of writing.
        std::thread::sleep(Duration::from_micros(u64::from(OsRng.next_u32() % 20_000)));
        writer.kill().unwrap();
        writer.wait().unwrap();
        let (_, l, damage) = verify(&run);
        lost += l;
        if let Some(d) = damage {
            eprintln!("round {round}: {d}");
            if d.contains("damaged") {
                damaged += 1;
            } else {
                unopenable += 1;
            }
        }
    }
    let acked = run.acked().len();
    println!(
        "{rounds} x kill -9 during writes ({:.1} s): {acked} acknowledged writes, {lost} lost, {damaged} damaged, {unopenable} other open failures",
        started.elapsed().as_secs_f64()
    );
    lost + damaged + unopenable == 0
}

fn full_disk(dir: &Path, v: &serde_json::Value) -> bool {
    let run = Run::new(dir, v);
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    while file.write_all(&[0x5a; 4096]).is_ok() {}
    drop(file);
    let app = Store::open(&run.db, &run.key, OpenMode::ReadWrite);
    let err = app.and_then(|app| {
        let big = "t".repeat(1 << 20);
        let r = app.set_auth_token(SERVER, big.into());
        app.close()?;
        r
    });
    let typed = matches!(err, Err(StoreError::DiskFull));
    println!(
        "full disk: the write gave {}",
        match &err {
            Ok(()) => "Ok (the disk was not full)".to_owned(),
            Err(e) => format!("{e:?} (\"{e}\")"),
        }
    );
    let pushes = decrypted_pushes(v);
    let reopened = Store::open(&run.db, &run.key, OpenMode::ReadOnly).map(|nse| {
        let good = pushes
            .iter()
            .filter(|(_, push, body)| decrypt_push(push, &nse).display().1 == *body)
            .count();
        (good, nse.check_integrity().is_ok())
    });
    let _ = std::fs::remove_file(&filler);
    match reopened {
        Ok((good, intact)) => {
            println!(
                "full disk: the store reopens read-only on the full disk: {good}/{} pushes decrypt, integrity {}",
                pushes.len(),
                if intact { "ok" } else { "FAILED" }
            );
            typed && intact && good == pushes.len()
        }
        Err(e) => {
            println!("full disk: the store does not reopen: {e}");
            false
        }
    }
}
