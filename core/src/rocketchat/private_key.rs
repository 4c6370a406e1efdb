//! The user's RSA private key: unlocking it from the server's stored form
//! with the E2E password (spec §4), importing it as a JWK, and unwrapping
//! room keys with it.

use std::fmt;

use pbkdf2::pbkdf2_hmac;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BoxedUint, PrivateKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::aes;
use super::base64;
use super::room_key::{RoomKey, WrappedRoomKey};
use crate::error::{Error, Result};
use crate::limits::{MAX_PBKDF2_ITERATIONS, MAX_PRIVATE_KEY_CHARS};
use crate::secret::{Password, SecretString};

const V1_ITERATIONS: u32 = 1000;

/// The user's RSA-OAEP (SHA-256) private key. It cannot be printed, and
/// `rsa` wipes its private parts on drop.
#[derive(Clone)]
pub struct UserPrivateKey {
    key: PrivateKey,
}

impl fmt::Debug for UserPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserPrivateKey(<redacted>)")
    }
}

#[derive(Deserialize, Serialize)]
struct PrivateJwk {
    n: String,
    e: String,
    d: Zeroizing<String>,
    p: Zeroizing<String>,
    q: Zeroizing<String>,
}

impl UserPrivateKey {
    /// Imports an already-decrypted private JWK. Accepts the JWK object
    /// itself or a JSON string that contains it, as the Android app does.
    pub fn from_jwk(json: &str) -> Result<Self> {
        if json.len() > MAX_PRIVATE_KEY_CHARS {
            return Err(Error::TooLarge {
                what: "private JWK",
                limit: MAX_PRIVATE_KEY_CHARS,
            });
        }
        if json.trim_start().starts_with('"') {
            let inner: Zeroizing<String> = serde_json::from_str(json)
                .map_err(|e| Error::BadPrivateKey(format!("not a JSON string: {e}")))?;
            return Self::from_jwk(&inner);
        }
        let jwk: PrivateJwk = serde_json::from_str(json)
            .map_err(|e| Error::BadPrivateKey(format!("not an RSA private JWK: {e}")))?;
        Self::from_parts(&jwk)
    }

    /// Imports a private JWK given as a parsed JSON value.
    pub fn from_jwk_object(value: &Value) -> Result<Self> {
        let jwk = PrivateJwk::deserialize(value)
            .map_err(|e| Error::BadPrivateKey(format!("not an RSA private JWK: {e}")))?;
        Self::from_parts(&jwk)
    }

    fn from_parts(jwk: &PrivateJwk) -> Result<Self> {
        let bytes = |what: &str, s: &str| -> Result<Zeroizing<Vec<u8>>> {
            Ok(Zeroizing::new(base64::decode_url(what, s).map_err(
                |_| Error::BadPrivateKey(format!("{what} is not base64url")),
            )?))
        };
        // n and e are public, so their width may follow their length; the
        // secret parts take the modulus's width, so their length shows nothing.
        let n = BoxedUint::from_be_slice_vartime(&bytes("n", &jwk.n)?);
        let e = BoxedUint::from_be_slice_vartime(&bytes("e", &jwk.e)?);
        let width = n.bit_width_vartime();
        let secret = |what: &str, s: &str| -> Result<BoxedUint> {
            BoxedUint::from_be_slice(&bytes(what, s)?, width)
                .map_err(|_| Error::BadPrivateKey(format!("{what} is longer than n")))
        };
        let (d, p, q) = (
            secret("d", &jwk.d)?,
            secret("p", &jwk.p)?,
            secret("q", &jwk.q)?,
        );
        // Validates the key and precomputes the CRT values.
        let key = PrivateKey::from_components(n, e, d, vec![p, q])
            .map_err(|e| Error::BadPrivateKey(format!("invalid RSA key: {e}")))?;
        Ok(Self { key })
    }

