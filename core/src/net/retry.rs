//! Bounded retries of one GET under the caller's deadline: each attempt
//! gets `min(remaining, request_timeout)`, and no backoff sleeps past the
//! point where another attempt could still finish.

use std::future::Future;

use super::config::ClientConfig;
use super::deadline::{retry_delay, Deadline};
use super::http::{Response, Verdict};
use super::transport::AttemptError;
use crate::error::{Error, Result};

/// Runs `attempt` until `steer` accepts an answer, an error is fatal, or
/// the policy or the deadline leaves no room for another try. A retried
/// answer that runs out of room is returned as it is; a retried error is
/// returned as the error.
pub(crate) async fn get<F, Fut>(
    config: &ClientConfig,
    attempt: F,
    deadline: Deadline,
    steer: &(dyn Fn(&Response) -> Verdict + Sync),
) -> Result<Response>
where
    F: Fn() -> Fut,
    Fut: Future<Output = std::result::Result<Response, AttemptError>>,
{
    let mut next = 1;
    loop {
        let budget = deadline.attempt_timeout(config.request_timeout);
        if budget.is_zero() {
            return Err(Error::Timeout("deadline passed".into()));
        }
        let result = tokio::time::timeout(budget, attempt())
            .await
            .unwrap_or_else(|_| {
                let error = Error::Timeout(format!("no answer within {} ms", budget.as_millis()));
                Err(AttemptError::Retry(error))
            });
        let (failed, after) = match result {
            Ok(answer) => match steer(&answer) {
                Verdict::Accept => return Ok(answer),
                Verdict::Retry { after } => (Ok(answer), after),
            },
            Err(AttemptError::Fatal(e)) => return Err(e),
            Err(AttemptError::Retry(e)) => (Err(e), None),
        };
        next += 1;
        match retry_delay(&config.retry, next, deadline.remaining(), after) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return failed,
        }
    }
}
