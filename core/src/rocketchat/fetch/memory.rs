//! [`AccountStore`] for an in-memory [`Keyring`] behind a mutex, for the CLI
//! and for hosts that keep keys themselves.

use std::sync::{Mutex, MutexGuard};

use super::account::{AccountStore, Credentials};
use crate::error::{Error, Result};
use crate::rocketchat::{
    ImportReport, KeyLookup, Keyring, RoomKeyEntry, Subscription, UserPrivateKey,
};

fn lock(keyring: &Mutex<Keyring>) -> Result<MutexGuard<'_, Keyring>> {
    // A poisoned lock means a panic mid-update; refuse rather than guess.
    keyring
        .lock()
        .map_err(|_| Error::Internal("keyring lock poisoned".into()))
}

impl KeyLookup for Mutex<Keyring> {
    fn room_keys(&self, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
        lock(self)?.room_keys(server, rid)
    }
}

impl AccountStore for Mutex<Keyring> {
    fn credentials(&self, server: &str) -> Result<Option<Credentials>> {
        let keyring = lock(self)?;
        Ok(keyring
            .user_id(server)
            .zip(keyring.auth_token(server))
            .map(|(user, token)| Credentials::new(user, token.clone())))
    }

    fn import_subscriptions(&self, server: &str, subs: &[Subscription]) -> Result<ImportReport> {
        lock(self)?.import_subscriptions(server, subs)
    }

    fn set_private_key(&self, server: &str, key: &UserPrivateKey) -> Result<ImportReport> {
        lock(self)?.set_private_key(server, key.clone())
    }

    fn user_id(&self, server: &str) -> Result<Option<String>> {
        Ok(lock(self)?.user_id(server).map(str::to_owned))
    }
}
