//! The notification extension's cold path, alone in a fresh process: open
//! the store read-only with the raw key, find the room key, decrypt one
//! push. Prints the time of each step and the peak resident memory.
//! `scripts/bench-nse-cold.sh` prepares a store and runs this many times.
//!
//! Usage: PUSHSEAL_STORE_KEY=<64 hex> nse_cold_path STORE PUSH.json

use std::process::ExitCode;
use std::time::Instant;

use pushseal::rocketchat::decrypt_push;
use pushseal::store::{OpenMode, Store, StoreKey};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(store_path), Some(push_path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: PUSHSEAL_STORE_KEY=<64 hex> nse_cold_path STORE PUSH.json");
        return ExitCode::from(2);
    };
    // The push arrives in memory and the key comes from the Keychain, so
    // reading them is not timed.
    let (Ok(push), Ok(key_hex)) = (
        std::fs::read(push_path),
        std::env::var("PUSHSEAL_STORE_KEY"),
    ) else {
        eprintln!("cannot read the push file or PUSHSEAL_STORE_KEY");
        return ExitCode::from(2);
    };
    let Ok(key) = StoreKey::from_hex(&key_hex) else {
        eprintln!("PUSHSEAL_STORE_KEY is not 64 hex digits");
        return ExitCode::from(2);
    };

    let start = Instant::now();
    let store = match Store::open(store_path, &key, OpenMode::ReadOnly) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("open failed: {e}");
            return ExitCode::from(1);
        }
    };
    let opened = Instant::now();
    let outcome = decrypt_push(&push, &store);
    let decrypted = Instant::now();
    let closed = store.close();
    let done = Instant::now();

    println!(
        "status={} open_us={} lookup_decrypt_us={} close_us={} total_us={} peak_rss_kib={}",
        outcome.status(),
        (opened - start).as_micros(),
        (decrypted - opened).as_micros(),
        (done - decrypted).as_micros(),
        (done - start).as_micros(),
        peak_rss_kib().map_or_else(|| "?".to_owned(), |k| k.to_string()),
    );
    if outcome.status() == "decrypted" && closed.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `VmHWM` from /proc/self/status: the process's peak resident set.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
