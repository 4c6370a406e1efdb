//! A 32-byte key that cannot be printed and is wiped on drop.

use std::fmt;

use zeroize::Zeroizing;

/// 32 bytes of key material: a backup decryption key or a secret-storage key.
///
/// `Debug` never shows the bytes and there is no `PartialEq`, so a key is not
/// compared in variable time by accident.
#[derive(Clone)]
pub struct SecretKey32(Zeroizing<[u8; 32]>);

impl SecretKey32 {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != 32 {
            return None;
        }
        key.copy_from_slice(bytes);
        Some(Self(key))
    }

    /// The key bytes. Callers decide where they may go (a store, never a log).
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey32(<redacted>)")
    }
}
