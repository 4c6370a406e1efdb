//! The uniffi facade over the pushseal core: what Kotlin and Swift see.
//!
//! The core knows nothing of uniffi; this crate maps its types to a small,
//! stable FFI surface (docs/bindings.md):
//!
//! - [`PushStore`]: the encrypted key store, opened with a 32-byte key;
//! - [`Decryptor`]: decrypts a push under a deadline, fetching from the
//!   server when the push alone is not enough, async or blocking;
//! - [`DecryptResult`]: a sealed result that always has safe text to show;
//! - [`PushsealError`]: the few errors a host can act on;
//! - [`set_logger`]: secret-free log records for the host's logger;
//! - [`contract_version`]: the check that the bindings match the library.
//!
//! Every exported call catches panics (`guard`): a bug in the core becomes
//! an error or a `Failed` result, never an unwind into the host, which
//! Swift would turn into a crash.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(not(target_os = "ios"))]
mod android;
// Async calls run on a thread of their own; only the network needs one.
#[cfg(all(feature = "rocketchat", feature = "fetch"))]
mod bridge;
mod config;
mod contract;
mod decryptor;
mod error;
mod guard;
mod logging;
mod reason;
mod result;
mod store;

pub use config::NetworkConfig;
pub use contract::{contract_version, library_version, CONTRACT_VERSION};
pub use decryptor::Decryptor;
pub use error::PushsealError;
pub use logging::{set_logger, LogLevel, LoggerError, PushsealLogger};
pub use reason::{FailureReason, FetchReason};
pub use result::{DecryptResult, NotificationFields, RoomKind, SecretText};
pub use store::{
    generate_store_key, AccountSummary, ImportSummary, PushStore, StoreMode, SyncSummary,
};

uniffi::setup_scaffolding!();