    /// Decrypts the server's stored private key (`e2e.fetchMyKeys`
    /// `private_key`) with the E2E password. Both the v1 `{"$binary"}` and
    /// the v2 `{iv,ciphertext,salt,iterations}` forms are read, and the
    /// password is tried as UTF-8 (mobile apps) and Latin-1 (web client).
    pub fn unlock(stored: &str, user_id: &str, password: &Password) -> Result<Self> {
        if stored.len() > MAX_PRIVATE_KEY_CHARS {
            return Err(Error::TooLarge {
                what: "stored private key",
                limit: MAX_PRIVATE_KEY_CHARS,
            });
        }
        let parsed = StoredKey::parse(stored, user_id)?;
        for encoding in [TextEncoding::Utf8, TextEncoding::Latin1] {
            let (Some(pw), Some(salt)) = (
                encoding.encode(password.expose()),
                encoding.encode(&parsed.salt),
            ) else {
                continue;
            };
            if encoding == TextEncoding::Latin1
                && password.expose().is_ascii()
                && parsed.salt.is_ascii()
            {
                continue; // same bytes as UTF-8, already tried
            }
            let mut master = Zeroizing::new([0u8; 32]);
            pbkdf2_hmac::<Sha256>(&pw, &salt, parsed.iterations, master.as_mut());
            let plain = match parsed.cipher {
                StoredCipher::Cbc => {
                    aes::cbc_decrypt(master.as_ref(), &parsed.iv, &parsed.ciphertext)
                }
                StoredCipher::Gcm => {
                    aes::gcm_decrypt(master.as_ref(), &parsed.iv, &parsed.ciphertext)
                }
            };
            let Ok(plain) = plain else { continue };
            // Without GCM's tag a wrong password can pass the padding check
            // (v1), so only a JWK that parses counts as success.
            if let Ok(text) = std::str::from_utf8(plain.expose()) {
                if let Ok(key) = Self::from_jwk(text) {
                    return Ok(key);
                }
            }
        }
        Err(Error::WrongPassword)
    }

    /// Unwraps an `E2EKey` (RSA-OAEP-SHA256) into the room key and its id.
    ///
    /// Constant-time, and blinded with the OS random source; see
    /// SECURITY.md for RUSTSEC-2023-0071.
    pub fn unwrap_room_key(&self, e2e_key: &str) -> Result<(String, RoomKey)> {
        let wrapped = WrappedRoomKey::parse(e2e_key)?;
        let jwk = Zeroizing::new(
            self.key
                .oaep_decrypt::<rsa::sha2::Sha256>(&wrapped.wrapped)
                .map_err(|_| {
                    Error::BadRoomKey(
                        "RSA unwrap failed: key is for another user or damaged".into(),
                    )
                })?,
        );
        Ok((wrapped.key_id, RoomKey::from_jwk(&jwk)?))
    }

    /// The private JWK as a JSON string, for the encrypted key store.
    pub fn to_jwk(&self) -> SecretString {
        // A JWK integer has no leading zeros, so trimming them is part of
        // the format; the big-endian bytes of d, p and q are wiped once encoded.
        let secret = |n: &BoxedUint| {
            let full = Zeroizing::new(n.to_be_bytes());
            let start = full
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(full.len().saturating_sub(1));
            Zeroizing::new(base64::encode_url(&full[start..]))
        };
        let primes = self.key.primes();
        let jwk = PrivateJwk {
            n: base64::encode_url(&self.key.n_bytes()),
            e: base64::encode_url(&self.key.e_bytes()),
            d: secret(self.key.d()),
            p: secret(&primes[0]),
            q: secret(&primes[1]),
        };
        // Sized up front: a buffer that grows while serialising would free
        // unwiped copies of d, p and q at each reallocation.
        let size = jwk.n.len() + jwk.e.len() + jwk.d.len() + jwk.p.len() + jwk.q.len() + 64;
        let mut out = Zeroizing::new(Vec::with_capacity(size));
        if serde_json::to_writer(&mut *out, &jwk).is_err() {
            return SecretString::default();
        }
        // Moves the buffer, no copy; serde_json writes UTF-8 only.
        SecretString::new(String::from_utf8(std::mem::take(&mut *out)).unwrap_or_default())
    }

