//! The one place where the neutral modules meet the protocols
//! (`docs/architecture.md`): the store's per-protocol tables and rekey
//! hooks. Neutral modules (`net`, `store`, `outcome`, `error`, `limits`,
//! `secret`, `server`) name no protocol module; they call this one.

use rusqlite::Transaction;

use crate::store::{Component, StoreError, StoreKey};

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
