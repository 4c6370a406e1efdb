//! Log records for the host's own logger (Logcat, os_log). Records name
//! outcomes, reasons, timings and store events; they never contain message
//! text, tokens, passwords or key material, and callers build them only
//! from such fields.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, RwLock};

/// Severity, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// Receives pushseal's log records. Called on pushseal's threads as well
/// as the caller's, so implementations must be thread-safe and quick.
///
/// Implementations need not throw. The error type is there so that one that
/// does throw reaches Rust as a value: for a method without one, uniffi
/// turns a foreign exception into a panic.
#[uniffi::export(foreign)]
pub trait PushsealLogger: Send + Sync {
    fn log(&self, level: LogLevel, message: String) -> Result<(), LoggerError>;
}

/// A logger's own failure; pushseal drops the record and carries on.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum LoggerError {
    #[error("logger failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for LoggerError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed { reason: e.reason }
    }
}

struct Sink {
    logger: Arc<dyn PushsealLogger>,
    max_level: LogLevel,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Sends records up to `max_level` to `logger`; `None` stops logging.
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn PushsealLogger>>, max_level: LogLevel) {
    let sink = logger.map(|logger| Sink { logger, max_level });
    *SINK
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = sink;
}

/// Logs the record `message` builds, when a logger wants this level.
pub(crate) fn log(level: LogLevel, message: impl FnOnce() -> String) {
    let logger = {
        let sink = SINK.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*sink {
            Some(s) if level <= s.max_level => Arc::clone(&s.logger),
            _ => return,
        }
    };
    // A failing logger loses its record; the call that logged goes on.
    // catch_unwind: a logger's failure must never unwind into the host.
    let _ = catch_unwind(AssertUnwindSafe(|| logger.log(level, message())));
}
