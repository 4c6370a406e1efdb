//! An in-memory set of accounts and their keys, for the CLI and for hosts
//! that keep keys themselves. The encrypted store is the persistent sibling.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::keys::{KeyLookup, RoomKeyEntry};
use super::private_key::UserPrivateKey;
use super::subscription::Subscription;
use crate::error::{Error, Result};
use crate::limits::MAX_KEYS_PER_ROOM;
use crate::secret::SecretString;
use crate::server::normalize_server;

/// What an import did; skipped keys say why, without secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rooms: usize,
    pub keys: usize,
    pub skipped: Vec<SkippedKey>,
    /// Wrapped keys left for later because the deadline came first.
    pub pending: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    pub rid: String,
    pub key_id: String,
    pub reason: String,
}

impl ImportReport {
    pub(crate) fn merge(&mut self, other: ImportReport) {
        self.rooms += other.rooms;
        self.keys += other.keys;
        self.skipped.extend(other.skipped);
        self.pending += other.pending;
    }
}

/// RSA unwraps this process has done: the costly step, counted so a
/// benchmark or test can see how many a push needs.
static RSA_UNWRAPS: AtomicU64 = AtomicU64::new(0);

/// The number of RSA room-key unwraps this process has done so far.
pub fn rsa_unwraps() -> u64 {
    RSA_UNWRAPS.load(Ordering::Relaxed)
}

thread_local! {
    /// When the unwraps on this thread must stop; see [`unwraps_until`].
    static STOP_AT: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Runs `f` with every RSA unwrap on this thread cut off at `at`: an
/// import checks [`out_of_time`] before each unwrap, keeps what it
/// finished and reports the rest as pending. One unwrap can still run
/// past `at`, never a second.
#[cfg_attr(not(feature = "fetch"), allow(dead_code))]
pub(crate) fn unwraps_until<R>(at: Instant, f: impl FnOnce() -> R) -> R {
    let before = STOP_AT.with(|s| s.replace(Some(at)));
    let out = f();
    STOP_AT.with(|s| s.set(before));
    out
}

/// True once the deadline set by [`unwraps_until`] has passed.
pub(crate) fn out_of_time() -> bool {
    STOP_AT.with(|s| s.get().is_some_and(|at| Instant::now() >= at))
}

/// Unwraps a subscription's current and old keys with the user's key.
/// Keys that fail are reported, not fatal: one bad old key must not hide
/// the others. Stops early past a deadline set by [`unwraps_until`].
pub fn unwrap_subscription(
    private_key: &UserPrivateKey,
    sub: &Subscription,
) -> (Vec<RoomKeyEntry>, Vec<SkippedKey>) {
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    for wrapped in wrapped_keys(sub) {
        if out_of_time() {
            break;
        }
        match unwrap_wrapped(private_key, &sub.rid, &wrapped) {
            Ok(entry) => keys.push(entry),
            Err(skip) => skipped.push(skip),
        }
    }
    (keys, skipped)
}

/// One wrapped key of a subscription, before RSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrappedEntry<'s> {
    /// The id `oldRoomKeys` lists, when it lists one.
    pub listed_kid: Option<&'s str>,
    pub e2e_key: &'s str,
    pub current: bool,
}

/// The subscription's current key first, then its old keys, in order, at
/// most [`MAX_KEYS_PER_ROOM`] of those: the cap applies before any RSA, so
/// a huge `oldRoomKeys` list costs no more than a full room.
pub(crate) fn wrapped_keys(sub: &Subscription) -> impl Iterator<Item = WrappedEntry<'_>> {
    let current = sub.e2e_key.as_deref().map(|k| WrappedEntry {
        listed_kid: None,
        e2e_key: k,
        current: true,
    });
    let old = sub
        .old_room_keys
        .iter()
        .take(MAX_KEYS_PER_ROOM)
        .map(|o| WrappedEntry {
            listed_kid: Some(o.key_id.as_str()),
            e2e_key: o.e2e_key.as_str(),
            current: false,
        });
    current.into_iter().chain(old)
}

/// Unwraps one key with RSA; a failure becomes a secret-free report.
pub(crate) fn unwrap_wrapped(
    private_key: &UserPrivateKey,
    rid: &str,
    wrapped: &WrappedEntry<'_>,
) -> std::result::Result<RoomKeyEntry, SkippedKey> {
    let listed_id = wrapped.listed_kid;
    let e2e_key = wrapped.e2e_key;
    RSA_UNWRAPS.fetch_add(1, Ordering::Relaxed);
    match private_key.unwrap_room_key(e2e_key) {
        Ok((prefix, key)) => {
            let kid = listed_id
                .filter(|id| !id.is_empty())
                .unwrap_or(&prefix)
                .to_owned();
            Ok(RoomKeyEntry {
                kid,
                key,
                current: wrapped.current,
            })
        }
        Err(e) => Err(SkippedKey {
            rid: rid.to_owned(),
            key_id: listed_id.map(str::to_owned).unwrap_or_else(|| {
                e2e_key
                    .get(..e2e_key.len().saturating_sub(344))
                    .unwrap_or("")
                    .to_owned()
            }),
            reason: e.to_string(),
        }),
    }
}

