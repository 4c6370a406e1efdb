//! The warm path under a profiler: decrypts the 1,223-byte rc.v2 APNs bench
//! push N times with the room keys in memory, or runs one of the baselines
//! the warm path is held against. Made for `valgrind --tool=callgrind`,
//! whose instruction counts stay steady on a loaded machine; the set-up
//! (vectors, RSA unwraps) is the same in every mode, so the difference of
//! two runs is the cost of N iterations. `scripts/bench-peers.sh` runs it.
//!
//! Modes `full-fcm` and `parse-fcm` do the same with the message in an FCM
//! data map instead of an APNs body.
//!
//! Usage: warm_push (full|parse|aes|rsa|setup|full-fcm|parse-fcm) N
//!        warm_push dump DIR   (writes push.json and room-key.hex for the peers)

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

#[path = "../benches/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use pushseal::rocketchat::decrypt_push;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("full");
    let v = fixtures::vectors();
    let keys = fixtures::device_keyring(&v);
    let push = common::one_kib_v2_push(&v, &keys);
    if mode == "dump" {
        let dir = std::path::PathBuf::from(args.get(2).map(String::as_str).unwrap_or("."));
        let hex: String = push.room_key.iter().map(|b| format!("{b:02x}")).collect();
        let written = std::fs::write(dir.join("push.json"), &push.bytes)
            .and_then(|()| std::fs::write(dir.join("room-key.hex"), hex));
        if let Err(e) = written {
            eprintln!("cannot write to {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        return ExitCode::SUCCESS;
    }
    let Some(n) = args.get(2).and_then(|s| s.parse::<u64>().ok()) else {
        eprintln!(
            "usage: warm_push (full|parse|aes|rsa|setup|full-fcm|parse-fcm) N | warm_push dump DIR"
        );
        return ExitCode::from(2);
    };
    assert_eq!(decrypt_push(&push.bytes, &keys).status(), "decrypted");
    assert_eq!(decrypt_push(&push.fcm_bytes, &keys).status(), "decrypted");
    let jwk = fixtures::device_key(&v);
    let e2e_key = v["rooms"][0]["subscription"]["E2EKey"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let start = Instant::now();
    let mut sink = 0usize;
    for _ in 0..n {
        sink += match mode {
            "full" => decrypt_push(black_box(&push.bytes), &keys).status().len(),
            "parse" => common::lean_parse_only(black_box(&push.bytes)),
            "full-fcm" => decrypt_push(black_box(&push.fcm_bytes), &keys)
                .status()
                .len(),
            "parse-fcm" => common::lean_parse_fcm_only(black_box(&push.fcm_bytes)),
            "aes" => common::aes_only(&push.room_key, &push.iv, black_box(&push.ciphertext)),
            "rsa" => jwk
                .unwrap_room_key(black_box(&e2e_key))
                .map_or(0, |(kid, _)| kid.len()),
            "setup" => 0,
            other => {
                eprintln!("unknown mode {other}");
                return ExitCode::from(2);
            }
        };
    }
    let ns = start.elapsed().as_nanos() as f64 / n.max(1) as f64;
    println!(
        "{mode} bytes={} n={n} ns_per_iter={ns:.0} sink={sink}",
        push.bytes.len()
    );
    ExitCode::SUCCESS
}
