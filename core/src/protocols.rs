//! The one place where the neutral modules meet the protocols
//! (`docs/architecture.md`): which protocol a push is, where it goes, and
//! the store's per-protocol tables and rekey hooks. Neutral modules (`net`,
//! `store`, `outcome`, `error`, `limits`, `secret`, `server`) name no
//! protocol module; they call this one.

use rusqlite::Transaction;

use crate::outcome::{Outcome, Protocol};
use crate::store::{Component, Store, StoreError, StoreKey};

/// The protocol a push belongs to, from its shape alone: Matrix when it
/// has an `event_id` starting `$` and a `room_id` starting `!` and no
/// `ejson` (in any of the containers `matrix::parse_push` reads), else
/// Rocket.Chat. In a build with one protocol, that one.
pub fn detect_protocol(push: &[u8]) -> Protocol {
    #[cfg(all(feature = "matrix", feature = "rocketchat"))]
    return match crate::matrix::parse_push(push) {
        Ok(_) => Protocol::Matrix,
        Err(_) => Protocol::RocketChat,
    };
    #[cfg(all(feature = "matrix", not(feature = "rocketchat")))]
    return {
        let _ = push;
        Protocol::Matrix
    };
    #[cfg(not(feature = "matrix"))]
    return {
        let _ = push;
        Protocol::RocketChat
    };
}

/// Decrypts a push offline with the keys in `store`, whichever protocol it
/// is: the extension's path. A push that needs the network says so in the
/// outcome.
pub fn decrypt_from_store(push: &[u8], store: &Store) -> Outcome {
    match detect_protocol(push) {
        #[cfg(feature = "matrix")]
        Protocol::Matrix => crate::matrix::decrypt_with_store(push, store),
        #[cfg(feature = "rocketchat")]
        _ => crate::rocketchat::decrypt_push(push, store),
        #[cfg(not(feature = "rocketchat"))]
        _ => crate::matrix::decrypt_with_store(push, store),
    }
}

/// Each compiled-in protocol's tables, migrated after the neutral schema.
pub(crate) const STORE_COMPONENTS: &[Component] = &[
    #[cfg(feature = "matrix")]
    crate::matrix::tables::STORE_COMPONENT,
];

/// Before `PRAGMA rekey`, in its own write transaction: protocols that
/// encrypt under keys derived from the store key add copies under the new
/// one.
pub(crate) fn before_rekey(
    tx: &Transaction<'_>,
    old: &StoreKey,
    new: &StoreKey,
) -> Result<(), StoreError> {
    #[cfg(feature = "matrix")]
    crate::matrix::tables::before_rekey(tx, old, new)?;
    let _ = (tx, old, new);
    Ok(())
}

/// After `PRAGMA rekey`: the copies replace the originals.
pub(crate) fn after_rekey(tx: &Transaction<'_>) -> Result<(), StoreError> {
    #[cfg(feature = "matrix")]
    crate::matrix::tables::after_rekey(tx)?;
    let _ = tx;
    Ok(())
}
