//! Criterion benchmarks on the committed WebCrypto vectors:
//! payload → notification per format (room keys in memory), a 1 KiB rc.v2
//! push, the limit for that push (AES-GCM alone, a lean parse alone) with
//! the ratio printed, RSA room-key unwrap, and v2 private-key unlock
//! (100 000 rounds).
//!
//! Run: `cargo bench -p pushseal --bench decrypt`

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use fixtures::{device_keyring, vectors};
use pushseal::rocketchat::{decrypt_push, UserPrivateKey};
use pushseal::Password;

fn bench_pushes(c: &mut Criterion) {
    let v = vectors();
    let keys = device_keyring(&v);
    let push = common::one_kib_v2_push(&v, &keys);
    let big = &push.bytes;
    assert_eq!(decrypt_push(big, &keys).status(), "decrypted");
    let mut group = c.benchmark_group("push_to_notification");
    group.bench_function(format!("rc.v2 GCM apns {} bytes", big.len()), |b| {
        b.iter(|| decrypt_push(black_box(big), &keys))
    });
    // One decrypted push per algorithm from the vectors.
    let mut seen = std::collections::BTreeSet::new();
    for p in v["pushes"].as_array().expect("pushes") {
        let Some(alg) = p["expected"]["algorithm"].as_str() else {
            continue;
        };
        let label = format!("{alg} {}", p["container"].as_str().unwrap_or("?"));
        if !seen.insert(alg.to_owned()) {
            continue;
        }
        let bytes = serde_json::to_vec(&p["payload"]).expect("payload");
        group.bench_function(label, |b| b.iter(|| decrypt_push(black_box(&bytes), &keys)));
    }
    group.finish();
}

/// The two parts of the limit for the warm path, on the same push.
fn bench_limit(c: &mut Criterion) {
    let v = vectors();
    let keys = device_keyring(&v);
    let push = common::one_kib_v2_push(&v, &keys);
    let mut group = c.benchmark_group("limit");
    group.bench_function("aes-256-gcm only", |b| {
        b.iter(|| common::aes_only(&push.room_key, &push.iv, black_box(&push.ciphertext)))
    });
    group.bench_function("lean parse only (container + ejson)", |b| {
        b.iter(|| common::lean_parse_only(black_box(&push.bytes)))
    });
    group.finish();
}

/// Prints warm / (AES + lean parse), measured interleaved in rounds so a
/// busy machine slows all three alike: the median and the spread.
fn print_ratio(_: &mut Criterion) {
    let v = vectors();
    let keys = device_keyring(&v);
    let push = common::one_kib_v2_push(&v, &keys);
    let time = |f: &dyn Fn() -> usize| {
        const N: u32 = 2_000;
        let start = Instant::now();
        for _ in 0..N {
            black_box(f());
        }
        start.elapsed().as_nanos() as f64 / f64::from(N)
    };
    let mut ratios = Vec::new();
    let (mut warm, mut aes, mut parse) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let w = time(&|| decrypt_push(black_box(&push.bytes), &keys).status().len());
        let a = time(&|| common::aes_only(&push.room_key, &push.iv, black_box(&push.ciphertext)));
        let p = time(&|| common::lean_parse_only(black_box(&push.bytes)));
        ratios.push(w / (a + p));
        warm.push(w);
        aes.push(a);
        parse.push(p);
    }
    let stats = |xs: &mut Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        (xs[0], xs[xs.len() / 2], xs[xs.len() - 1])
    };
    let show = |name: &str, (lo, mid, hi): (f64, f64, f64), unit: &str| {
        println!("{name:<34} median {mid:8.2}{unit}  (min {lo:.2}, max {hi:.2})");
    };
    println!(
        "\nwarm path against its limit, {} rounds interleaved:",
        ratios.len()
    );
    show("warm decrypt_push", stats(&mut warm), " ns");
    show("AES-256-GCM only", stats(&mut aes), " ns");
    show("lean parse only", stats(&mut parse), " ns");
    show("ratio warm / (AES + lean parse)", stats(&mut ratios), "x");
}

fn bench_keys(c: &mut Criterion) {
    let v = vectors();
    let jwk = fixtures::device_key(&v);
    let e2e_key = v["rooms"][0]["subscription"]["E2EKey"]
        .as_str()
        .expect("E2EKey")
        .to_owned();
    c.bench_function("rsa_room_key_unwrap", |b| {
        b.iter(|| jwk.unwrap_room_key(black_box(&e2e_key)))
    });

    let case = v["private_keys"]
        .as_array()
        .expect("private keys")
        .iter()
        .find(|c| c["format"] == "v2-gcm" && c["iterations"] == 100_000)
        .expect("a v2 key with 100 000 iterations");
    let stored = case["fetch_my_keys"]["private_key"]
        .as_str()
        .expect("stored")
        .to_owned();
    let user = case["user_id"].as_str().expect("user").to_owned();
    let password = Password::from(case["password"].as_str().expect("password"));
    let mut group = c.benchmark_group("private_key_unlock");
    group.sample_size(10);
    group.bench_function("v2 pbkdf2 100000 + gcm", |b| {
        b.iter(|| UserPrivateKey::unlock(black_box(&stored), &user, &password))
    });
    group.finish();
}

criterion_group!(benches, bench_pushes, bench_limit, print_ratio, bench_keys);
criterion_main!(benches);