    /// The public modulus in base64url, to match the key with the server's
    /// `public_key` without exposing anything secret.
    pub fn public_modulus(&self) -> String {
        base64::encode_url(&self.key.n_bytes())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Latin1,
}

impl TextEncoding {
    /// Bytes of `s`; `None` when Latin-1 cannot represent it.
    fn encode(self, s: &str) -> Option<Zeroizing<Vec<u8>>> {
        match self {
            Self::Utf8 => Some(Zeroizing::new(s.as_bytes().to_vec())),
            Self::Latin1 => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Option<Vec<u8>>>()
                .map(Zeroizing::new),
        }
    }
}

enum StoredCipher {
    Cbc,
    Gcm,
}

struct StoredKey {
    cipher: StoredCipher,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    salt: String,
    iterations: u32,
}

impl StoredKey {
    fn parse(stored: &str, user_id: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(stored)
            .map_err(|e| Error::BadPrivateKey(format!("stored private key is not JSON: {e}")))?;
        let bad = |m: &str| Error::BadPrivateKey(m.to_owned());
        if let Some(binary) = value.get("$binary") {
            let data = base64::decode(
                "$binary",
                binary
                    .as_str()
                    .ok_or_else(|| bad("$binary is not a string"))?,
            )
            .map_err(|_| bad("$binary is not base64"))?;
            if data.len() < 32 {
                return Err(bad("$binary is too short"));
            }
            return Ok(Self {
                cipher: StoredCipher::Cbc,
                iv: data[..16].to_vec(),
                ciphertext: data[16..].to_vec(),
                salt: user_id.to_owned(),
                iterations: V1_ITERATIONS,
            });
        }
        let text = |k: &str| value.get(k).and_then(Value::as_str);
        let (Some(iv), Some(ct), Some(iterations)) = (
            text("iv"),
            text("ciphertext"),
            value.get("iterations").and_then(Value::as_u64),
        ) else {
            return Err(bad("unknown private key format"));
        };
        let iterations = u32::try_from(iterations)
            .ok()
            .filter(|n| (1..=MAX_PBKDF2_ITERATIONS).contains(n))
            .ok_or_else(|| bad("iterations out of range"))?;
        let iv = base64::decode("iv", iv).map_err(|_| bad("iv is not base64"))?;
        let cipher = match iv.len() {
            16 => StoredCipher::Cbc,
            12 => StoredCipher::Gcm,
            n => return Err(bad(&format!("unsupported IV length {n}"))),
        };
        Ok(Self {
            cipher,
            iv,
            ciphertext: base64::decode("ciphertext", ct)
                .map_err(|_| bad("ciphertext is not base64"))?,
            // Mobile clients fall back to the user id when no salt is stored.
            salt: text("salt").unwrap_or(user_id).to_owned(),
            iterations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_encoding() {
        assert_eq!(
            TextEncoding::Latin1.encode("Pä").unwrap().as_slice(),
            &[b'P', 0xe4]
        );
        assert!(TextEncoding::Latin1.encode("€").is_none());
        assert_eq!(
            TextEncoding::Utf8.encode("ä").unwrap().as_slice(),
            &[0xc3, 0xa4]
        );
    }

    #[test]
    fn stored_key_formats() {
        assert!(matches!(
            StoredKey::parse("{}", "u"),
            Err(Error::BadPrivateKey(_))
        ));
        assert!(matches!(
            StoredKey::parse("nope", "u"),
            Err(Error::BadPrivateKey(_))
        ));
        let v2 = r#"{"iv":"AAAAAAAAAAAAAAAA","ciphertext":"AAAA","salt":"s","iterations":0}"#;
        assert!(StoredKey::parse(v2, "u").is_err(), "zero iterations");
        let v2 = r#"{"iv":"AAAAAAAAAAAAAAAA","ciphertext":"AAAA","iterations":5}"#;
        let k = StoredKey::parse(v2, "uid").unwrap();
        assert_eq!(k.salt, "uid");
        assert!(matches!(k.cipher, StoredCipher::Gcm));
    }

    #[test]
    fn odd_sizes_are_typed_errors() {
        let key = <PrivateKey as rsa::Generate>::generate();
        let good: Value = serde_json::from_str(UserPrivateKey { key }.to_jwk().expose()).unwrap();
        let long = base64::encode_url(&[0xff; 300]);
        for (member, value) in [
            ("n", ""),
            ("e", ""),
            ("d", ""),
            ("p", ""),
            ("d", &*long),
            ("q", &*long),
        ] {
            let mut jwk = good.clone();
            jwk[member] = Value::from(value);
            assert!(
                matches!(
                    UserPrivateKey::from_jwk_object(&jwk),
                    Err(Error::BadPrivateKey(_))
                ),
                "{member} = {value:?}"
            );
        }
        assert!(UserPrivateKey::from_jwk_object(&good).is_ok());
    }

    #[test]
    fn debug_is_redacted() {
        let key = <PrivateKey as rsa::Generate>::generate();
        let k = UserPrivateKey { key };
        assert_eq!(format!("{k:?}"), "UserPrivateKey(<redacted>)");
        let back = UserPrivateKey::from_jwk(k.to_jwk().expose()).unwrap();
        assert_eq!(back.public_modulus(), k.public_modulus());
    }
}
