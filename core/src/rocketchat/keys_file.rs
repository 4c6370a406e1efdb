//! KEYS.json: everything the CLI needs to decrypt offline, in Rocket.Chat's
//! own REST shapes so a user can assemble it with curl.
//!
//! ```json
//! {"server": "https://chat.example.org", "user_id": "…",
//!  "private_key": {"jwk": {…}} | {"fetch_my_keys": {…}, "password": "…"},
//!  "subscriptions": [ … ]}
//! ```
//!
//! All four members are required. The file is read into borrowed raw JSON
//! first and each member is then read on its own, so an error names the
//! member, and secrets go straight into zeroized buffers without passing
//! through a `serde_json::Value` tree.

use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use zeroize::Zeroizing;

use super::keyring::{ImportReport, Keyring};
use super::private_key::UserPrivateKey;
use super::subscription::Subscription;
use crate::error::{Error, Result};
use crate::limits::MAX_KEYS_FILE_BYTES;
use crate::secret::{Password, SecretString};

/// A parsed keys file. The private key is still locked.
#[derive(Debug)]
pub struct KeysFile {
    pub server: String,
    pub user_id: String,
    /// Always `Some` from [`KeysFile::parse`]; `None` only for a value a
    /// host builds itself without a private key.
    pub private_key: Option<PrivateKeySource>,
    pub subscriptions: Vec<Subscription>,
}

/// How the keys file gives the private key.
#[derive(Debug)]
pub enum PrivateKeySource {
    /// An already-decrypted JWK.
    Jwk(Box<UserPrivateKey>),
    /// The server's stored form (`e2e.fetchMyKeys` `private_key`), to unlock
    /// with the E2E password. Encrypted, but still not for logs: `Debug`
    /// shows only its length.
    Stored {
        stored: SecretString,
        password: Option<Password>,
    },
}

impl PrivateKeySource {
    /// True when unlocking needs a password and the file holds none.
    pub fn needs_password(&self) -> bool {
        matches!(self, Self::Stored { password: None, .. })
    }

    /// True when the file holds a password of its own.
    pub fn has_password(&self) -> bool {
        matches!(
            self,
            Self::Stored {
                password: Some(_),
                ..
            }
        )
    }

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
                UserPrivateKey::unlock(stored.expose(), user_id, &password)
            }
        }
    }
}

/// Why a keys file was refused, naming the member at fault. The text never
/// contains a value from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysFileError {
    TooLarge {
        limit: usize,
    },
    /// Not a JSON object at all.
    NotJson(String),
    /// A required member is absent (or `null`).
    Missing(&'static str),
    /// A member is there but not of the right shape.
    Invalid {
        field: &'static str,
        detail: String,
    },
}

impl fmt::Display for KeysFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "larger than {limit} bytes"),
            Self::NotJson(e) => write!(f, "not a JSON object: {e}"),
            Self::Missing(field) => write!(f, "missing field \"{field}\""),
            Self::Invalid { field, detail } => write!(f, "field \"{field}\": {detail}"),
        }
    }
}

impl std::error::Error for KeysFileError {}

/// Hosts that only know [`Error`] see the old projection: a malformed input.
impl From<KeysFileError> for Error {
    fn from(e: KeysFileError) -> Self {
        match e {
            KeysFileError::TooLarge { limit } => Error::TooLarge {
                what: "keys file",
                limit,
            },
            other => Error::malformed(format!("keys file: {other}")),
        }
    }
}

#[derive(Deserialize)]
struct RawFile<'a> {
    #[serde(borrow)]
    server: Option<&'a RawValue>,
    #[serde(borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(borrow)]
    private_key: Option<&'a RawValue>,
    #[serde(borrow)]
    subscriptions: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawPrivateKey<'a> {
    #[serde(borrow)]
    jwk: Option<&'a RawValue>,
    fetch_my_keys: Option<RawFetchMyKeys>,
    password: Option<Zeroizing<String>>,
}

#[derive(Deserialize)]
struct RawFetchMyKeys {
    private_key: Option<Zeroizing<String>>,
}

