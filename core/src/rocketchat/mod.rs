//! Rocket.Chat end-to-end encryption (`messageType: "e2e"`), in every
//! format Rocket.Chat has produced. See `docs/rocketchat.md`.

mod aes;
mod base64;
pub mod decrypt;
#[cfg(feature = "fetch")]
pub mod fetch;
pub mod keyring;
pub mod keys;
pub mod keys_file;
pub mod message;
mod plaintext;
pub mod private_key;
pub mod push;
pub mod room;
pub mod room_key;
pub mod store;
pub mod subscription;

pub use decrypt::{decrypt_message, decrypt_parsed, decrypt_push};
#[cfg(feature = "fetch")]
pub use fetch::{AccountStore, Client, Credentials, SyncReport};
pub use keyring::{rsa_unwraps, ImportReport, Keyring, SkippedKey};
pub use keys::{KeyLookup, RoomKeyEntry};
pub use keys_file::KeysFile;
pub use message::{EncryptedMessage, MessageFormat};
pub use private_key::UserPrivateKey;
pub use push::{Container, Payload, Push};
pub use room::{room_kind, room_type_code};
pub use room_key::{RoomKey, RoomKeyAlgorithm, WrappedRoomKey};
pub use subscription::Subscription;
