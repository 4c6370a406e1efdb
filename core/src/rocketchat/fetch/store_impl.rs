//! [`AccountStore`] for the encrypted [`Store`], through its public API.

use super::account::{AccountStore, Credentials};
use crate::error::Result;
use crate::rocketchat::{ImportReport, Subscription, UserPrivateKey};
use crate::store::{OpenMode, Store};

impl AccountStore for Store {
    fn credentials(&self, server: &str) -> Result<Option<Credentials>> {
        Ok(self
            .auth(server)?
            .map(|(user_id, token)| Credentials::new(user_id, token)))
    }

    fn writable(&self) -> bool {
        self.mode() == OpenMode::ReadWrite
    }

    fn import_subscriptions(&self, server: &str, subs: &[Subscription]) -> Result<ImportReport> {
        Ok(Store::import_subscriptions(self, server, subs)?)
    }

    fn set_private_key(&self, server: &str, key: &UserPrivateKey) -> Result<ImportReport> {
        Ok(Store::set_private_key(self, server, key)?)
    }

    fn user_id(&self, server: &str) -> Result<Option<String>> {
        Ok(Store::user_id(self, server)?)
    }

    fn private_key(&self, server: &str) -> Result<Option<UserPrivateKey>> {
        Ok(Store::private_key(self, server)?)
    }
}
