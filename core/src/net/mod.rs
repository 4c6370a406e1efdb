//! Fetch on receipt and key sync over HTTPS (`docs/network.md`).
//!
//! The neutral part, for any protocol: [`Http`] and its [`Session`]s (one
//! authenticated GET under a [`Deadline`], retries steered by a
//! [`Verdict`]), TLS trust and pins, and the lazily started runtime
//! ([`run`], [`block_on`], [`within`], [`off_poll`]).
//!
//! [`Client::fetch_and_decrypt`] decrypts a push offline when it can, and
//! otherwise fetches what is missing from the Rocket.Chat server: the
//! message for id-only pushes and for old servers' pushes without
//! ciphertext, the room key for an unknown key id. Everything runs under one
//! caller-supplied [`Deadline`]. Nothing here runs, loads a trust store or
//! starts a thread until a push actually needs the network.

mod account;
mod api;
mod client;
mod config;
mod deadline;
mod fetched;
mod flow;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod memory;
mod overlay;
mod pin;
mod retry;
mod rsa;
mod runtime;
mod status;
mod store_impl;
mod tls;
mod transport;

pub use account::{AccountStore, Credentials};
pub use client::{Client, FetchOutcome, SyncReport};
pub use config::{ClientConfig, RetryPolicy};
pub use deadline::Deadline;
pub use http::{transient, Auth, Http, Response, Session, Verdict};
pub use pin::spki_pin;
pub use runtime::{block_on, off_poll, run, within};
