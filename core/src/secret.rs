//! Types for secrets that must never be printed and are wiped on drop.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Decrypted message text, or any other user-visible secret string.
///
/// `Debug` prints only the length, so a stray `{:?}` in a log line cannot
/// leak a message. The buffer is zeroized when dropped. `==` takes the
/// same time wherever the contents differ (only the lengths may tell).
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// The secret text. Callers decide where it may go (the screen, never a log).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretString(<{} bytes redacted>)", self.0.len())
    }
}

/// Raw secret bytes: key material, decrypted buffers. `==` is
/// constant-time, as for [`SecretString`].
#[derive(Clone)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes redacted>)", self.0.len())
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for SecretString {}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for SecretBytes {}

/// Constant-time in the contents; slices of different lengths are unequal
/// at once (a secret's length is not hidden anyway).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The user's E2E password, as typed.
pub type Password = SecretString;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = SecretString::from("hunter2 is my password");
        let b = SecretBytes::new(b"\x01\x02key".to_vec());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{b:?}").contains("key"));
        assert_eq!(format!("{s:?}"), "SecretString(<22 bytes redacted>)");
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(SecretString::from("abc"), SecretString::from("abc"));
        assert_ne!(SecretString::from("abc"), SecretString::from("abd"));
        assert_ne!(SecretString::from("abc"), SecretString::from("abcd"));
        assert_eq!(SecretBytes::new(vec![1, 2]), SecretBytes::new(vec![1, 2]));
        assert_ne!(SecretBytes::new(vec![1, 2]), SecretBytes::new(vec![1, 3]));
    }
}
