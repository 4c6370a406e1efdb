//! pushseal decrypts end-to-end-encrypted chat push notifications on the
//! device: in an iOS Notification Service Extension, an Android FCM handler,
//! or on a desktop for debugging.
//!
//! A push goes in; an [`Outcome`] comes out: a notification to show, or a
//! typed reason with safe fallback text. Rocket.Chat is the first protocol
//! ([`rocketchat`]); the outcome types are protocol-neutral.
//!
//! ```
//! use pushseal::rocketchat::{decrypt_push, Keyring};
//!
//! let keys = Keyring::new();
//! let push = br#"{"host":"https://chat.example.org/","messageId":"m1","notificationType":"message-id-only"}"#;
//! let outcome = decrypt_push(push, &keys);
//! assert_eq!(outcome.status(), "needs_fetch");
//! // Whatever happens, there is something safe to show:
//! assert_eq!(outcome.display(), ("New message", "You have a new message"));
//! ```
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod error;
pub mod limits;
#[cfg(feature = "matrix")]
pub mod matrix;
#[cfg(feature = "fetch")]
pub mod net;
mod outcome;
mod protocols;
#[cfg(feature = "rocketchat")]
pub mod rocketchat;
mod secret;
mod server;
pub mod store;

pub use error::{Error, Result};
pub use outcome::*;
pub use protocols::{decrypt_from_store, detect_protocol};
pub use secret::{Password, SecretBytes, SecretString};
pub use server::normalize_server;
