//! The one deadline a whole fetch runs under, and the retry schedule that
//! respects it.

use std::time::{Duration, Instant};

use super::config::RetryPolicy;

/// When the caller needs an answer, e.g. 25 s after an iOS push arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    /// A deadline `budget` from now. An absurd budget (past what `Instant`
    /// can hold) means a year rather than a panic.
    pub fn after(budget: Duration) -> Self {
        let now = Instant::now();
        let year = Duration::from_secs(365 * 24 * 3600);
        Self::at(
            now.checked_add(budget)
                .or_else(|| now.checked_add(year))
                .unwrap_or(now),
        )
    }

    pub fn at(instant: Instant) -> Self {
        Self(instant)
    }

    pub fn instant(self) -> Instant {
        self.0
    }

    /// Time left; zero once passed.
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    pub fn expired(self) -> bool {
        self.remaining().is_zero()
    }

    /// Time one attempt may take: the cap, or what is left if that is less.
    pub(crate) fn attempt_timeout(self, cap: Duration) -> Duration {
        self.remaining().min(cap)
    }
}

/// How long to wait before attempt `next` (2 for the first retry), or
/// `None` when no retry should start: attempts are used up, or the wait
/// would leave less than `min_attempt` before the deadline. A server's
/// `Retry-After` is honoured when it fits.
pub(crate) fn retry_delay(
    policy: &RetryPolicy,
    next: u32,
    remaining: Duration,
    retry_after: Option<Duration>,
) -> Option<Duration> {
    if next > policy.max_attempts || next < 2 {
        return None;
    }
    let doublings = (next - 2).min(16);
    let backoff = policy
        .first_backoff
        .saturating_mul(1 << doublings)
        .min(policy.max_backoff);
    let wait = retry_after.map_or(backoff, |ra| ra.max(backoff));
    (wait.saturating_add(policy.min_attempt) <= remaining).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 6,
            ..RetryPolicy::default()
        };
        let waits: Vec<_> = (2..=7)
            .map(|n| retry_delay(&p, n, MS(60_000), None))
            .collect();
        assert_eq!(
            waits,
            vec![
                Some(MS(250)),
                Some(MS(500)),
                Some(MS(1000)),
                Some(MS(2000)),
                Some(MS(2000)),
                None
            ]
        );
    }

    #[test]
    fn never_waits_into_the_deadline() {
        let p = RetryPolicy::default();
        // 250 ms wait + 300 ms minimum attempt need 550 ms.
        assert_eq!(retry_delay(&p, 2, MS(549), None), None);
        assert_eq!(retry_delay(&p, 2, MS(550), None), Some(MS(250)));
        assert_eq!(retry_delay(&p, 2, Duration::ZERO, None), None);
    }

    #[test]
    fn retry_after_is_honoured_only_when_it_fits() {
        let p = RetryPolicy::default();
        assert_eq!(
            retry_delay(&p, 2, MS(10_000), Some(MS(3000))),
            Some(MS(3000))
        );
        assert_eq!(retry_delay(&p, 2, MS(3000), Some(MS(3000))), None);
    }

    #[test]
    fn an_absurd_budget_does_not_panic() {
        assert!(!Deadline::after(Duration::MAX).expired());
    }

    #[test]
    fn attempt_timeout_is_capped_by_what_is_left() {
        let d = Deadline::after(Duration::from_secs(3600));
        assert_eq!(d.attempt_timeout(MS(10)), MS(10));
        let past = Deadline::at(Instant::now());
        assert_eq!(past.attempt_timeout(MS(10)), Duration::ZERO);
        assert!(past.expired());
    }
}
