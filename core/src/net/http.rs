//! The protocol-neutral HTTP client: one authenticated GET under a
//! deadline, with retries a protocol can steer. It knows no endpoint and
//! no error body: the protocol builds the full URL and the auth headers,
//! and reads the status and the bounded body it gets back.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use url::Url;
use zeroize::Zeroizing;

use super::config::ClientConfig;
use super::deadline::Deadline;
use super::tls::Trust;
use super::{retry, transport};
use crate::error::{Error, Result};
use crate::secret::SecretString;

/// Network settings and trust, checked once; cheap to clone and share.
/// Nothing is loaded (trust store, runtime) until a [`Session`] is opened.
///
/// ```no_run
/// use std::time::Duration;
/// use pushseal::net::{Auth, ClientConfig, Deadline, Http, Verdict};
/// use pushseal::SecretString;
///
/// # fn main() -> pushseal::Result<()> {
/// let http = Http::new(ClientConfig::default())?;
/// let deadline = Deadline::after(Duration::from_secs(25));
/// let url = url::Url::parse("https://matrix.example.org/_matrix/client/versions").unwrap();
/// let auth = Auth::bearer(SecretString::from("syt_token".to_owned()));
/// let answer = pushseal::net::block_on(async {
///     let session = http.session()?;
///     // Retry 429s for as long as the server asks, never past the deadline.
///     session
///         .get_steered(&url, &auth, 64 * 1024, deadline, &|r| match r.status {
///             429 => Verdict::Retry { after: Some(Duration::from_millis(500)) },
///             _ => Verdict::Accept,
///         })
///         .await
/// })??;
/// assert!(answer.is_success() || answer.status >= 400);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Http {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    trust: Trust,
    /// Built on the first session: offline decryption never loads a trust store.
    tls: OnceLock<std::result::Result<rustls::ClientConfig, Error>>,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Http {
    /// Checks the configuration (CA PEM, pins); touches no network.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let trust = Trust::parse(config.extra_ca_pem.as_deref(), &config.pins)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                trust,
                tls: OnceLock::new(),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A connection pool for one operation (a push, a sync). Open it inside
    /// [`super::run`] or [`super::block_on`] and drop it there, so no socket
    /// outlives the work it was opened for.
    pub fn session(&self) -> Result<Session> {
        let tls = self
            .inner
            .tls
            .get_or_init(|| self.inner.trust.rustls_config())
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(Session {
            client: transport::client(&self.inner.config, tls)?,
            config: self.inner.config.clone(),
        })
    }
}

/// Requests of one operation, sharing connections.
pub struct Session {
    client: reqwest::Client,
    config: ClientConfig,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// GETs `url` with `auth`, retrying transport failures and the statuses
    /// [`transient`] names; see [`Self::get_steered`].
    pub async fn get(
        &self,
        url: &Url,
        auth: &Auth,
        body_limit: usize,
        deadline: Deadline,
    ) -> Result<Response> {
        self.get_steered(url, auth, body_limit, deadline, &transient)
            .await
    }

    /// GETs `url` with `auth`. Every answer, whatever its status, is passed
    /// to `steer`: [`Verdict::Accept`] returns it, [`Verdict::Retry`] asks
    /// again after the backoff (or `after`, when longer) if the deadline and
    /// the retry policy leave room, and otherwise returns it too, so the
    /// protocol maps the last answer. A 2xx body over `body_limit` is an
    /// [`Error::BadResponse`]; other bodies are read up to 16 KiB (or
    /// `body_limit`, if smaller) and dropped beyond.
    ///
    /// `Err` means no answer: a refused URL, TLS, a network failure or
    /// timeout left after the retries, or the deadline.
    pub async fn get_steered(
        &self,
        url: &Url,
        auth: &Auth,
        body_limit: usize,
        deadline: Deadline,
        steer: &(dyn Fn(&Response) -> Verdict + Sync),
    ) -> Result<Response> {
        transport::check_scheme(url, self.config.allow_http)?;
        let headers = auth.header_values()?;
        let attempt = || transport::attempt(&self.client, url, &headers, body_limit);
        retry::get(&self.config, attempt, deadline, steer).await
    }
}

/// Secret request headers: Rocket.Chat's `X-User-Id`/`X-Auth-Token`,
/// Matrix's `Authorization: Bearer …`. Values are marked sensitive (never
/// logged by the HTTP stack, never in `Debug`) and zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Auth {
    headers: Vec<(&'static str, SecretString)>,
}

impl Auth {
    /// No header: a public endpoint.
    pub fn none() -> Self {
        Self::default()
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(token: SecretString) -> Self {
        // Sized up front: a reallocation would leave an unwiped copy.
        let mut value = String::with_capacity(7 + token.expose().len());
        value.push_str("Bearer ");
        value.push_str(token.expose());
        Self::none().header("Authorization", SecretString::new(value))
    }

    /// Adds a header; its value is treated as a secret.
    pub fn header(mut self, name: &'static str, value: SecretString) -> Self {
        self.headers.push((name, value));
        self
    }

    fn header_values(&self) -> Result<Vec<(&'static str, reqwest::header::HeaderValue)>> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let mut v =
                    reqwest::header::HeaderValue::from_str(value.expose()).map_err(|_| {
                        Error::Unauthorized("stored auth token is not a valid header value".into())
                    })?;
                v.set_sensitive(true);
                Ok((*name, v))
            })
            .collect()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Auth").field("headers", &names).finish()
    }
}

/// An answer: the status, the body (wiped on drop: it may hold keys) and a
/// `Retry-After` in seconds, if the server sent one.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
    pub retry_after: Option<Duration>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Hand it to the caller.
    Accept,
    /// Ask again, waiting at least `after` (e.g. Matrix's `retry_after_ms`)
    /// if the deadline leaves room for it and one more attempt.
    Retry { after: Option<Duration> },
}

/// The default steering: 408, 429, 500 and 502–599 are retried, honouring
/// `Retry-After`; anything else is accepted.
pub fn transient(response: &Response) -> Verdict {
    match response.status {
        408 | 429 | 500 | 502..=599 => Verdict::Retry {
            after: response.retry_after,
        },
        _ => Verdict::Accept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_debug_names_headers_only() {
        let auth = Auth::bearer(SecretString::from("syt_SECRET".to_owned()))
            .header("X-Auth-Token", SecretString::from("TOKENSECRET".to_owned()));
        let shown = format!("{auth:?} {auth:#?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("Authorization") && shown.contains("X-Auth-Token"));
        let values = auth.header_values().unwrap();
        assert_eq!(values[0].1.to_str().unwrap(), "Bearer syt_SECRET");
        assert!(values.iter().all(|(_, v)| v.is_sensitive()));
        let bad = Auth::none().header("X-Auth-Token", SecretString::from("a\nb".to_owned()));
        assert!(matches!(bad.header_values(), Err(Error::Unauthorized(_))));
    }

    #[test]
    fn transient_statuses() {
        let answer = |status| Response {
            status,
            body: Zeroizing::new(Vec::new()),
            retry_after: Some(Duration::from_secs(1)),
        };
        for code in [408, 429, 500, 502, 503, 599] {
            assert_eq!(
                transient(&answer(code)),
                Verdict::Retry {
                    after: Some(Duration::from_secs(1))
                },
                "{code}"
            );
        }
        for code in [200, 204, 400, 401, 404, 501] {
            assert_eq!(transient(&answer(code)), Verdict::Accept, "{code}");
        }
        let shown = format!("{:?}", answer(200));
        assert!(shown.contains("<0 bytes>"), "{shown}");
    }
}
