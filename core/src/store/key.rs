//! The store key: 32 random bytes the host keeps in the iOS Keychain or the
//! Android Keystore, and the SQLCipher key string made from it.

use std::fmt;

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::StoreError;
use crate::secret::SecretString;

/// Length of a store key in bytes (AES-256).
pub const STORE_KEY_BYTES: usize = 32;

/// Label for the salt derivation, so this hash of the key is never equal to
/// any other hash of it pushseal might compute.
const SALT_LABEL: &[u8] = b"pushseal/store/sqlcipher-salt/v1\0";
const SALT_BYTES: usize = 16;

/// A raw 256-bit SQLCipher key. It is wiped on drop, `Debug` never
/// shows it, and `==` is constant-time.
///
/// ```
/// use pushseal::store::StoreKey;
/// let key = StoreKey::generate();
/// let again = StoreKey::from_hex(key.to_hex().expose()).unwrap();
/// assert_eq!(key, again);
/// assert_eq!(format!("{key:?}"), "StoreKey(<redacted>)");
/// ```
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; STORE_KEY_BYTES]>);

impl PartialEq for StoreKey {
    fn eq(&self, other: &Self) -> bool {
        crate::secret::ct_eq(self.0.as_ref(), other.0.as_ref())
    }
}

impl Eq for StoreKey {}

impl StoreKey {
    pub fn from_bytes(bytes: [u8; STORE_KEY_BYTES]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies a key from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, StoreError> {
        let mut key = Zeroizing::new([0u8; STORE_KEY_BYTES]);
        if bytes.len() != STORE_KEY_BYTES {
            return Err(StoreError::InvalidKey("a store key is 32 bytes"));
        }
        key.copy_from_slice(bytes);
        Ok(Self(key))
    }

    /// Reads 64 hex digits (either case; surrounding whitespace is ignored,
    /// so a key file may end with a newline).
    pub fn from_hex(hex: &str) -> Result<Self, StoreError> {
        let hex = hex.trim().as_bytes();
        if hex.len() != STORE_KEY_BYTES * 2 {
            return Err(StoreError::InvalidKey("a store key is 64 hex digits"));
        }
        let mut key = Zeroizing::new([0u8; STORE_KEY_BYTES]);
        for (byte, pair) in key.iter_mut().zip(hex.chunks_exact(2)) {
            let (Some(hi), Some(lo)) = (nibble(pair[0]), nibble(pair[1])) else {
                return Err(StoreError::InvalidKey("a store key is 64 hex digits"));
            };
            *byte = hi << 4 | lo;
        }
        Ok(Self(key))
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; STORE_KEY_BYTES]);
        OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// The key as 64 lower-case hex digits, for the host's key storage.
    pub fn to_hex(&self) -> SecretString {
        let mut out = Zeroizing::new(String::with_capacity(STORE_KEY_BYTES * 2));
        push_hex(&mut out, self.0.as_ref());
        SecretString::new(out.to_string())
    }

    pub fn expose(&self) -> &[u8; STORE_KEY_BYTES] {
        &self.0
    }

    /// SQLCipher's raw key-and-salt form, `x'<64 hex key><32 hex salt>'`:
    /// no passphrase KDF runs, and the salt, which a plaintext header leaves
    /// no room for in the file, comes from the key itself (docs/store.md).
    pub(crate) fn sqlcipher_keyspec(&self) -> Zeroizing<String> {
        let salt = Sha256::new()
            .chain_update(SALT_LABEL)
            .chain_update(self.0.as_ref())
            .finalize();
        let mut spec = Zeroizing::new(String::with_capacity(
            3 + 2 * (STORE_KEY_BYTES + SALT_BYTES),
        ));
        spec.push_str("x'");
        push_hex(&mut spec, self.0.as_ref());
        push_hex(&mut spec, &salt[..SALT_BYTES]);
        spec.push('\'');
        spec
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        let key = StoreKey::from_bytes([0xab; 32]);
        assert_eq!(key.to_hex().expose(), "ab".repeat(32));
        assert_eq!(
            StoreKey::from_hex(&format!("{}\n", "AB".repeat(32))).unwrap(),
            key
        );
        assert!(StoreKey::from_hex(&"ab".repeat(31)).is_err());
        assert!(StoreKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(StoreKey::from_slice(&[0; 31]).is_err());
        assert_ne!(StoreKey::generate(), StoreKey::generate());
    }

    #[test]
    fn keyspec_is_key_then_derived_salt() {
        let key = StoreKey::from_bytes([1; 32]);
        let spec = key.sqlcipher_keyspec();
        assert_eq!(spec.len(), 3 + 96);
        assert!(spec.starts_with(&format!("x'{}", "01".repeat(32))));
        let other = StoreKey::from_bytes([2; 32]).sqlcipher_keyspec();
        assert_ne!(spec[66..98], other[66..98], "the salt follows the key");
    }

    #[test]
    fn debug_is_redacted() {
        let key = StoreKey::from_bytes([0x5a; 32]);
        assert!(!format!("{key:?}").contains("5a"));
    }
}
