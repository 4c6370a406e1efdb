//! Key operations against the fake server: unlocking the private key with
//! the E2E password, syncing every room key, fetching one room's keys.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pushseal::net::Deadline;
use pushseal::rocketchat::Keyring;
use pushseal::{Error, Outcome, Password, SecretString};
use serde_json::Value;
use support::*;

const BUDGET: Duration = Duration::from_secs(30);

/// Logged in, but neither private key nor room keys yet.
fn fresh_login(v: &Value, server: &str) -> Arc<Mutex<Keyring>> {
    let mut keyring = Keyring::new();
    keyring
        .add_account(server, &device_user_id(v), None)
        .unwrap();
    keyring
        .set_auth_token(server, SecretString::from(TOKEN))
        .unwrap();
    Arc::new(Mutex::new(keyring))
}

fn device_keys(v: &Value) -> usize {
    v["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["wrapped_for"] == "device_user")
        .map(|r| r["keys"].as_array().unwrap().len())
        .sum()
}

fn decrypts_offline(
    client: &pushseal::rocketchat::Client,
    v: &Value,
    server: &FakeServer,
) -> usize {
    let mut n = 0;
    for p in v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["expected"]["status"] == "decrypted")
    {
        let out = client.fetch_and_decrypt_blocking(
            &with_host(&p["payload"], &server.url),
            Deadline::after(BUDGET),
        );
        assert_eq!(
            out.outcome.status(),
            "decrypted",
            "{}: {:?}",
            p["id"],
            out.outcome
        );
        assert!(!out.fetched && !out.room_key_fetched, "{}", p["id"]);
        n += 1;
    }
    n
}

#[test]
fn unlock_with_the_e2e_password_then_decrypt_offline() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let store = fresh_login(&v, &server.url);
    store
        .lock()
        .unwrap()
        .import_subscriptions(&server.url, &subscriptions(&v))
        .unwrap();
    let client = client(store.clone(), test_config());

    let wrong = Password::from("Tr0ub4dor&3");
    assert_eq!(
        client.unlock_blocking(&server.url, &wrong, Deadline::after(BUDGET)),
        Err(Error::WrongPassword)
    );
    let p01 = with_host(&push(&v, "p01-apns-rc.v2-gcm-m01")["payload"], &server.url);
    let locked = client.fetch_and_decrypt_blocking(&p01, Deadline::after(BUDGET));
    assert!(matches!(&locked.outcome, Outcome::Failed(f) if f.reason.as_str() == "no_private_key"));

    let password = Password::from(v["device_user"]["password"].as_str().unwrap());
    client
        .unlock_blocking(&server.url, &password, Deadline::after(BUDGET))
        .unwrap();
    assert!(decrypts_offline(&client, &v, &server) > 20);
    assert_eq!(server.requests("e2e.fetchMyKeys"), 2);
}

#[test]
fn sync_imports_every_room_key_old_ones_included() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let store = fresh_login(&v, &server.url);
    let jwk = device_key(&v);
    store
        .lock()
        .unwrap()
        .set_private_key(&server.url, jwk)
        .unwrap();
    let client = client(store, test_config());

    let report = client
        .sync_blocking(&server.url, Deadline::after(BUDGET))
        .unwrap();
    let rooms = v["rooms"].as_array().unwrap().len();
    assert_eq!(
        (
            report.subscriptions,
            report.encrypted_rooms,
            report.unreadable
        ),
        (rooms, rooms, 0)
    );
    assert_eq!(report.import.keys, device_keys(&v));
    // The room wrapped for another user is reported, not fatal.
    assert_eq!(report.import.skipped.len(), 1);
    assert_eq!(report.import.skipped[0].rid, "GrpSecretBrd000d5");
    decrypts_offline(&client, &v, &server);

    // Syncing again adds nothing.
    assert_eq!(
        client
            .sync_blocking(&server.url, Deadline::after(BUDGET))
            .unwrap()
            .import
            .keys,
        0
    );
}

#[test]
fn one_room_key_on_demand() {
    let v = vectors();
    let server = FakeServer::http(&[]);
    let client = client(store(&v, &server.url, |_| false), test_config());
    let report = client
        .fetch_room_key_blocking(&server.url, "GrpProjectX0000a1", Deadline::after(BUDGET))
        .unwrap();
    assert_eq!((report.rooms, report.keys), (1, 3));
    let missing =
        client.fetch_room_key_blocking(&server.url, "GrpUnknown00000e6", Deadline::after(BUDGET));
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
}

#[test]
fn key_operations_fail_typed() {
    let v = vectors();
    let server = FakeServer::http(&["--fault", "unauthorized"]);
    let client = client(store(&v, &server.url, |_| true), test_config());
    let deadline = || Deadline::after(BUDGET);
    assert!(matches!(
        client.sync_blocking(&server.url, deadline()),
        Err(Error::Unauthorized(_))
    ));
    server.control(serde_json::json!({"mode": "stall"}));
    let budget = Duration::from_millis(700);
    let started = std::time::Instant::now();
    let r =
        client.fetch_room_key_blocking(&server.url, "GrpProjectX0000a1", Deadline::after(budget));
    assert!(matches!(r, Err(Error::Timeout(_))), "{r:?}");
    // Loose bound for a loaded 2-core machine.
    let took = started.elapsed();
    assert!(took < budget + Duration::from_secs(3), "took {took:?}");
    let unknown = client.sync_blocking("https://not-logged-in.example.org", deadline());
    assert!(
        matches!(
            unknown,
            Err(Error::UnknownServer(_)) | Err(Error::NotLoggedIn(_))
        ),
        "{unknown:?}"
    );
}
