//! Rocket.Chat's fetch on receipt and key sync (`docs/network.md`), on the
//! neutral [`crate::net`] GET.
//!
//! [`Client::fetch_and_decrypt`] decrypts a push offline when it can, and
//! otherwise fetches what is missing from the Rocket.Chat server: the
//! message for id-only pushes and for old servers' pushes without
//! ciphertext, the room key for an unknown key id. Everything runs under one
//! caller-supplied [`Deadline`](crate::net::Deadline). Nothing here runs,
//! loads a trust store or starts a thread until a push actually needs the
//! network.

mod account;
mod api;
mod client;
mod errors;
mod fetched;
mod flow;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod memory;
mod overlay;
mod rsa;
mod store_impl;

pub use crate::outcome::FetchOutcome;
pub use account::{AccountStore, Credentials};
pub use client::{Client, SyncReport};
