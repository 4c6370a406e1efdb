//! The seam to the caller's storage: sessions by (room id, session id) and
//! the record of seen message indices. Like matrix-sdk-crypto's CryptoStore,
//! the protocol logic asks; the caller does the I/O.

use std::collections::HashMap;

use vodozemac::megolm::InboundGroupSession;

use crate::matrix::{replace_decision, Replace, RoomSession};

/// A storage failure, described without secrets by the implementation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// What decryption needs from storage.
pub trait SessionStore {
    /// The session for (room id, session id), unpickled and ready. The
    /// sender key is deliberately not part of the lookup (deprecated).
    fn session(
        &mut self,
        room_id: &str,
        session_id: &str,
    ) -> Result<Option<&mut InboundGroupSession>, StoreError>;

    /// The event id a (session, message index) was first seen with.
    fn seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<String>, StoreError>;

    /// Records that (session, index) decrypted `event_id`. A read-only store
    /// (the extension) may fail here; the push is still shown.
    fn record_seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
        event_id: &str,
    ) -> Result<(), StoreError>;

    /// A room name the store knows, for the title.
    fn room_name(&mut self, _room_id: &str) -> Option<String> {
        None
    }
}

type BySession<T> = HashMap<String, HashMap<String, T>>;

/// Sessions and seen indices in memory: for tests, benches, and a session
/// fetched from the backup that a read-only store cannot keep.
#[derive(Default)]
pub struct MemoryStore {
    sessions: BySession<InboundGroupSession>,
    seen: BySession<HashMap<u32, String>>,
    room_names: HashMap<String, String>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a session, keeping the stored one unless the new one is
    /// connected and known from a lower index.
    pub fn add(&mut self, session: RoomSession) -> bool {
        let room = self.sessions.entry(session.room_id).or_default();
        let mut new = session.session;
        if let Some(old) = room.get_mut(&session.session_id) {
            if replace_decision(old, &mut new) != Replace::Replace {
                return false;
            }
        }
        room.insert(session.session_id, new);
        true
    }

    pub fn set_room_name(&mut self, room_id: &str, name: &str) {
        self.room_names.insert(room_id.to_owned(), name.to_owned());
    }

    pub fn contains(&self, room_id: &str, session_id: &str) -> bool {
        self.sessions
            .get(room_id)
            .is_some_and(|r| r.contains_key(session_id))
    }

    pub fn session_count(&self) -> usize {
        self.sessions.values().map(HashMap::len).sum()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("sessions", &self.session_count())
            .finish_non_exhaustive()
    }
}

impl SessionStore for MemoryStore {
    fn session(
        &mut self,
        room_id: &str,
        session_id: &str,
    ) -> Result<Option<&mut InboundGroupSession>, StoreError> {
        Ok(self
            .sessions
            .get_mut(room_id)
            .and_then(|r| r.get_mut(session_id)))
    }

    fn seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .seen
            .get(room_id)
            .and_then(|r| r.get(session_id))
            .and_then(|s| s.get(&index))
            .cloned())
    }

    fn record_seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
        event_id: &str,
    ) -> Result<(), StoreError> {
        self.seen
            .entry(room_id.to_owned())
            .or_default()
            .entry(session_id.to_owned())
            .or_default()
            .entry(index)
            .or_insert_with(|| event_id.to_owned());
        Ok(())
    }

    fn room_name(&mut self, room_id: &str) -> Option<String> {
        self.room_names.get(room_id).cloned()
    }
}

/// The caller's store with extra sessions in front: a session fetched from
/// the backup for this push only, when the store is read-only (the iOS
/// extension). Seen indices go to the base store, else to the extra one.
pub struct Layered<'a, S: SessionStore> {
    pub extra: &'a mut MemoryStore,
    pub base: &'a mut S,
}

impl<S: SessionStore> SessionStore for Layered<'_, S> {
    fn session(
        &mut self,
        room_id: &str,
        session_id: &str,
    ) -> Result<Option<&mut InboundGroupSession>, StoreError> {
        if self.extra.contains(room_id, session_id) {
            return self.extra.session(room_id, session_id);
        }
        self.base.session(room_id, session_id)
    }

    fn seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
    ) -> Result<Option<String>, StoreError> {
        match self.base.seen(room_id, session_id, index)? {
            Some(event) => Ok(Some(event)),
            None => self.extra.seen(room_id, session_id, index),
        }
    }

    fn record_seen(
        &mut self,
        room_id: &str,
        session_id: &str,
        index: u32,
        event_id: &str,
    ) -> Result<(), StoreError> {
        self.base
            .record_seen(room_id, session_id, index, event_id)
            .or_else(|_| self.extra.record_seen(room_id, session_id, index, event_id))
    }

    fn room_name(&mut self, room_id: &str) -> Option<String> {
        self.base.room_name(room_id)
    }
}
