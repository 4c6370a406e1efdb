//! TLS against the fake server with the committed TEST-ONLY CA
//! (tests/fake-server/tls/): trust only through the extra CA, key pins
//! computed by openssl, and failures that stay typed.

mod support;

use std::time::Duration;

use pushseal::net::{spki_pin, ClientConfig, Deadline, FetchOutcome};
use pushseal::rocketchat::Client;
use pushseal::{FailureReason, Outcome};
use support::*;

const BUDGET: Duration = Duration::from_secs(20);

fn read(name: &str) -> String {
    std::fs::read_to_string(tls_file(name)).unwrap()
}

fn fetch(server: &FakeServer, config: ClientConfig) -> FetchOutcome {
    let v = vectors();
    let bytes = with_host(
        &push(&v, "p34-apns-idonly-rc.v2-gcm")["payload"],
        &server.url,
    );
    client(store(&v, &server.url, |_| true), config)
        .fetch_and_decrypt_blocking(&bytes, Deadline::after(BUDGET))
}

fn with_ca(pins: &[&str]) -> ClientConfig {
    ClientConfig {
        extra_ca_pem: Some(read("ca.pem")),
        pins: pins.iter().map(|p| p.trim().to_owned()).collect(),
        ..test_config()
    }
}

fn tls_failure(out: &FetchOutcome) -> String {
    match &out.outcome {
        Outcome::Failed(f) => {
            assert_eq!(f.reason, FailureReason::Tls, "{}", f.detail);
            assert_eq!(f.fallback_body, "You have a new message");
            f.detail.clone()
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[test]
fn an_id_only_push_is_fetched_over_tls_with_the_extra_ca() {
    let server = FakeServer::https(&[]);
    let out = fetch(&server, with_ca(&[]));
    let Outcome::Decrypted(n) = &out.outcome else {
        panic!("{:?}", out.outcome)
    };
    assert_eq!(
        n.body.expose(),
        message(&vectors(), "MsgE2eVec00000001")["expected_body"]
            .as_str()
            .unwrap()
    );
    assert!(out.fetched);
}

#[test]
fn without_the_extra_ca_the_server_is_not_trusted() {
    let server = FakeServer::https(&[]);
    let detail = tls_failure(&fetch(&server, test_config()));
    assert!(
        detail.to_lowercase().contains("certificate") || detail.contains("trust"),
        "{detail}"
    );
}

#[test]
fn a_matching_pin_of_the_leaf_or_the_ca_is_accepted() {
    let server = FakeServer::https(&[]);
    for pin in [read("server.pin"), read("ca.pin")] {
        let out = fetch(&server, with_ca(&[&pin]));
        assert_eq!(
            out.outcome.status(),
            "decrypted",
            "pin {pin}: {:?}",
            out.outcome
        );
    }
    // The pin helper agrees with openssl.
    assert_eq!(
        spki_pin(read("server.pem").as_bytes()).unwrap(),
        read("server.pin").trim()
    );
}

/// An attacker with a trusted chain but without the pinned key appends a
/// certificate that carries the pinned key: that certificate is not in the
/// validated chain, so the pin is not met.
#[test]
fn an_appended_certificate_with_the_pinned_key_does_not_satisfy_the_pin() {
    let server = FakeServer::https_presenting(&["unrelated.pem"]);
    let detail = tls_failure(&fetch(&server, with_ca(&[&read("unrelated.pin")])));
    assert!(detail.contains("pin"), "{detail}");
    // Sending the CA as well changes nothing.
    let server = FakeServer::https_presenting(&["unrelated.pem", "ca.pem"]);
    let detail = tls_failure(&fetch(&server, with_ca(&[&read("unrelated.pin")])));
    assert!(detail.contains("pin"), "{detail}");
}

/// Extra certificates after the chain, in any order, do not hide a pin
/// that the validated chain does carry.
#[test]
fn a_legitimate_pin_passes_whatever_extra_certificates_come_along() {
    for also in [
        &["unrelated.pem"][..],
        &["ca.pem", "unrelated.pem"],
        &["unrelated.pem", "ca.pem"],
    ] {
        let server = FakeServer::https_presenting(also);
        for pin in [read("server.pin"), read("ca.pin")] {
            let out = fetch(&server, with_ca(&[&pin]));
            assert_eq!(
                out.outcome.status(),
                "decrypted",
                "presenting {also:?}, pin {pin}: {:?}",
                out.outcome
            );
        }
    }
}

#[test]
fn a_pin_mismatch_fails_even_with_a_trusted_chain() {
    let server = FakeServer::https(&[]);
    let other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let detail = tls_failure(&fetch(&server, with_ca(&[other])));
    assert!(detail.contains("pin"), "{detail}");
}

#[test]
fn bad_tls_settings_are_refused_up_front() {
    let v = vectors();
    let store = store(&v, "https://chat.example.org", |_| true);
    let bad_ca = ClientConfig {
        extra_ca_pem: Some("not a certificate".into()),
        ..ClientConfig::default()
    };
    assert!(matches!(
        Client::new(bad_ca, store.clone()),
        Err(pushseal::Error::Tls(_))
    ));
    let bad_pin = ClientConfig {
        pins: vec!["sha1/abc".into()],
        ..ClientConfig::default()
    };
    assert!(matches!(
        Client::new(bad_pin, store),
        Err(pushseal::Error::Tls(_))
    ));
}
