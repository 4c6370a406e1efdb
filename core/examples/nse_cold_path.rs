//! The notification extension's cold path, alone in a fresh process: open
//! the store read-only with the raw key, find the room key (Rocket.Chat) or
//! load and unpickle the Megolm session (Matrix), decrypt one push. Prints the time of each step and the peak resident memory.
//! `scripts/bench-nse-cold.sh` prepares a store and runs this many times.
//!
//! With REPEAT, the same process then handles the push REPEAT more times
//! (open, decrypt, close each time), as iOS reuses a live extension process,
//! and prints the resident memory after 1, 20 and all pushes: it must not grow.
//!
//! With PUSHSEAL_FETCH=1 (a build with the `matrix` and `fetch` features),
//! a Matrix push goes through `matrix::fetch_with_store` instead, so an
//! `event_id_only` push fetches its event from the homeserver in the
//! store: this measures the memory of the fetch path (HTTP client, TLS,
//! runtime) in the same process shape.
//!
//! Usage: PUSHSEAL_STORE_KEY=<64 hex> nse_cold_path STORE PUSH.json [REPEAT]

use std::process::ExitCode;
use std::time::Instant;

use pushseal::store::{OpenMode, Store, StoreKey};
use pushseal::Outcome;

/// How a push is decrypted: from the store only, or with fetch on receipt.
enum Path {
    Offline,
    #[cfg(all(feature = "matrix", feature = "fetch"))]
    Fetch(pushseal::net::Http),
}

impl Path {
    fn from_env() -> Result<Self, String> {
        if std::env::var_os("PUSHSEAL_FETCH").is_none() {
            return Ok(Self::Offline);
        }
        #[cfg(all(feature = "matrix", feature = "fetch"))]
        {
            pushseal::net::Http::new(Default::default())
                .map(Self::Fetch)
                .map_err(|e| e.to_string())
        }
        #[cfg(not(all(feature = "matrix", feature = "fetch")))]
        Err("PUSHSEAL_FETCH needs the matrix and fetch features".into())
    }

    fn decrypt(&self, push: &[u8], store: &Store) -> Outcome {
        match self {
            Self::Offline => pushseal::decrypt_from_store(push, store),
            #[cfg(all(feature = "matrix", feature = "fetch"))]
            Self::Fetch(http) => {
                let deadline = pushseal::net::Deadline::after(std::time::Duration::from_secs(10));
                pushseal::matrix::fetch_with_store(push, store, http, deadline).outcome
            }
        }
    }
}

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

    let path = match Path::from_env() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
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
    let outcome = path.decrypt(&push, &store);
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
    if outcome.status() != "decrypted" || closed.is_err() {
        return ExitCode::from(1);
    }
    match args.get(3).map(|n| n.parse::<usize>()) {
        None => ExitCode::SUCCESS,
        Some(Ok(repeat)) => repeat_pushes(&path, store_path, &key, &push, repeat),
        Some(Err(_)) => {
            eprintln!("REPEAT must be a number");
            ExitCode::from(2)
        }
    }
}

fn repeat_pushes(
    path: &Path,
    store_path: &str,
    key: &StoreKey,
    push: &[u8],
    repeat: usize,
) -> ExitCode {
    let after_first = rss_kib("VmRSS:");
    let mut after_20 = None;
    for i in 1..=repeat {
        let Ok(store) = Store::open(store_path, key, OpenMode::ReadOnly) else {
            return ExitCode::from(1);
        };
        let ok = path.decrypt(push, &store).status() == "decrypted";
        if !ok || store.close().is_err() {
            return ExitCode::from(1);
        }
        if i == 19 {
            after_20 = rss_kib("VmRSS:");
        }
    }
    let show = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |k| k.to_string());
    println!(
        "pushes={} rss_after_1_kib={} rss_after_20_kib={} rss_after_all_kib={}",
        repeat + 1,
        show(after_first),
        show(after_20),
        show(rss_kib("VmRSS:")),
    );
    ExitCode::SUCCESS
}

/// `VmHWM` from /proc/self/status: the process's peak resident set.
fn peak_rss_kib() -> Option<u64> {
    rss_kib("VmHWM:")
}

/// A memory line of /proc/self/status, in KiB.
fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
