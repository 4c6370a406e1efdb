//! HTTPS for fetch on receipt and key sync, for any protocol
//! (`docs/network.md`).
//!
//! [`Http`] and its [`Session`]s give one authenticated GET under a
//! [`Deadline`], with retries a protocol steers by a [`Verdict`]; this
//! module also holds TLS trust and pins, and the lazily started runtime
//! ([`run`], [`block_on`], [`within`], [`off_poll`]). It knows no protocol:
//! each builds its URLs, auth headers and reading of answers on top
//! (Rocket.Chat's in [`crate::rocketchat::fetch`]). Nothing here runs,
//! loads a trust store or starts a thread until a request is made.

mod config;
mod deadline;
mod http;
mod pin;
mod retry;
mod runtime;
mod status;
mod tls;
mod transport;

pub use crate::outcome::FetchOutcome;
pub use config::{ClientConfig, RetryPolicy};
pub use deadline::Deadline;
pub use http::{transient, Auth, Http, Response, Session, Verdict};
pub use pin::spki_pin;
pub use runtime::{block_on, off_poll, run, within};
pub(crate) use status::sanitize;
#[cfg(test)]
pub(crate) use status::MAX_SERVER_TEXT;