/// Adds keys to a room's list: a new current key demotes the old one, and
/// a key already present is not added twice.
pub(crate) fn merge_room_keys(existing: &mut Vec<RoomKeyEntry>, new: Vec<RoomKeyEntry>) -> usize {
    let mut added = 0;
    for entry in new {
        if entry.current {
            existing.iter_mut().for_each(|k| k.current = false);
        }
        if let Some(same) = existing
            .iter_mut()
            .find(|k| k.kid == entry.kid && k.key == entry.key)
        {
            same.current |= entry.current;
            continue;
        }
        if existing.len() < MAX_KEYS_PER_ROOM {
            existing.push(entry);
            added += 1;
        }
    }
    added
}

#[derive(Debug)]
struct Account {
    user_id: String,
    private_key: Option<UserPrivateKey>,
    rooms: BTreeMap<String, Vec<RoomKeyEntry>>,
    /// Rooms seen while no private key was available.
    locked: BTreeMap<String, Subscription>,
    /// REST auth token (`X-Auth-Token`), for fetching on receipt.
    auth_token: Option<SecretString>,
}

/// Accounts (server + user) with their private keys and room keys.
#[derive(Debug, Default)]
pub struct Keyring {
    accounts: BTreeMap<String, Account>,
}

impl Keyring {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an account, or replaces its user and private key.
    pub fn add_account(
        &mut self,
        server: &str,
        user_id: &str,
        private_key: Option<UserPrivateKey>,
    ) -> Result<()> {
        let server = normalize_server(server)?;
        let account = self.accounts.entry(server).or_insert_with(|| Account {
            user_id: user_id.to_owned(),
            private_key: None,
            rooms: BTreeMap::new(),
            locked: BTreeMap::new(),
            auth_token: None,
        });
        account.user_id = user_id.to_owned();
        if private_key.is_some() {
            account.private_key = private_key;
            let pending = std::mem::take(&mut account.locked);
            for sub in pending.values() {
                Self::import_into(account, sub);
            }
        }
        Ok(())
    }

    /// Imports subscriptions into an existing account.
    pub fn import_subscriptions(
        &mut self,
        server: &str,
        subs: &[Subscription],
    ) -> Result<ImportReport> {
        let server = normalize_server(server)?;
        let account = self
            .accounts
            .get_mut(&server)
            .ok_or(Error::UnknownServer(server))?;
        let mut report = ImportReport::default();
        for sub in subs {
            report.merge(Self::import_into(account, sub));
        }
        Ok(report)
    }

    fn import_into(account: &mut Account, sub: &Subscription) -> ImportReport {
        let Some(private_key) = &account.private_key else {
            account.locked.insert(sub.rid.clone(), sub.clone());
            return ImportReport::default();
        };
        let (keys, skipped) = unwrap_subscription(private_key, sub);
        let pending = wrapped_keys(sub).count() - keys.len() - skipped.len();
        let room = account.rooms.entry(sub.rid.clone()).or_default();
        let added = merge_room_keys(room, keys);
        ImportReport {
            rooms: 1,
            keys: added,
            skipped,
            pending,
        }
    }

    /// Sets the private key of an existing account and imports the rooms
    /// that were waiting for it.
    pub fn set_private_key(&mut self, server: &str, key: UserPrivateKey) -> Result<ImportReport> {
        let account = self.account_mut(server)?;
        account.private_key = Some(key);
        let mut report = ImportReport::default();
        for sub in std::mem::take(&mut account.locked).values() {
            report.merge(Self::import_into(account, sub));
        }
        Ok(report)
    }

    /// Stores the REST auth token of an existing account.
    pub fn set_auth_token(&mut self, server: &str, token: SecretString) -> Result<()> {
        self.account_mut(server)?.auth_token = Some(token);
        Ok(())
    }

    /// The account's REST auth token, if one was stored.
    pub fn auth_token(&self, server: &str) -> Option<&SecretString> {
        let server = normalize_server(server).ok()?;
        self.accounts.get(&server)?.auth_token.as_ref()
    }

    fn account_mut(&mut self, server: &str) -> Result<&mut Account> {
        let server = normalize_server(server)?;
        self.accounts
            .get_mut(&server)
            .ok_or(Error::UnknownServer(server))
    }

    /// The account's user id, if the server is known.
    pub fn user_id(&self, server: &str) -> Option<&str> {
        let server = normalize_server(server).ok()?;
        self.accounts.get(&server).map(|a| a.user_id.as_str())
    }
}

impl KeyLookup for Keyring {
    fn room_keys(&self, server: &str, rid: &str) -> Result<Vec<RoomKeyEntry>> {
        let account = self
            .accounts
            .get(server)
            .ok_or_else(|| Error::UnknownServer(server.to_owned()))?;
        if let Some(keys) = account.rooms.get(rid) {
            return Ok(keys.clone());
        }
        if account.private_key.is_none() {
            return Err(Error::NoPrivateKey);
        }
        Ok(Vec::new())
    }
}
