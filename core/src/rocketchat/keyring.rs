//! An in-memory set of accounts and their keys, for the CLI and for hosts
//! that keep keys themselves. The encrypted store is the persistent sibling.

use std::collections::BTreeMap;

use super::keys::{KeyLookup, RoomKeyEntry};
use super::private_key::UserPrivateKey;
use super::subscription::Subscription;
use crate::error::{Error, Result};
use crate::limits::MAX_KEYS_PER_ROOM;
use crate::server::normalize_server;

/// What an import did; skipped keys say why, without secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rooms: usize,
    pub keys: usize,
    pub skipped: Vec<SkippedKey>,
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
    }
}

/// Unwraps a subscription's current and old keys with the user's key.
/// Keys that fail are reported, not fatal: one bad old key must not hide
/// the others.
pub fn unwrap_subscription(
    private_key: &UserPrivateKey,
    sub: &Subscription,
) -> (Vec<RoomKeyEntry>, Vec<SkippedKey>) {
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    let current = sub.e2e_key.as_deref().map(|k| (None, k, true));
    let old = sub
        .old_room_keys
        .iter()
        .map(|o| (Some(o.key_id.as_str()), o.e2e_key.as_str(), false));
    for (listed_id, e2e_key, is_current) in current.into_iter().chain(old) {
        match private_key.unwrap_room_key(e2e_key) {
            Ok((prefix, key)) => {
                let kid = listed_id
                    .filter(|id| !id.is_empty())
                    .unwrap_or(&prefix)
                    .to_owned();
                keys.push(RoomKeyEntry {
                    kid,
                    key,
                    current: is_current,
                });
            }
            Err(e) => skipped.push(SkippedKey {
                rid: sub.rid.clone(),
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
    (keys, skipped)
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
        let room = account.rooms.entry(sub.rid.clone()).or_default();
        let added = merge_room_keys(room, keys);
        ImportReport {
            rooms: 1,
            keys: added,
            skipped,
        }
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
