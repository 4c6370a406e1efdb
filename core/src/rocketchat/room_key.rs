//! Room (session) keys: the AES key of a room, and the `E2EKey` string that
//! carries it wrapped for one member (spec §5).

use serde::Deserialize;
use zeroize::Zeroizing;

use super::aes;
use super::base64;
use crate::error::{Error, Result};
use crate::limits::MAX_E2E_KEY_CHARS;
use crate::secret::SecretBytes;

/// Length of the base64 RSA-2048 ciphertext at the end of an `E2EKey`.
pub(crate) const WRAPPED_B64_CHARS: usize = 344;
const WRAPPED_BYTES: usize = 256;

/// The cipher of a room key, named by its JWK `alg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoomKeyAlgorithm {
    /// Legacy rooms (servers before 7.13): AES-128-CBC.
    A128Cbc,
    /// Current rooms: AES-256-GCM.
    A256Gcm,
}

impl RoomKeyAlgorithm {
    pub fn jwk_alg(self) -> &'static str {
        match self {
            Self::A128Cbc => "A128CBC",
            Self::A256Gcm => "A256GCM",
        }
    }

    pub fn from_jwk_alg(alg: &str) -> Result<Self> {
        match alg {
            "A128CBC" => Ok(Self::A128Cbc),
            "A256GCM" => Ok(Self::A256Gcm),
            other => Err(Error::UnsupportedAlgorithm(format!("room key alg {other}"))),
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::A128Cbc => 16,
            Self::A256Gcm => 32,
        }
    }
}

/// A room's AES key. Its length always matches its algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomKey {
    algorithm: RoomKeyAlgorithm,
    key: SecretBytes,
}

impl RoomKey {
    /// Builds a key from raw bytes, checking the length.
    pub fn from_raw(algorithm: RoomKeyAlgorithm, key: &[u8]) -> Result<Self> {
        if key.len() != algorithm.key_len() {
            return Err(Error::BadRoomKey(format!(
                "{} key must be {} bytes, got {}",
                algorithm.jwk_alg(),
                algorithm.key_len(),
                key.len()
            )));
        }
        Ok(Self {
            algorithm,
            key: SecretBytes::new(key.to_vec()),
        })
    }

    /// Reads the session-key JWK, `{"alg":"A256GCM","k":"…","kty":"oct",…}`.
    pub fn from_jwk(json: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Jwk {
            alg: Option<String>,
            k: Zeroizing<String>,
        }
        let jwk: Jwk = serde_json::from_slice(json)
            .map_err(|e| Error::BadRoomKey(format!("session key is not a JWK: {e}")))?;
        let raw = Zeroizing::new(base64::decode_url("k", &jwk.k)?);
        let algorithm = match jwk.alg.as_deref() {
            Some(alg) => RoomKeyAlgorithm::from_jwk_alg(alg)?,
            // Some mobile versions omit `alg`; the length tells the cipher.
            None if raw.len() == 16 => RoomKeyAlgorithm::A128Cbc,
            None if raw.len() == 32 => RoomKeyAlgorithm::A256Gcm,
            None => return Err(Error::BadRoomKey("session key has no alg".into())),
        };
        Self::from_raw(algorithm, &raw)
    }

    pub fn algorithm(&self) -> RoomKeyAlgorithm {
        self.algorithm
    }

    /// The raw key bytes, for the encrypted key store.
    pub fn expose_raw(&self) -> &[u8] {
        self.key.expose()
    }

    /// Decrypts with this key's cipher: the key, not the message label,
    /// decides, as Rocket.Chat's web client does (spec §5.1).
    pub(crate) fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Result<SecretBytes> {
        match self.algorithm {
            RoomKeyAlgorithm::A128Cbc => aes::cbc_decrypt(self.key.expose(), iv, ciphertext),
            RoomKeyAlgorithm::A256Gcm => aes::gcm_decrypt(self.key.expose(), iv, ciphertext),
        }
    }
}

/// An `E2EKey` string split into its key id and the RSA ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedRoomKey {
    pub key_id: String,
    pub(crate) wrapped: Vec<u8>,
}

impl WrappedRoomKey {
    /// Splits `keyID ‖ base64(256 bytes)`: the prefix is everything but the
    /// last 344 characters, so 12-character and UUID key ids both work.
    pub fn parse(e2e_key: &str) -> Result<Self> {
        if e2e_key.len() > MAX_E2E_KEY_CHARS {
            return Err(Error::TooLarge {
                what: "E2EKey",
                limit: MAX_E2E_KEY_CHARS,
            });
        }
        if !e2e_key.is_ascii() || e2e_key.len() < WRAPPED_B64_CHARS {
            return Err(Error::BadRoomKey(format!(
                "E2EKey must be ASCII and at least {WRAPPED_B64_CHARS} characters"
            )));
        }
        let (key_id, suffix) = e2e_key.split_at(e2e_key.len() - WRAPPED_B64_CHARS);
        let wrapped = base64::decode("E2EKey", suffix)
            .map_err(|_| Error::BadRoomKey("E2EKey suffix is not base64".into()))?;
        if wrapped.len() != WRAPPED_BYTES {
            return Err(Error::BadRoomKey(format!(
                "E2EKey suffix decodes to {} bytes, not {WRAPPED_BYTES}",
                wrapped.len()
            )));
        }
        Ok(Self {
            key_id: key_id.to_owned(),
            wrapped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_any_prefix_length() {
        let body = "A".repeat(342) + "==";
        for prefix in ["", "eyJhbGciOiJB", "bdb1431c-c727-4d71-b3a8-67a733fed700"] {
            let w = WrappedRoomKey::parse(&format!("{prefix}{body}")).unwrap();
            assert_eq!(w.key_id, prefix);
            assert_eq!(w.wrapped.len(), 256);
        }
    }

    #[test]
    fn parse_rejects_short_and_bad() {
        assert!(WrappedRoomKey::parse("short").is_err());
        assert!(WrappedRoomKey::parse(&("!".repeat(344))).is_err());
        assert!(WrappedRoomKey::parse(&("A".repeat(340) + "====")).is_err());
    }

    #[test]
    fn jwk_checks_length_and_alg() {
        let k16 = base64::encode_url(&[1u8; 16]);
        let ok = format!(r#"{{"alg":"A128CBC","k":"{k16}","kty":"oct"}}"#);
        assert_eq!(
            RoomKey::from_jwk(ok.as_bytes()).unwrap().algorithm(),
            RoomKeyAlgorithm::A128Cbc
        );
        let wrong = format!(r#"{{"alg":"A256GCM","k":"{k16}"}}"#);
        assert!(RoomKey::from_jwk(wrong.as_bytes()).is_err());
        let odd = format!(r#"{{"alg":"A256CTR","k":"{k16}"}}"#);
        assert!(matches!(
            RoomKey::from_jwk(odd.as_bytes()),
            Err(Error::UnsupportedAlgorithm(_))
        ));
        let no_alg = format!(r#"{{"k":"{}"}}"#, base64::encode_url(&[2u8; 32]));
        assert_eq!(
            RoomKey::from_jwk(no_alg.as_bytes()).unwrap().algorithm(),
            RoomKeyAlgorithm::A256Gcm
        );
    }
}
