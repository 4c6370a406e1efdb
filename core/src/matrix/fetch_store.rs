//! Fetch on receipt from the encrypted store: the account, its access
//! token and its backup key come from the store, the network from the
//! caller's [`Http`]. What the CLI and the FFI call for a Matrix push.

use super::backup::BackupKey;
use super::fetch_flow::Backup;
use super::fetch_net::fetch_and_decrypt;
use super::tables::{account_for, decrypt_with_store};
use crate::net::{Deadline, Http};
use crate::outcome::FetchOutcome;
use crate::store::{OpenMode, Store};

/// Decrypts a Matrix push with the store's sessions, fetching the event
/// and a missing session (from the key backup) when the push alone is not
/// enough, all within `deadline`. Without a stored access token it stays
/// offline. A session fetched from the backup is kept when the store is
/// read-write (replacing a stored one only by the lower-first-index rule);
/// a read-only store (the extension) uses it for this push only.
pub fn fetch_with_store(
    bytes: &[u8],
    store: &Store,
    http: &Http,
    deadline: Deadline,
) -> FetchOutcome {
    // Gives the same typed failure as the extension's offline path.
    let offline = || FetchOutcome::offline(decrypt_with_store(bytes, store));
    let Ok(push) = super::parse_push(bytes) else {
        return offline();
    };
    let account = match account_for(&push, store) {
        Ok(account) => account,
        Err(outcome) => return FetchOutcome::offline(*outcome),
    };
    let mut sessions = match store.matrix_sessions(&account.server) {
        Ok(sessions) => sessions,
        Err(_) => return offline(),
    };
    let Ok(Some((_, token))) = store.auth(&account.server) else {
        // No login: offline, with the push and account already in hand.
        return FetchOutcome::offline(super::decrypt_parsed(&push, &mut sessions));
    };
    let backup = store
        .matrix_backup(&account.server)
        .ok()
        .flatten()
        .map(|(key, version)| Backup {
            key: BackupKey::new(key),
            version,
        });
    let fetched = fetch_and_decrypt(
        http,
        &account.server,
        token,
        bytes,
        &mut sessions,
        backup,
        deadline,
    );
    drop(sessions);
    if let (Some(session), OpenMode::ReadWrite) = (fetched.session, store.mode()) {
        // Best effort: the push is shown either way, and the next push
        // asks the backup again.
        let _ = store.import_matrix_sessions(&account.server, vec![session]);
    }
    FetchOutcome {
        outcome: fetched.outcome,
        fetched: fetched.fetched,
        room_key_fetched: fetched.room_key_fetched,
    }
}
