//! The entry points: fetch-and-decrypt for a push, and the key operations
//! (unlock, sync, one room key), each async and blocking.

use std::sync::Arc;

use super::account::AccountStore;
use super::api::Api;
use super::flow::{self, Offline};
use super::rsa::{self, off_poll};
use crate::error::{Error, Result};
use crate::net::{self as runtime, within, ClientConfig, Deadline, Http};
use crate::outcome::{FetchOutcome, Outcome};
use crate::rocketchat::{ImportReport, UserPrivateKey};
use crate::secret::Password;
use crate::server::normalize_server;
use crate::store::StoreError;

/// What [`Client::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Subscriptions the server listed.
    pub subscriptions: usize,
    /// Of those, rooms with an encrypted key for this user.
    pub encrypted_rooms: usize,
    /// Entries that were not subscription objects.
    pub unreadable: usize,
    /// Subscriptions the server reported removed (only with `updatedSince`,
    /// which a full sync does not send; kept for completeness).
    pub removed: usize,
    pub import: ImportReport,
}

/// A Rocket.Chat client bound to a key store. Cheap to clone; safe to use
/// from several threads at once.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    store: Arc<dyn AccountStore>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", self.inner.http.config())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Checks the configuration (CA PEM, pins); touches no network.
    pub fn new(config: ClientConfig, store: Arc<dyn AccountStore>) -> Result<Self> {
        Ok(Self {
            inner: Arc::new(Inner {
                http: Http::new(config)?,
                store,
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        self.inner.http.config()
    }

    pub(crate) fn store(&self) -> &dyn AccountStore {
        &*self.inner.store
    }

    /// The store, to hand to RSA work on a blocking thread.
    pub(crate) fn shared_store(&self) -> Arc<dyn AccountStore> {
        self.inner.store.clone()
    }

    /// Refuses work that would end in a write to a read-only store, before
    /// any request or RSA.
    fn writable(&self) -> Result<()> {
        if self.store().writable() {
            Ok(())
        } else {
            Err(Error::Store(StoreError::ReadOnly))
        }
    }

    /// The endpoints of `server` (normalised), with its stored login.
    pub(crate) fn api(&self, server: &str) -> Result<Api> {
        let credentials = self
            .store()
            .credentials(server)?
            .ok_or_else(|| Error::NotLoggedIn(server.to_owned()))?;
        Api::new(&self.inner.http, server, credentials)
    }

    /// Decrypts a push, fetching the message or room key only when the push
    /// alone is not enough. Always returns by `deadline` (plus scheduling
    /// slack), with a notification or a typed failure and fallback text.
    pub async fn fetch_and_decrypt(&self, push: &[u8], deadline: Deadline) -> FetchOutcome {
        let (parsed, first) = match flow::offline(push, self.store()) {
            Offline::Done(outcome) => return outcome,
            Offline::Online(parsed, first) => (parsed, first),
        };
        let client = self.clone();
        let fallback = first.clone();
        let work = async move { flow::online(&client, &parsed, first, deadline).await };
        runtime::run(work)
            .await
            .unwrap_or_else(|e| runtime_failure(&fallback, push, &e))
    }

    /// [`Self::fetch_and_decrypt`] for callers without an async runtime.
    pub fn fetch_and_decrypt_blocking(&self, push: &[u8], deadline: Deadline) -> FetchOutcome {
        let (parsed, first) = match flow::offline(push, self.store()) {
            Offline::Done(outcome) => return outcome,
            Offline::Online(parsed, first) => (parsed, first),
        };
        let fallback = first.clone();
        runtime::block_on(flow::online(self, &parsed, first, deadline))
            .unwrap_or_else(|e| runtime_failure(&fallback, push, &e))
    }

    /// Unlocks the account's private key with the E2E password
    /// (`e2e.fetchMyKeys`) and stores it.
    pub async fn unlock(
        &self,
        server: &str,
        password: &Password,
        deadline: Deadline,
    ) -> Result<()> {
        let (client, server, password) =
            (self.clone(), normalize_server(server)?, password.clone());
        runtime::run(async move { client.unlock_inner(&server, &password, deadline).await }).await?
    }

    pub fn unlock_blocking(
        &self,
        server: &str,
        password: &Password,
        deadline: Deadline,
    ) -> Result<()> {
        let server = normalize_server(server)?;
        runtime::block_on(self.unlock_inner(&server, password, deadline))?
    }

    /// Imports every room key of the account (`subscriptions.get`), old
    /// keys included. Meant for the app or the CLI, not the extension: the
    /// list can be large.
    pub async fn sync(&self, server: &str, deadline: Deadline) -> Result<SyncReport> {
        let (client, server) = (self.clone(), normalize_server(server)?);
        runtime::run(async move { client.sync_inner(&server, deadline).await }).await?
    }

    pub fn sync_blocking(&self, server: &str, deadline: Deadline) -> Result<SyncReport> {
        let server = normalize_server(server)?;
        runtime::block_on(self.sync_inner(&server, deadline))?
    }

    /// Checks the stored login once (`me`) and returns the user id the
    /// server knows it by; a wrong token is [`Error::Unauthorized`].
    pub fn check_login_blocking(&self, server: &str, deadline: Deadline) -> Result<String> {
        let server = normalize_server(server)?;
        runtime::block_on(async {
            let api = self.api(&server)?;
            within(deadline, api.me(deadline)).await
        })?
    }

    /// Imports one room's keys (`subscriptions.getOne`).
    pub async fn fetch_room_key(
        &self,
        server: &str,
        rid: &str,
        deadline: Deadline,
    ) -> Result<ImportReport> {
        let (client, server, rid) = (self.clone(), normalize_server(server)?, rid.to_owned());
        runtime::run(async move { client.room_key_inner(&server, &rid, deadline).await }).await?
    }

    pub fn fetch_room_key_blocking(
        &self,
        server: &str,
        rid: &str,
        deadline: Deadline,
    ) -> Result<ImportReport> {
        let server = normalize_server(server)?;
        runtime::block_on(self.room_key_inner(&server, rid, deadline))?
    }

    async fn unlock_inner(
        &self,
        server: &str,
        password: &Password,
        deadline: Deadline,
    ) -> Result<()> {
        self.writable()?;
        let api = self.api(server)?;
        let keys = within(deadline, api.my_keys(deadline)).await?;
        let stored = keys
            .private_key
            .ok_or_else(|| Error::NotFound("the account has no E2E keys on the server".into()))?;
        let user_id = match self.store().user_id(server)? {
            Some(id) => id,
            None => return Err(Error::UnknownServer(server.to_owned())),
        };
        // PBKDF2 is CPU work too: off the poll, and given up at the deadline.
        let password = password.clone();
        let unlock = off_poll(deadline, move || {
            UserPrivateKey::unlock(&stored, &user_id, &password)
        });
        let key = within(deadline, async { unlock.await? }).await?;
        let (store, server) = (self.shared_store(), server.to_owned());
        let report = off_poll(deadline, move || store.set_private_key(&server, &key)).await??;
        rsa::finished(report, "after storing the private key").map(drop)
    }

    async fn sync_inner(&self, server: &str, deadline: Deadline) -> Result<SyncReport> {
        self.writable()?;
        let api = self.api(server)?;
        let list = within(deadline, api.subscriptions(deadline)).await?;
        let subscriptions = list.update.len();
        let encrypted: Vec<_> = list
            .update
            .into_iter()
            .filter(|s| s.e2e_key.is_some() || !s.old_room_keys.is_empty())
            .collect();
        let encrypted_rooms = encrypted.len();
        let (store, owned) = (self.shared_store(), server.to_owned());
        let import = off_poll(deadline, move || {
            store.import_subscriptions(&owned, &encrypted)
        })
        .await??;
        let import = rsa::finished(import, "during the key sync")?;
        Ok(SyncReport {
            subscriptions,
            encrypted_rooms,
            unreadable: list.unreadable,
            removed: list.removed,
            import,
        })
    }

    async fn room_key_inner(
        &self,
        server: &str,
        rid: &str,
        deadline: Deadline,
    ) -> Result<ImportReport> {
        self.writable()?;
        let api = self.api(server)?;
        let subscription = within(deadline, api.subscription(rid, deadline))
            .await?
            .ok_or_else(|| Error::NotFound(format!("not subscribed to room {rid}")))?;
        let (store, server) = (self.shared_store(), server.to_owned());
        let report = off_poll(deadline, move || {
            store.import_subscriptions(&server, &[subscription])
        })
        .await??;
        rsa::finished(report, "while importing the room key")
    }
}

fn runtime_failure(first: &Outcome, push: &[u8], e: &Error) -> FetchOutcome {
    let parsed = crate::rocketchat::Push::parse(push);
    let outcome = match &parsed {
        Ok(p) => flow::failure(first, p, e),
        Err(_) => first.clone(),
    };
    FetchOutcome::offline(outcome)
}
