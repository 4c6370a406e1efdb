//! Matrix: Megolm (`m.megolm.v1.aes-sha2`) push decryption on vodozemac.
//!
//! Pure protocol logic, in the style of vodozemac and matrix-sdk-crypto: this
//! module does no I/O. Pushes become the crate's neutral [`crate::Outcome`]
//! with [`crate::Protocol::Matrix`]. Sessions come from the caller through
//! [`SessionStore`] (the caller keeps the pickles, e.g. in SQLCipher); keys
//! come from a key export file ([`export`]), host-app sessions
//! ([`sessions`]) or the server-side key backup ([`backup`]).
//!
//! ```
//! use pushseal::matrix::{decrypt_push, MemoryStore};
//!
//! let mut store = MemoryStore::new();
//! let push = br#"{"event_id":"$e1","room_id":"!r:example.org","unread":"1"}"#;
//! let outcome = decrypt_push(push, &mut store);
//! assert_eq!(outcome.status(), "needs_fetch");
//! assert_eq!(outcome.display(), ("New message", "You have a new message"));
//! ```

mod account;
mod b64;
pub mod backup;
mod decrypt;
mod display;
mod error;
pub mod export;
mod outcome;
mod push;
mod secret;
pub mod sessions;
mod store;
pub(crate) mod tables;

pub use account::{choose_account, client_identifier, AccountRef};
pub use decrypt::{decrypt_fetched, decrypt_parsed, decrypt_push};
pub use error::Error;
pub use push::{parse_push, EncryptedContent, Push};
pub use secret::SecretKey32;
pub use sessions::{replace_decision, Replace, RoomSession};
pub use store::{Layered, MemoryStore, SessionStore, StoreError};
pub use tables::{decrypt_with_store, MatrixAccountInfo, SessionImport, StoredSessions};

/// The only room-event algorithm pushseal decrypts.
pub const MEGOLM_V1: &str = "m.megolm.v1.aes-sha2";
