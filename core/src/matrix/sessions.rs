//! Megolm sessions as host apps and exports hand them over: the export's
//! `ExportedSessionData` list, session-export strings, and pickles (the
//! caller stores them; this module only converts).

use std::fmt;

use serde::Deserialize;
use vodozemac::megolm::{
    ExportedSessionKey, InboundGroupSession, InboundGroupSessionPickle, SessionConfig,
    SessionOrdering,
};
use zeroize::Zeroizing;

use crate::matrix::{Error, MEGOLM_V1};

/// One inbound Megolm session and the room it belongs to.
pub struct RoomSession {
    pub room_id: String,
    pub session_id: String,
    pub session: InboundGroupSession,
    /// The sender's Curve25519 key, as the export says (display only).
    pub sender_key: Option<String>,
    /// True when the key came by forwarding (non-empty forwarding chain).
    pub forwarded: bool,
}

impl fmt::Debug for RoomSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoomSession")
            .field("room_id", &self.room_id)
            .field("session_id", &self.session_id)
            .field("first_known_index", &self.session.first_known_index())
            .finish_non_exhaustive()
    }
}

impl RoomSession {
    /// A session from a session-export string (format 0x01, base64), filed
    /// under the session id it computes to.
    pub fn from_export_string(room_id: &str, session_key: &str) -> Result<Self, Error> {
        let key = ExportedSessionKey::from_base64(session_key.trim())
            .map_err(|_| Error::BadSessionKey("not an exported Megolm session key"))?;
        let session = InboundGroupSession::import(&key, SessionConfig::version_1());
        Ok(Self {
            room_id: room_id.to_owned(),
            session_id: session.session_id(),
            session,
            sender_key: None,
            forwarded: false,
        })
    }

    pub fn first_known_index(&self) -> u32 {
        self.session.first_known_index()
    }

    /// The session export string at its first known index.
    pub fn export_string(&self) -> Zeroizing<String> {
        Zeroizing::new(self.session.export_at_first_known_index().to_base64())
    }

    /// vodozemac's pickle, encrypted with the caller's 32-byte pickle key.
    pub fn pickle(&self, pickle_key: &[u8; 32]) -> String {
        self.session.pickle().encrypt(pickle_key)
    }

    /// Back from [`RoomSession::pickle`].
    pub fn from_pickle(room_id: &str, pickle: &str, pickle_key: &[u8; 32]) -> Result<Self, Error> {
        let p = InboundGroupSessionPickle::from_encrypted(pickle, pickle_key)
            .map_err(|_| Error::BadSessionKey("not a pickle for this key"))?;
        Ok(Self::new(room_id, InboundGroupSession::from_pickle(p)))
    }

    /// A session a libolm-based host app pickled.
    pub fn from_libolm_pickle(
        room_id: &str,
        pickle: &str,
        pickle_key: &[u8],
    ) -> Result<Self, Error> {
        let session = InboundGroupSession::from_libolm_pickle(pickle, pickle_key)
            .map_err(|_| Error::BadSessionKey("not a libolm pickle for this key"))?;
        Ok(Self::new(room_id, session))
    }

    fn new(room_id: &str, session: InboundGroupSession) -> Self {
        Self {
            room_id: room_id.to_owned(),
            session_id: session.session_id(),
            session,
            sender_key: None,
            forwarded: false,
        }
    }
}

/// One entry of the export's JSON list, as the host app or the file has it.
#[derive(Deserialize)]
pub(crate) struct ExportedSessionData {
    #[serde(default)]
    pub algorithm: String,
    #[serde(default)]
    pub room_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub sender_key: Option<String>,
    #[serde(default)]
    pub forwarding_curve25519_key_chain: Vec<String>,
    pub session_key: Zeroizing<String>,
}

/// A session that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub room_id: Option<String>,
    pub session_id: Option<String>,
    /// The error code: `unsupported_algorithm`, `bad_session_key`, `session_mismatch`.
    pub reason: &'static str,
}

/// The sessions of an export or host-app list.
#[derive(Debug, Default)]
pub struct Import {
    pub sessions: Vec<RoomSession>,
    pub skipped: Vec<Skipped>,
}

impl Import {
    /// How many distinct rooms the imported sessions cover.
    pub fn room_count(&self) -> usize {
        let mut rooms: Vec<&str> = self.sessions.iter().map(|s| s.room_id.as_str()).collect();
        rooms.sort_unstable();
        rooms.dedup();
        rooms.len()
    }
}

impl ExportedSessionData {
    /// Checks algorithm, room and that the key is the session it claims.
    pub(crate) fn into_session(self, room_id: Option<&str>) -> Result<RoomSession, Error> {
        if self.algorithm != MEGOLM_V1 {
            return Err(Error::UnsupportedAlgorithm(self.algorithm));
        }
        let room_id = room_id
            .or(self.room_id.as_deref())
            .ok_or(Error::BadPlaintext("a session without room_id"))?;
        let mut s = RoomSession::from_export_string(room_id, &self.session_key)?;
        if self
            .session_id
            .as_deref()
            .is_some_and(|id| id != s.session_id)
        {
            return Err(Error::SessionMismatch);
        }
        s.sender_key = self.sender_key;
        s.forwarded = !self.forwarding_curve25519_key_chain.is_empty();
        Ok(s)
    }
}

/// Reads a JSON list of `ExportedSessionData` (the key export's plaintext,
/// or what a host app hands over). Other algorithms and broken entries are
/// skipped and listed; a document that is not such a list is an error.
pub fn import_sessions(json: &[u8]) -> Result<Import, Error> {
    let list: Vec<ExportedSessionData> =
        serde_json::from_slice(json).map_err(|e| Error::json("session list", &e))?;
    let mut import = Import::default();
    for entry in list {
        let (room_id, session_id) = (entry.room_id.clone(), entry.session_id.clone());
        match entry.into_session(None) {
            Ok(s) => import.sessions.push(s),
            Err(e) => import.skipped.push(Skipped {
                room_id,
                session_id,
                reason: e.code(),
            }),
        }
    }
    Ok(import)
}

/// What to do when a session arrives for an id already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// The new one is connected and known from a lower index: store it.
    Replace,
    /// Same or worse: keep the stored one.
    Keep,
    /// Not the same ratchet under the same id: keep the stored one, and
    /// treat the new one as suspect.
    Unconnected,
}

/// A stored session is replaced only by a connected one with a lower first
/// known index (the spec's rule).
pub fn replace_decision(
    stored: &mut InboundGroupSession,
    candidate: &mut InboundGroupSession,
) -> Replace {
    match candidate.compare(stored) {
        SessionOrdering::Better => Replace::Replace,
        SessionOrdering::Equal | SessionOrdering::Worse => Replace::Keep,
        SessionOrdering::Unconnected => Replace::Unconnected,
    }
}
