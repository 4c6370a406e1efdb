//! Rocket.Chat's tables in the encrypted [`crate::store::Store`]: private
//! keys, room keys, wrapped keys waiting for the private key, and the
//! unwrap memo (`docs/store.md`), as `impl Store` blocks: importing
//! subscriptions and KEYS.json (RSA once per wrapped key), the decryption
//! path's [`crate::rocketchat::KeyLookup`], and the account listing.
//! Their migrations are the neutral schema's versions 1-3, which predate
//! the split into protocol components.
//!
//! ```
//! use pushseal::rocketchat::decrypt_push;
//! use pushseal::store::{OpenMode, Store, StoreKey};
//!
//! let dir = std::env::temp_dir().join(format!("pushseal-doc-rc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("store.db");
//! // The host makes this once and keeps it in the Keychain / Keystore.
//! let key = StoreKey::generate();
//!
//! // The app, after login:
//! let app = Store::open(&path, &key, OpenMode::ReadWrite)?;
//! app.set_account("https://Chat.Example.org/", "aliceUserId")?;
//! app.set_auth_token("https://chat.example.org", "token-from-login".into())?;
//! // (then set_private_key and import_subscriptions, or import_keys_file)
//! app.pause()?; // before suspension: WAL checkpointed, every file closed
//!
//! // The notification extension, in its own process:
//! let nse = Store::open(&path, &key, OpenMode::ReadOnly)?;
//! let push = br#"{"host":"https://chat.example.org","messageId":"m1","notificationType":"message-id-only"}"#;
//! assert_eq!(decrypt_push(push, &nse).status(), "needs_fetch");
//! let (user, _token) = nse.auth("https://chat.example.org")?.expect("logged in");
//! assert_eq!(user, "aliceUserId");
//! nse.close()?;
//!
//! let accounts = app.info()?; // no secrets in here
//! assert!(accounts[0].has_auth_token && !accounts[0].has_private_key);
//! app.close()?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`KeyLookup`]: crate::rocketchat::KeyLookup

mod accounts;
mod import;
mod lookup;
#[cfg(test)]
mod schema_tests;

pub use accounts::{AccountInfo, RoomInfo};