impl KeysFile {
    /// Parses a keys file; errors are [`Error::MalformedPayload`] or
    /// [`Error::TooLarge`]. [`KeysFile::read`] keeps the typed error.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Ok(Self::read(bytes)?)
    }

    /// Parses a keys file, naming the member at fault on error.
    pub fn read(bytes: &[u8]) -> std::result::Result<Self, KeysFileError> {
        if bytes.len() > MAX_KEYS_FILE_BYTES {
            return Err(KeysFileError::TooLarge {
                limit: MAX_KEYS_FILE_BYTES,
            });
        }
        let raw: RawFile<'_> =
            serde_json::from_slice(bytes).map_err(|e| KeysFileError::NotJson(e.to_string()))?;
        let server: String = member("server", raw.server)?;
        let user_id: String = member("user_id", raw.user_id)?;
        let private_key = private_key_source(required("private_key", raw.private_key)?)?;
        let subscriptions: Value = member("subscriptions", raw.subscriptions)?;
        let subscriptions =
            Subscription::list_from_value(&subscriptions).map_err(|e| KeysFileError::Invalid {
                field: "subscriptions",
                detail: inner_text(&e),
            })?;
        Ok(Self {
            server,
            user_id,
            private_key: Some(private_key),
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

/// A member that must be present and not `null`.
fn required<'a>(
    field: &'static str,
    raw: Option<&'a RawValue>,
) -> std::result::Result<&'a RawValue, KeysFileError> {
    raw.filter(|r| r.get() != "null")
        .ok_or(KeysFileError::Missing(field))
}

/// A required member read as `T`.
fn member<'a, T: Deserialize<'a>>(
    field: &'static str,
    raw: Option<&'a RawValue>,
) -> std::result::Result<T, KeysFileError> {
    let raw = required(field, raw)?;
    serde_json::from_str(raw.get()).map_err(|e| invalid(field, &e))
}

/// serde_json's message without its position, which would be relative to
/// the member rather than the file.
fn invalid(field: &'static str, e: &serde_json::Error) -> KeysFileError {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let detail = text.strip_suffix(&position).unwrap_or(&text).to_owned();
    KeysFileError::Invalid { field, detail }
}

/// The text of a core error without its "malformed payload: " label: the
/// keys file is not a push.
fn inner_text(e: &Error) -> String {
    match e {
        Error::MalformedPayload(m) | Error::BadPrivateKey(m) => m.clone(),
        other => other.to_string(),
    }
}

fn private_key_source(raw: &RawValue) -> std::result::Result<PrivateKeySource, KeysFileError> {
    let field = "private_key";
    let parsed: RawPrivateKey<'_> =
        serde_json::from_str(raw.get()).map_err(|e| invalid(field, &e))?;
    if let Some(jwk) = parsed.jwk.filter(|r| r.get() != "null") {
        let key = UserPrivateKey::from_jwk(jwk.get()).map_err(|e| KeysFileError::Invalid {
            field: "private_key.jwk",
            detail: inner_text(&e),
        })?;
        return Ok(PrivateKeySource::Jwk(Box::new(key)));
    }
    if let Some(fetched) = parsed.fetch_my_keys {
        let stored =
            fetched
                .private_key
                .filter(|s| !s.is_empty())
                .ok_or(KeysFileError::Invalid {
                    field: "private_key.fetch_my_keys",
                    detail: "no \"private_key\" in it: the user has no E2E keys on the server"
                        .into(),
                })?;
        return Ok(PrivateKeySource::Stored {
            stored: into_secret(stored),
            password: parsed.password.map(into_secret),
        });
    }
    Err(KeysFileError::Invalid {
        field,
        detail: "needs \"jwk\" or \"fetch_my_keys\"".into(),
    })
}

/// Moves the string into a [`SecretString`] without copying it.
fn into_secret(mut s: Zeroizing<String>) -> SecretString {
    SecretString::new(std::mem::take(&mut *s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> std::result::Result<KeysFile, KeysFileError> {
        KeysFile::read(text.as_bytes())
    }

    const STORED: &str = r#"{"fetch_my_keys": {"private_key": "{\"$binary\":\"c2VjcmV0LWJsb2I=\"}"}, "password": "hunter2-pw"}"#;

    #[test]
    fn every_section_is_required_and_named() {
        let full = format!(
            r#"{{"server": "https://a.example", "user_id": "u", "private_key": {STORED}, "subscriptions": []}}"#
        );
        assert!(read(&full).is_ok());
        for field in ["server", "user_id", "private_key", "subscriptions"] {
            let mut v: Value = serde_json::from_str(&full).unwrap();
            v.as_object_mut().unwrap().remove(field);
            let err = read(&v.to_string()).unwrap_err();
            assert_eq!(err, KeysFileError::Missing(field));
            assert_eq!(err.to_string(), format!("missing field \"{field}\""));
            v[field] = Value::Null;
            assert_eq!(
                read(&v.to_string()).unwrap_err(),
                KeysFileError::Missing(field)
            );
        }
    }

    #[test]
    fn wrong_shapes_name_the_member_without_positions() {
        let err = read(r#"{"server": 5, "user_id": "u", "private_key": {}, "subscriptions": []}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field \"server\": invalid type: integer `5`, expected a string"
        );
        let err =
            read(r#"{"server": "s", "user_id": "u", "private_key": {}, "subscriptions": []}"#)
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field \"private_key\": needs \"jwk\" or \"fetch_my_keys\""
        );
        let err = read(
            r#"{"server": "s", "user_id": "u", "private_key": {"jwk": {"kty": "RSA"}}, "subscriptions": []}"#,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("field \"private_key.jwk\": "),
            "{err}"
        );
        let err = read(&format!(
            r#"{{"server": "s", "user_id": "u", "private_key": {STORED}, "subscriptions": 7}}"#
        ))
        .unwrap_err();
        assert!(
            err.to_string().starts_with("field \"subscriptions\": "),
            "{err}"
        );
        assert!(matches!(read("[1]"), Err(KeysFileError::NotJson(_))));
        assert!(matches!(read("not json"), Err(KeysFileError::NotJson(_))));
    }

    #[test]
    fn the_old_error_projection_stays() {
        assert_eq!(
            KeysFile::parse(b"{}").unwrap_err(),
            Error::MalformedPayload("keys file: missing field \"server\"".into())
        );
    }

    #[test]
    fn debug_shows_no_secret_and_no_blob() {
        let file = read(&format!(
            r#"{{"server": "s", "user_id": "u", "private_key": {STORED}, "subscriptions": []}}"#
        ))
        .unwrap();
        let source = file.private_key.as_ref().unwrap();
        assert!(source.has_password() && !source.needs_password());
        let shown = format!("{file:?}");
        assert!(!shown.contains("hunter2-pw"), "{shown}");
        assert!(!shown.contains("c2VjcmV0LWJsb2I"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
