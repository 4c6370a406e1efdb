//! The protocol-neutral GET (`pushseal::net::Http`) against a scripted
//! HTTP server on 127.0.0.1: what is sent, what comes back, and retries a
//! protocol steers, all under the deadline.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use pushseal::net::{block_on, Auth, ClientConfig, Deadline, Http, Response, Verdict};
use pushseal::{Error, SecretString};
use url::Url;

/// One scripted answer: status, body, and a delay before answering.
struct Answer(u16, &'static str, Duration);

/// Serves `answers` in order, one per connection, and records each
/// request's head.
fn serve(answers: Vec<Answer>) -> (Url, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!(
        "http://{}/_matrix/x",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for (Answer(status, body, delay), stream) in answers.into_iter().zip(listener.incoming()) {
            let mut stream = stream.unwrap();
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            log.lock().unwrap().push(head);
            thread::sleep(delay);
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, seen)
}

fn get(
    url: &Url,
    auth: &Auth,
    limit: usize,
    deadline: Deadline,
    steer: &(dyn Fn(&Response) -> Verdict + Sync),
) -> pushseal::Result<Response> {
    let http = Http::new(ClientConfig::default()).unwrap();
    block_on(async {
        let session = http.session()?;
        session.get_steered(url, auth, limit, deadline, steer).await
    })
    .unwrap()
}

/// Matrix's steering: 429 `M_LIMIT_EXCEEDED` waits `retry_after_ms`.
fn matrix_steer(r: &Response) -> Verdict {
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    match (r.status, v["errcode"].as_str()) {
        (429, Some("M_LIMIT_EXCEEDED")) => Verdict::Retry {
            after: v["retry_after_ms"].as_u64().map(Duration::from_millis),
        },
        _ => Verdict::Accept,
    }
}

#[test]
fn an_error_answer_comes_back_with_its_body_and_the_auth_header_was_sent() {
    let body = r#"{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid token"}"#;
    let (url, seen) = serve(vec![Answer(401, body, Duration::ZERO)]);
    let auth = Auth::bearer(SecretString::from("syt_abc"));
    let deadline = Deadline::after(Duration::from_secs(20));
    let answer = get(&url, &auth, 1024, deadline, &matrix_steer).unwrap();
    assert_eq!(answer.status, 401);
    assert_eq!(&answer.body[..], body.as_bytes());
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].starts_with("GET /_matrix/x HTTP/1.1"),
        "{}",
        seen[0]
    );
    let head = seen[0].to_ascii_lowercase();
    assert!(head.contains("authorization: bearer syt_abc"), "{head}");
}

#[test]
fn a_steered_retry_waits_what_the_body_asks_then_returns_the_success() {
    let limited = r#"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":400}"#;
    let (url, seen) = serve(vec![
        Answer(429, limited, Duration::ZERO),
        Answer(200, r#"{"ok":true}"#, Duration::ZERO),
    ]);
    let deadline = Deadline::after(Duration::from_secs(20));
    let start = Instant::now();
    let answer = get(&url, &Auth::none(), 1024, deadline, &matrix_steer).unwrap();
    assert_eq!(
        (answer.status, &answer.body[..]),
        (200, &b"{\"ok\":true}"[..])
    );
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn a_retry_that_does_not_fit_the_deadline_returns_the_last_answer_at_once() {
    let limited = r#"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":60000}"#;
    let (url, seen) = serve(vec![
        Answer(429, limited, Duration::ZERO),
        Answer(200, "{}", Duration::ZERO),
    ]);
    let deadline = Deadline::after(Duration::from_secs(10));
    let answer = get(&url, &Auth::none(), 1024, deadline, &matrix_steer).unwrap();
    assert_eq!(answer.status, 429);
    assert!(!deadline.expired(), "waited for a retry that could not fit");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_success_over_the_body_limit_is_refused() {
    let (url, _) = serve(vec![Answer(200, r#"{"big":"0123456789"}"#, Duration::ZERO)]);
    let deadline = Deadline::after(Duration::from_secs(20));
    let out = get(&url, &Auth::none(), 8, deadline, &matrix_steer);
    assert!(matches!(out, Err(Error::BadResponse(_))), "{out:?}");
}

#[test]
fn a_stalled_server_is_a_timeout_by_the_deadline() {
    let (url, _) = serve(vec![Answer(200, "{}", Duration::from_secs(30))]);
    let budget = Duration::from_millis(1500);
    let deadline = Deadline::after(budget);
    let start = Instant::now();
    let out = get(&url, &Auth::none(), 1024, deadline, &matrix_steer);
    assert!(matches!(out, Err(Error::Timeout(_))), "{out:?}");
    // Wide room for a loaded machine, far below the server's 30 s stall.
    assert!(start.elapsed() < budget * 4, "{:?}", start.elapsed());
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let url = Url::parse("http://matrix.example.org/_matrix/client/versions").unwrap();
    let deadline = Deadline::after(Duration::from_secs(20));
    let out = get(&url, &Auth::none(), 1024, deadline, &matrix_steer);
    assert!(
        matches!(&out, Err(Error::Network(m)) if m.contains("plain http")),
        "{out:?}"
    );
}
