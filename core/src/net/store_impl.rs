//! [`AccountStore`] for the encrypted [`Store`], through its public API.

use super::account::{AccountStore, Credentials};
use crate::error::Result;
use crate::rocketchat::{ImportReport, Subscription, UserPrivateKey};
use crate::server::normalize_server;
use crate::store::Store;

impl AccountStore for Store {
    fn credentials(&self, server: &str) -> Result<Option<Credentials>> {
        Ok(self
            .auth(server)?
            .map(|(user_id, token)| Credentials::new(user_id, token)))
    }

    fn import_subscriptions(&self, server: &str, subs: &[Subscription]) -> Result<ImportReport> {
        Ok(Store::import_subscriptions(self, server, subs)?)
    }

    fn set_private_key(&self, server: &str, key: &UserPrivateKey) -> Result<()> {
        Store::set_private_key(self, server, key)?;
        Ok(())
    }

    fn user_id(&self, server: &str) -> Result<Option<String>> {
        // Only unlocking needs this (the v1 salt), never the extension's hot path.
        let server = normalize_server(server)?;
        Ok(self
            .info()?
            .into_iter()
            .find(|a| a.server == server)
            .map(|a| a.user_id))
    }

    fn private_key(&self, server: &str) -> Result<Option<UserPrivateKey>> {
        Ok(Store::private_key(self, server)?)
    }
}
