//! KEYS.json: everything the CLI needs to decrypt offline, in Rocket.Chat's
//! own REST shapes so a user can assemble it with curl.
//!
//! ```json
//! {"server": "https://chat.example.org", "user_id": "…",
//!  "private_key": {"jwk": {…}} | {"fetch_my_keys": {…}, "password": "…"},
//!  "subscriptions": [ … ]}
//! ```

use serde::Deserialize;
use serde_json::Value;

use super::keyring::{ImportReport, Keyring};
use super::private_key::UserPrivateKey;
use super::subscription::Subscription;
use crate::error::{Error, Result};
use crate::limits::MAX_KEYS_FILE_BYTES;
use crate::secret::Password;

/// A parsed keys file. The private key is still locked.
#[derive(Debug)]
pub struct KeysFile {
    pub server: String,
    pub user_id: String,
    pub private_key: Option<PrivateKeySource>,
    pub subscriptions: Vec<Subscription>,
}

/// How the keys file gives the private key.
#[derive(Debug)]
pub enum PrivateKeySource {
    /// An already-decrypted JWK.
    Jwk(Box<UserPrivateKey>),
    /// The server's stored form, to unlock with the E2E password.
    Stored {
        stored: String,
        password: Option<Password>,
    },
}

impl PrivateKeySource {
    /// The usable key: the JWK as given, or the stored key unlocked with
    /// `password`, which overrides a password in the file.
    pub fn unlock(self, user_id: &str, password: Option<Password>) -> Result<UserPrivateKey> {
        match self {
            Self::Jwk(key) => Ok(*key),
            Self::Stored {
                stored,
                password: in_file,
            } => {
                let password = password.or(in_file).ok_or(Error::NoPrivateKey)?;
                UserPrivateKey::unlock(&stored, user_id, &password)
            }
        }
    }
}

#[derive(Deserialize)]
struct Raw {
    server: String,
    user_id: String,
    private_key: Option<Value>,
    #[serde(default)]
    subscriptions: Value,
}

impl KeysFile {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_KEYS_FILE_BYTES {
            return Err(Error::TooLarge {
                what: "keys file",
                limit: MAX_KEYS_FILE_BYTES,
            });
        }
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|e| Error::malformed(format!("keys file: {e}")))?;
        let subscriptions = match &raw.subscriptions {
            Value::Null => Vec::new(),
            v => Subscription::list_from_value(v)?,
        };
        Ok(Self {
            server: raw.server,
            user_id: raw.user_id,
            private_key: raw
                .private_key
                .as_ref()
                .map(private_key_source)
                .transpose()?,
            subscriptions,
        })
    }

    /// Unlocks the private key (a `password` argument overrides the file's)
    /// and unwraps every room key into a new keyring.
    pub fn into_keyring(self, password: Option<Password>) -> Result<(Keyring, ImportReport)> {
        let private_key = self
            .private_key
            .map(|source| source.unlock(&self.user_id, password))
            .transpose()?;
        let mut keyring = Keyring::new();
        keyring.add_account(&self.server, &self.user_id, private_key)?;
        let report = keyring.import_subscriptions(&self.server, &self.subscriptions)?;
        Ok((keyring, report))
    }
}

fn private_key_source(v: &Value) -> Result<PrivateKeySource> {
    if let Some(jwk) = v.get("jwk") {
        let key = match jwk {
            Value::String(s) => UserPrivateKey::from_jwk(s)?,
            obj => UserPrivateKey::from_jwk_object(obj)?,
        };
        return Ok(PrivateKeySource::Jwk(Box::new(key)));
    }
    if let Some(fetched) = v.get("fetch_my_keys") {
        let stored = fetched
            .get("private_key")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::malformed("fetch_my_keys has no private_key: the user has no E2E keys")
            })?;
        let password = v
            .get("password")
            .and_then(Value::as_str)
            .map(Password::from);
        return Ok(PrivateKeySource::Stored {
            stored: stored.to_owned(),
            password,
        });
    }
    Err(Error::malformed(
        "private_key needs \"jwk\" or \"fetch_my_keys\"",
    ))
}
