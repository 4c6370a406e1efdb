//! Bounded retries of one GET under the caller's deadline: each attempt
//! gets `min(remaining, request_timeout)`, and no backoff sleeps past the
//! point where another attempt could still finish.

use zeroize::Zeroizing;

use super::config::ClientConfig;
use super::deadline::{retry_delay, Deadline};
use super::transport::{AttemptError, Transport};
use crate::error::{Error, Result};

/// GETs `endpoint`, retrying transient failures; the 2xx body or the last
/// error, prefixed with the endpoint so logs say which call failed.
pub(crate) async fn get(
    transport: &Transport,
    config: &ClientConfig,
    endpoint: &str,
    query: &[(&str, &str)],
    limit: usize,
    deadline: Deadline,
) -> Result<Zeroizing<Vec<u8>>> {
    let url = transport.url(endpoint, query);
    let mut attempt = 1;
    loop {
        let budget = deadline.attempt_timeout(config.request_timeout);
        if budget.is_zero() {
            return Err(Error::Timeout(format!("{endpoint}: deadline passed")));
        }
        let result = tokio::time::timeout(budget, transport.attempt(&url, limit))
            .await
            .unwrap_or_else(|_| {
                let error = Error::Timeout(format!("no answer within {} ms", budget.as_millis()));
                Err(AttemptError::Retry {
                    error,
                    retry_after: None,
                })
            });
        let (error, retry_after) = match result {
            Ok(body) => return Ok(body),
            Err(AttemptError::Fatal(e)) => return Err(prefixed(endpoint, e)),
            Err(AttemptError::Retry { error, retry_after }) => (error, retry_after),
        };
        attempt += 1;
        match retry_delay(&config.retry, attempt, deadline.remaining(), retry_after) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(prefixed(endpoint, error)),
        }
    }
}

fn prefixed(endpoint: &str, e: Error) -> Error {
    let p = |m: String| format!("{endpoint}: {m}");
    match e {
        Error::Unauthorized(m) => Error::Unauthorized(p(m)),
        Error::NotFound(m) => Error::NotFound(p(m)),
        Error::Network(m) => Error::Network(p(m)),
        Error::Tls(m) => Error::Tls(p(m)),
        Error::Timeout(m) => Error::Timeout(p(m)),
        Error::BadResponse(m) => Error::BadResponse(p(m)),
        Error::Server { status, message } => Error::Server {
            status,
            message: p(message),
        },
        other => other,
    }
}
