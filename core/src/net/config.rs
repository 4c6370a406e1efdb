//! What a [`super::Client`] may do: which servers it trusts, how long it
//! waits, how often it retries.

use std::fmt;
use std::time::Duration;

/// Network settings. The defaults suit a Notification Service Extension;
/// see `docs/network.md` for the reasoning behind each number.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Extra CA certificates (PEM) trusted in addition to the platform's
    /// store, for self-hosted servers with a private CA.
    pub extra_ca_pem: Option<String>,
    /// SHA-256 hashes (base64) of SubjectPublicKeyInfo. When not empty, the
    /// server's certificate chain must contain one of these keys, on top of
    /// normal validation.
    pub pins: Vec<String>,
    /// Allow plain `http://` to hosts other than loopback. Loopback
    /// (127.0.0.0/8, ::1, localhost) is always allowed, for tests.
    pub allow_http: bool,
    /// Upper bound for opening one connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Upper bound for one request attempt, body included. The attempt also
    /// stops at the caller's deadline, whichever comes first.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Sent as `User-Agent`.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            extra_ca_pem: None,
            pins: Vec::new(),
            allow_http: false,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: format!("pushseal/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

// Certificates are public, but a PEM dump would drown every log line.
impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field(
                "extra_ca_pem",
                &self
                    .extra_ca_pem
                    .as_ref()
                    .map(|p| format!("<{} bytes>", p.len())),
            )
            .field("pins", &self.pins.len())
            .field("allow_http", &self.allow_http)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Retries of one request: exponential backoff, never past the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each later one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// No retry is started with less time than this left before the
    /// deadline: it could not finish anyway.
    pub min_attempt: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            first_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(2),
            min_attempt: Duration::from_millis(300),
        }
    }
}
