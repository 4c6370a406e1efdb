//! RSA off the async poll: unwraps run on the runtime's blocking threads,
//! so the deadline's timer keeps firing, and each unwrap there first checks
//! the deadline (see `keyring::unwraps_until`).

use crate::error::{Error, Result};
use crate::rocketchat::keyring::unwraps_until;
use crate::rocketchat::ImportReport;

use crate::net::Deadline;

/// Runs `work` on a blocking thread with its unwraps cut off at `deadline`.
pub(crate) async fn off_poll<T: Send + 'static>(
    deadline: Deadline,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    crate::net::off_poll(move || unwraps_until(deadline.instant(), work)).await
}

/// A typed timeout when the deadline left keys wrapped; what was
/// unwrapped is already stored.
pub(crate) fn finished(report: ImportReport, doing: &str) -> Result<ImportReport> {
    if report.pending == 0 {
        return Ok(report);
    }
    Err(Error::Timeout(format!(
        "deadline reached {doing}: {} room keys stored, {} still pending (run it again to continue)",
        report.keys, report.pending
    )))
}
