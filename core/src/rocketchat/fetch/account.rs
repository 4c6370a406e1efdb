//! What the network layer needs from a key store: credentials to call the
//! server with, and somewhere to put the keys it fetches.

use std::fmt;

use crate::error::Result;
use crate::rocketchat::{ImportReport, KeyLookup, Subscription, UserPrivateKey};
use crate::secret::SecretString;

/// A REST login: `X-User-Id` and `X-Auth-Token`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: String,
    pub token: SecretString,
}

impl Credentials {
    pub fn new(user_id: impl Into<String>, token: SecretString) -> Self {
        Self {
            user_id: user_id.into(),
            token,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// A key store the network layer can read credentials from and import
/// fetched keys into. `server` is always a normalised URL
/// ([`crate::normalize_server`]).
///
/// Implemented by `Mutex<Keyring>` (in memory) and by the encrypted store.
pub trait AccountStore: KeyLookup + Send + Sync {
    /// The stored login for `server`, or `None` before logging in.
    fn credentials(&self, server: &str) -> Result<Option<Credentials>>;
    /// Whether the store may be written; asked before any network or RSA
    /// work that would end in a write. An extension's store is read-only.
    fn writable(&self) -> bool {
        true
    }
    /// Unwraps and stores the room keys of `subs` (current and old).
    fn import_subscriptions(&self, server: &str, subs: &[Subscription]) -> Result<ImportReport>;
    /// Stores the unlocked private key and unwraps rooms waiting for it.
    fn set_private_key(&self, server: &str, key: &UserPrivateKey) -> Result<ImportReport>;
    /// The account's user id, the v1 private-key salt.
    fn user_id(&self, server: &str) -> Result<Option<String>>;
    /// The unlocked private key, so a room key fetched for one push can be
    /// used even where the store cannot be written (an extension's
    /// read-only store). `None` opts out.
    fn private_key(&self, _server: &str) -> Result<Option<UserPrivateKey>> {
        Ok(None)
    }
}
