//! Server failures become typed failures with safe fallback text, in time.
//! Every test runs its own fake Rocket.Chat server
//! (tests/fake-server/fake_rocketchat.py) on 127.0.0.1.

mod support;

use std::time::{Duration, Instant};

use pushseal::net::{Deadline, FetchOutcome};
use pushseal::{Failure, FailureReason, Outcome};
use serde_json::json;
use support::*;

fn failed(out: &FetchOutcome) -> &Failure {
    match &out.outcome {
        Outcome::Failed(f) => f,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Fetches an id-only push with the device user logged in.
fn fetch(server: &FakeServer, message_id: &str, budget: Duration) -> FetchOutcome {
    let v = vectors();
    let client = client(store(&v, &server.url, |_| true), test_config());
    client.fetch_and_decrypt_blocking(
        &id_only_push(&server.url, message_id),
        Deadline::after(budget),
    )
}

fn assert_placeholder(f: &Failure, reason: FailureReason) {
    assert_eq!(f.reason, reason, "{}", f.detail);
    assert_eq!(
        (f.fallback_title.as_str(), f.fallback_body.as_str()),
        ("New message", "You have a new message")
    );
    assert!(f.context.message_id.is_some());
}

#[test]
fn a_revoked_token_is_unauthorized_and_not_retried() {
    let server = FakeServer::http(&[]);
    let v = vectors();
    let store = store(&v, &server.url, |_| true);
    store
        .lock()
        .unwrap()
        .set_auth_token(&server.url, "revoked".into())
        .unwrap();
    let out = client(store, test_config()).fetch_and_decrypt_blocking(
        &id_only_push(&server.url, "any"),
        Deadline::after(Duration::from_secs(10)),
    );
    let f = failed(&out);
    assert_placeholder(f, FailureReason::Unauthorized);
    assert!(f.detail.contains("You must be logged in"), "{}", f.detail);
    assert!(!out.fetched);
    assert_eq!(server.requests("push.get"), 1);
}

#[test]
fn a_deleted_message_is_not_found() {
    let server = FakeServer::http(&[]);
    let out = fetch(&server, "no-such-message", Duration::from_secs(10));
    assert_placeholder(failed(&out), FailureReason::NotFound);
    assert!(failed(&out).detail.contains("error-message-not-found"));
    assert_eq!(server.requests("push.get"), 1);

    server.control(json!({"mode": "http_404"}));
    assert_placeholder(
        failed(&fetch(&server, "any", Duration::from_secs(10))),
        FailureReason::NotFound,
    );
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = FakeServer::http(&["--fault", "server_error"]);
    let out = fetch(&server, "any", Duration::from_secs(20));
    let f = failed(&out);
    assert_placeholder(f, FailureReason::ServerError);
    assert!(
        f.detail.contains("HTTP 500") || f.detail.contains("Internal server error"),
        "{}",
        f.detail
    );
    assert_eq!(
        server.requests("push.get"),
        u64::from(test_config().retry.max_attempts)
    );
}

#[test]
fn answers_that_are_not_rocketchat_json_are_bad_responses() {
    let server = FakeServer::http(&[]);
    for mode in ["malformed", "html"] {
        server.control(json!({"mode": mode}));
        let out = fetch(&server, "any", Duration::from_secs(10));
        assert_placeholder(failed(&out), FailureReason::BadResponse);
    }
}

#[test]
fn an_oversized_body_is_cut_off() {
    let server = FakeServer::http(&["--fault", "oversized"]);
    let out = fetch(&server, "any", Duration::from_secs(10));
    let f = failed(&out);
    assert_placeholder(f, FailureReason::BadResponse);
    assert!(f.detail.contains("1048576-byte limit"), "{}", f.detail);
}

#[test]
fn a_stalled_server_cannot_make_decrypt_overrun_its_deadline() {
    let server = FakeServer::http(&["--fault", "stall"]);
    let v = vectors();
    let client = client(store(&v, &server.url, |_| true), test_config());
    let push = id_only_push(&server.url, "any");
    let budget = Duration::from_millis(1500);
    // The clock starts once the store (RSA included) and client are set up.
    let started = Instant::now();
    let out = client.fetch_and_decrypt_blocking(&push, Deadline::after(budget));
    let took = started.elapsed();
    assert_placeholder(failed(&out), FailureReason::Timeout);
    // Loose bound for a loaded 2-core machine: the exact overshoot is
    // measured by scripts/bench-deadline.sh.
    assert!(took < budget + Duration::from_secs(3), "took {took:?}");
}

#[test]
fn a_redirect_to_another_host_is_refused() {
    let server = FakeServer::http(&["--fault", "redirect"]);
    let out = fetch(&server, "any", Duration::from_secs(10));
    let f = failed(&out);
    assert_placeholder(f, FailureReason::Network);
    assert!(f.detail.contains("another origin"), "{}", f.detail);
}

#[test]
fn without_a_login_nothing_is_sent() {
    let server = FakeServer::http(&[]);
    let v = vectors();
    let store = store(&v, &server.url, |_| true);
    let mut keyring = pushseal::rocketchat::Keyring::new();
    keyring
        .add_account(&server.url, &device_user_id(&v), None)
        .unwrap();
    *store.lock().unwrap() = keyring;
    let out = client(store, test_config()).fetch_and_decrypt_blocking(
        &id_only_push(&server.url, "any"),
        Deadline::after(Duration::from_secs(5)),
    );
    assert_placeholder(failed(&out), FailureReason::NotLoggedIn);
    assert_eq!(server.requests("push.get"), 0);
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    // Nothing listens there and nothing may be sent: the refusal is local.
    let remote = "http://chat.example.org";
    let v = vectors();
    let out = client(store(&v, remote, |_| true), test_config()).fetch_and_decrypt_blocking(
        &id_only_push(remote, "any"),
        Deadline::after(Duration::from_secs(5)),
    );
    let f = failed(&out);
    assert_placeholder(f, FailureReason::Network);
    assert!(f.detail.contains("plain http"), "{}", f.detail);
}
