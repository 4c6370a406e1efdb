//! Where decryption gets room keys from, and how it picks one for a message.

use crate::error::{Error, Result};

use super::room_key::RoomKey;

/// A room key with its id, ready to decrypt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomKeyEntry {
    pub kid: String,
    pub key: RoomKey,
    /// The room's current key (as opposed to one from `oldRoomKeys`).
    pub current: bool,
}

/// A source of room keys: the in-memory [`super::Keyring`] or the encrypted
/// key store. Implementations return already-unwrapped keys, so the hot path
/// never runs RSA.
pub trait KeyLookup {
    /// All keys of room `rid` on `server` (a normalised URL), current and old.
    ///
    /// Errors: [`Error::UnknownServer`] when there is no such account,
    /// [`Error::NoPrivateKey`] when the room's keys exist but cannot be
    /// unwrapped yet, [`Error::Store`] when the backing store fails. A room
    /// with no keys at all is `Ok(vec![])`.
    fn room_keys(&self, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>>;
}

impl<T: KeyLookup + ?Sized> KeyLookup for &T {
    fn room_keys(&self, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
        (**self).room_keys(server, rid)
    }
}

/// Orders the keys to try for a message: those whose id matches `kid`
/// (current first; 6.x rooms reuse one id for every key), then the current
/// key, as upstream falls back to it for unknown ids.
pub(crate) fn candidates<'k>(keys: &'k [RoomKeyEntry], kid: Option<&str>) -> Vec<&'k RoomKeyEntry> {
    let mut out: Vec<&RoomKeyEntry> = keys
        .iter()
        .filter(|k| kid.is_some_and(|kid| k.kid == kid))
        .collect();
    out.sort_by_key(|k| !k.current);
    if let Some(current) = keys.iter().find(|k| k.current) {
        if !out.iter().any(|k| std::ptr::eq(*k, current)) {
            out.push(current);
        }
    }
    out
}

/// True when `kid` names one of the keys.
pub(crate) fn knows(keys: &[RoomKeyEntry], kid: Option<&str>) -> bool {
    kid.is_some_and(|kid| keys.iter().any(|k| k.kid == kid))
}

pub(crate) fn no_room_key(rid: &str, kid: Option<&str>) -> Error {
    Error::NoRoomKey {
        rid: rid.to_owned(),
        kid: kid.unwrap_or("(none)").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rocketchat::room_key::RoomKeyAlgorithm;

    fn entry(kid: &str, byte: u8, current: bool) -> RoomKeyEntry {
        RoomKeyEntry {
            kid: kid.into(),
            key: RoomKey::from_raw(RoomKeyAlgorithm::A128Cbc, &[byte; 16]).unwrap(),
            current,
        }
    }

    #[test]
    fn order() {
        let keys = vec![
            entry("old", 1, false),
            entry("same", 2, false),
            entry("same", 3, true),
        ];
        let ids = |kid| {
            candidates(&keys, kid)
                .iter()
                .map(|k| k.key.expose_raw()[0])
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(Some("same")), vec![3, 2]);
        assert_eq!(ids(Some("old")), vec![1, 3]);
        assert_eq!(ids(Some("unknown")), vec![3]);
        assert_eq!(ids(None), vec![3]);
        assert!(candidates(&keys[..1], Some("x")).is_empty());
    }
}
