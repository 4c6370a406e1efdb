//! Room keys fetched for one push, laid over the store's, for when the
//! store may not keep them (the extension opens it read-only).

use crate::error::Result;
use crate::rocketchat::keyring::merge_room_keys;
use crate::rocketchat::{KeyLookup, RoomKeyEntry};

pub(crate) struct Overlay<'a> {
    store: &'a dyn KeyLookup,
    server: &'a str,
    rid: String,
    keys: Vec<RoomKeyEntry>,
}

impl<'a> Overlay<'a> {
    /// Lays `keys`, unwrapped for one push, over room `rid`'s stored keys.
    pub fn new(
        store: &'a dyn KeyLookup,
        server: &'a str,
        rid: &str,
        keys: Vec<RoomKeyEntry>,
    ) -> Self {
        Self {
            store,
            server,
            rid: rid.to_owned(),
            keys,
        }
    }
}

impl KeyLookup for Overlay<'_> {
    fn room_keys(&self, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
        if server != self.server || rid != self.rid {
            return self.store.room_keys(server, rid);
        }
        let mut keys = self.store.room_keys(server, rid).unwrap_or_default();
        merge_room_keys(&mut keys, self.keys.clone());
        Ok(keys)
    }
}
