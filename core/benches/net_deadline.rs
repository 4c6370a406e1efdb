//! Figures for the network path, printed rather than asserted (they depend
//! on the machine): how far past its deadline a fetch against a stalled
//! server returns, and the loopback round trip of an id-only push
//! (push.get + decrypt), over http and TLS. Also the threads and peak
//! memory the network layer costs the process.
//!
//! Then the key-fetch path of a push whose room key is missing, in the
//! extension's read-only store: RSA unwraps per push (target 1) and time,
//! with 1, 10 and 100 old keys in the room (100 is past the cap of 64).
//!
//! Run: `scripts/bench-deadline.sh` (or `cargo bench -p pushseal --bench net_deadline`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pushseal::net::{ClientConfig, Deadline};
use pushseal::rocketchat::rsa_unwraps;
use pushseal::rocketchat::{AccountStore, Client};
use pushseal::store::{OpenMode, Store, StoreKey};
use pushseal::SecretString;
use support::*;

const STALL_RUNS: usize = 20;
const ROUND_TRIPS: usize = 200;
const KEY_FETCHES: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<50} n={:<4} min {:>8.2} ms  median {:>8.2} ms  p95 {:>8.2} ms  max {:>8.2} ms",
        samples.len(),
        ms(samples[0]),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.95)),
        ms(samples[samples.len() - 1]),
    );
}

/// `/proc/self/status` fields (Linux only; other systems print nothing).
fn proc_status(field: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    Some(line[field.len()..].trim().to_owned())
}

fn overshoot(deadline: Duration) {
    let v = vectors();
    let server = FakeServer::http(&["--fault", "stall"]);
    let client = client(store(&v, &server.url, |_| true), ClientConfig::default());
    let bytes = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );
    let mut samples = Vec::new();
    for _ in 0..STALL_RUNS {
        let d = Deadline::after(deadline);
        let out = client.fetch_and_decrypt_blocking(&bytes, d);
        let late = Instant::now().saturating_duration_since(d.instant());
        assert_eq!(out.outcome.status(), "failed");
        samples.push(late);
    }
    report(
        &format!(
            "stalled server, past a {} ms deadline",
            deadline.as_millis()
        ),
        samples,
    );
}

fn round_trip(tls: bool) {
    let v = vectors();
    let server = if tls {
        FakeServer::https(&[])
    } else {
        FakeServer::http(&[])
    };
    let config = ClientConfig {
        extra_ca_pem: tls.then(|| std::fs::read_to_string(tls_file("ca.pem")).unwrap()),
        ..ClientConfig::default()
    };
    let client = client(store(&v, &server.url, |_| true), config);
    let bytes = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );
    let mut samples = Vec::new();
    for i in 0..=ROUND_TRIPS {
        let started = Instant::now();
        let out =
            client.fetch_and_decrypt_blocking(&bytes, Deadline::after(Duration::from_secs(10)));
        assert_eq!(out.outcome.status(), "decrypted");
        if i > 0 {
            samples.push(started.elapsed()); // the first run also builds the TLS trust
        }
    }
    let scheme = if tls { "https (test CA)" } else { "http" };
    report(
        &format!("id-only fetch + decrypt, loopback {scheme}"),
        samples,
    );
}

/// A push whose room key the read-only store lacks: subscriptions.getOne,
/// the unwrap of the key the message names, decryption.
fn key_fetch(old_keys: usize) {
    let v = vectors();
    let dir = std::env::temp_dir().join(format!("pushseal-bench-keyfetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut room = hostile::room_with_old_keys(&v, old_keys);
    let old = room["subscription"]["oldRoomKeys"].as_array_mut().unwrap();
    old.truncate(old_keys);
    let server = hostile::server(&hostile::fixtures(&v, vec![room], &dir));
    let key = StoreKey::generate();
    let app = Store::open(dir.join("store.db"), &key, OpenMode::ReadWrite).unwrap();
    app.set_account(&server.url, &device_user_id(&v)).unwrap();
    app.set_auth_token(&server.url, SecretString::from(TOKEN))
        .unwrap();
    app.set_private_key(&server.url, &device_key(&v)).unwrap();
    app.close().unwrap();
    let nse = Store::open(dir.join("store.db"), &key, OpenMode::ReadOnly).unwrap();
    let client = Client::new(
        ClientConfig::default(),
        Arc::new(nse) as Arc<dyn AccountStore>,
    )
    .unwrap();
    let bytes = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
    let mut samples = Vec::new();
    let before = rsa_unwraps();
    for _ in 0..KEY_FETCHES {
        let started = Instant::now();
        let out =
            client.fetch_and_decrypt_blocking(&bytes, Deadline::after(Duration::from_secs(10)));
        assert_eq!(out.outcome.status(), "decrypted");
        assert!(out.room_key_fetched);
        samples.push(started.elapsed());
    }
    let per_push = (rsa_unwraps() - before) as f64 / KEY_FETCHES as f64;
    report(
        &format!("key fetch, read-only store, {old_keys:>3} old keys: {per_push:.2} unwraps/push"),
        samples,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    // `cargo test --benches` runs benches as tests: nothing to check here.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let threads_before = proc_status("Threads:");
    let rss_before = proc_status("VmHWM:");
    round_trip(false);
    round_trip(true);
    overshoot(Duration::from_millis(1000));
    overshoot(Duration::from_millis(250));
    for old_keys in [1, 10, 100] {
        key_fetch(old_keys);
    }
    println!(
        "threads before the first fetch: {}",
        threads_before.unwrap_or_else(|| "?".into())
    );
    println!(
        "threads right after:            {}",
        proc_status("Threads:").unwrap_or_else(|| "?".into())
    );
    std::thread::sleep(Duration::from_secs(3));
    println!(
        "threads 3 s later:              {}",
        proc_status("Threads:").unwrap_or_else(|| "?".into())
    );
    println!(
        "peak RSS (VmHWM) before / after: {} / {}",
        rss_before.unwrap_or_else(|| "?".into()),
        proc_status("VmHWM:").unwrap_or_else(|| "?".into())
    );
}
