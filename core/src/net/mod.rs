//! Fetch on receipt and key sync over HTTPS (`docs/network.md`).
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
pub use pin::spki_pin;
