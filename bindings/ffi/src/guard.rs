//! Panics stop at the FFI edge. uniffi would report one to Kotlin as an
//! exception, but Swift calls non-throwing functions with `try!`, so an
//! unwind there is a crash: every export goes through these instead.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::PushsealError;
use crate::logging::{log, LogLevel};

/// Runs `f`, turning a panic into [`PushsealError::Internal`]. The panic's
/// own message is not passed on: it could quote data it should not.
pub(crate) fn guard<T>(
    what: &'static str,
    f: impl FnOnce() -> Result<T, PushsealError>,
) -> Result<T, PushsealError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(panicked(what)))
}

pub(crate) fn panicked(what: &'static str) -> PushsealError {
    log(LogLevel::Error, || {
        format!("{what}: internal error (panic caught)")
    });
    PushsealError::Internal(format!("{what} failed unexpectedly"))
}
