//! Importing wrapped room keys: RSA runs once per `E2EKey` string, outside
//! any transaction, and the results land in one short write transaction.

use std::collections::BTreeSet;

use rusqlite::{params, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::accounts::load_private_key;
use crate::limits::MAX_KEYS_PER_ROOM;
use crate::rocketchat::keyring::{out_of_time, unwrap_wrapped, wrapped_keys, WrappedEntry};
use crate::rocketchat::{ImportReport, KeysFile, RoomKeyEntry, SkippedKey, Subscription};
use crate::secret::Password;
use crate::server::normalize_server;
use crate::store::{Store, StoreError};

/// Bytes of SHA-256 kept as a room key's fingerprint: enough to tell a
/// room's few keys apart, and it names the key without being the key.
const FINGERPRINT_BYTES: usize = 16;

/// Pending keys unwrapped per write: small enough that a deadline loses
/// little pre-work, large enough that transactions stay few.
const PENDING_BATCH: i64 = 64;

/// One wrapped key to import, from a subscription or the pending table.
struct Wrapped {
    rid: String,
    listed_kid: Option<String>,
    e2e_key: String,
    current: bool,
    /// SHA-256 of `e2e_key`: the memo's key for "already unwrapped".
    hash: [u8; 32],
    pending_id: Option<i64>,
}

impl Wrapped {
    fn new(rid: &str, w: WrappedEntry<'_>, pending_id: Option<i64>) -> Self {
        Self {
            rid: rid.to_owned(),
            listed_kid: w.listed_kid.map(str::to_owned),
            e2e_key: w.e2e_key.to_owned(),
            current: w.current,
            hash: Sha256::digest(w.e2e_key.as_bytes()).into(),
            pending_id,
        }
    }

    fn entry(&self) -> WrappedEntry<'_> {
        WrappedEntry {
            listed_kid: self.listed_kid.as_deref(),
            e2e_key: &self.e2e_key,
            current: self.current,
        }
    }
}

/// What the write transaction does with one wrapped key.
enum Step {
    /// Unwrapped before: only the current flag may change.
    Known(i64),
    New(RoomKeyEntry),
    /// RSA failed; reported, and kept if it was pending.
    Failed(SkippedKey),
    /// No private key yet.
    Pending,
    /// The deadline came first: not unwrapped; a pending key stays pending.
    Later,
}

impl Store {
    /// Imports subscriptions (from `subscriptions.get`) into an existing
    /// account. Without a private key the wrapped keys wait, and are
    /// unwrapped by [`Store::set_private_key`].
    pub fn import_subscriptions(
        &self,
        server: &str,
        subs: &[Subscription],
    ) -> Result<ImportReport, StoreError> {
        let server = normalize_server(server)?;
        let items = subs
            .iter()
            .flat_map(|s| wrapped_keys(s).map(|w| Wrapped::new(&s.rid, w, None)))
            .collect();
        let rooms = subs
            .iter()
            .map(|s| s.rid.as_str())
            .collect::<BTreeSet<_>>()
            .len();
        self.import_wrapped(&server, items, rooms)
    }

    /// Imports a KEYS.json: adds the account, unlocks and stores the
    /// private key (`password` overrides the file's), then imports the
    /// subscriptions. Unlocking runs before anything is written.
    pub fn import_keys_file(
        &self,
        file: KeysFile,
        password: Option<Password>,
    ) -> Result<ImportReport, StoreError> {
        let private_key = file
            .private_key
            .map(|source| source.unlock(&file.user_id, password))
            .transpose()?;
        self.set_account(&file.server, &file.user_id)?;
        let mut report = ImportReport::default();
        if let Some(key) = private_key {
            report.merge(self.set_private_key(&file.server, &key)?);
        }
        report.merge(self.import_subscriptions(&file.server, &file.subscriptions)?);
        Ok(report)
    }

    /// Unwraps the keys that waited for the private key, a batch at a
    /// time: each batch is written before the next is read, so a deadline
    /// (see `unwraps_until`) keeps what was done and leaves the rest pending.
    pub(super) fn unwrap_pending(&self, server: &str) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::default();
        let mut after = 0;
        loop {
            let items = self.pending_batch(server, after)?;
            let Some(last) = items.last().and_then(|i| i.pending_id) else {
                return Ok(report);
            };
            after = last;
            let rooms = items
                .iter()
                .map(|i| i.rid.as_str())
                .collect::<BTreeSet<_>>()
                .len();
            let done = self.import_wrapped(server, items, rooms)?;
            let stopped = done.pending > 0;
            report.merge(done);
            if stopped {
                report.pending += self.pending_count(server, after)?;
                return Ok(report);
            }
        }
    }

    fn pending_batch(&self, server: &str, after: i64) -> Result<Vec<Wrapped>, StoreError> {
        self.read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT p.id, p.rid, p.listed_kid, p.e2e_key, p.current
                 FROM pending_keys p JOIN accounts a ON a.id = p.account_id
                 WHERE a.server = ?1 AND p.id > ?2 ORDER BY p.id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![server, after, PENDING_BATCH], |r| {
                let (rid, listed, key): (String, Option<String>, String) =
                    (r.get(1)?, r.get(2)?, r.get(3)?);
                let entry = WrappedEntry {
                    listed_kid: listed.as_deref(),
                    e2e_key: &key,
                    current: r.get(4)?,
                };
                Ok(Wrapped::new(&rid, entry, Some(r.get(0)?)))
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Pending keys after `after`, which a stopped unwrap did not reach.
    fn pending_count(&self, server: &str, after: i64) -> Result<usize, StoreError> {
        self.read(|tx| {
            let n: i64 = tx.query_row(
                "SELECT count(*) FROM pending_keys p JOIN accounts a ON a.id = p.account_id
                 WHERE a.server = ?1 AND p.id > ?2",
                params![server, after],
                |r| r.get(0),
            )?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    fn import_wrapped(
        &self,
        server: &str,
        items: Vec<Wrapped>,
        rooms: usize,
    ) -> Result<ImportReport, StoreError> {
        let (account_id, private_key, known) = self.read(|tx| {
            let (account_id, private_key) = load_private_key(tx, server)?
                .ok_or_else(|| StoreError::UnknownAccount(server.to_owned()))?;
            let known = items
                .iter()
                .map(|item| known_key(tx, account_id, item))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((account_id, private_key, known))
        })?;
        // RSA, with no lock held: other processes keep reading and writing.
        // Past a deadline (see `unwraps_until`) the rest waits, and what
        // was unwrapped is still written.
        let steps: Vec<Step> = items
            .iter()
            .zip(known)
            .map(|(item, known)| match (known, &private_key) {
                (Some(id), _) => Step::Known(id),
                (None, Some(_)) if out_of_time() => Step::Later,
                (None, Some(key)) => match unwrap_wrapped(key, &item.rid, &item.entry()) {
                    Ok(entry) => Step::New(entry),
                    Err(skipped) => Step::Failed(skipped),
                },
                (None, None) => Step::Pending,
            })
            .collect();
        self.write(|tx| {
            let now: Option<i64> = tx
                .query_row("SELECT id FROM accounts WHERE server = ?1", [server], |r| {
                    r.get(0)
                })
                .optional()?;
            if now != Some(account_id) {
                return Err(StoreError::Conflict(
                    "the account was replaced during the import",
                ));
            }
            let mut report = ImportReport {
                rooms: if private_key.is_some() { rooms } else { 0 },
                ..ImportReport::default()
            };
            for (item, step) in items.iter().zip(steps) {
                apply(tx, account_id, item, step, &mut report)?;
            }
            Ok(report)
        })
    }
}

fn known_key(
    tx: &Transaction<'_>,
    account_id: i64,
    item: &Wrapped,
) -> Result<Option<i64>, StoreError> {
    Ok(tx
        .query_row(
            "SELECT room_key_id FROM unwrapped_keys WHERE account_id = ?1 AND rid = ?2 AND wrapped_hash = ?3",
            params![account_id, item.rid, item.hash],
            |r| r.get(0),
        )
        .optional()?)
}

fn apply(
    tx: &Transaction<'_>,
    account_id: i64,
    item: &Wrapped,
    step: Step,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let room_key_id = match step {
        Step::Pending => return add_pending(tx, account_id, item),
        Step::Later => {
            report.pending += 1;
            return Ok(());
        }
        Step::Failed(skipped) => {
            report.skipped.push(skipped);
            return Ok(());
        }
        Step::Known(id) => id,
        Step::New(entry) => match insert_key(tx, account_id, &item.rid, &entry, report)? {
            Some(id) => id,
            None => return done_pending(tx, item),
        },
    };
    tx.execute(
        "INSERT OR IGNORE INTO unwrapped_keys (account_id, rid, wrapped_hash, room_key_id) VALUES (?1, ?2, ?3, ?4)",
        params![account_id, item.rid, item.hash, room_key_id],
    )?;
    if item.current {
        // Demote first: the schema allows one current key per room.
        tx.execute(
            "UPDATE room_keys SET current = 0, updated_at = unixepoch()
             WHERE account_id = ?1 AND rid = ?2 AND current = 1 AND id <> ?3",
            params![account_id, item.rid, room_key_id],
        )?;
        tx.execute(
            "UPDATE room_keys SET current = 1, updated_at = unixepoch() WHERE id = ?1 AND current = 0",
            [room_key_id],
        )?;
    }
    done_pending(tx, item)
}

/// Adds a new key, or finds the same key stored before (same bytes, maybe
/// from another wrapped string). `None` when the room is full.
fn insert_key(
    tx: &Transaction<'_>,
    account_id: i64,
    rid: &str,
    entry: &RoomKeyEntry,
    report: &mut ImportReport,
) -> Result<Option<i64>, StoreError> {
    let digest = Sha256::digest(entry.key.expose_raw());
    let fingerprint = &digest[..FINGERPRINT_BYTES];
    let same: Option<i64> = tx
        .query_row(
            "SELECT id FROM room_keys WHERE account_id = ?1 AND rid = ?2 AND fingerprint = ?3",
            params![account_id, rid, fingerprint],
            |r| r.get(0),
        )
        .optional()?;
    if same.is_some() {
        return Ok(same);
    }
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM room_keys WHERE account_id = ?1 AND rid = ?2",
        params![account_id, rid],
        |r| r.get(0),
    )?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_KEYS_PER_ROOM {
        report.skipped.push(SkippedKey {
            rid: rid.to_owned(),
            key_id: entry.kid.clone(),
            reason: format!("the room already holds {MAX_KEYS_PER_ROOM} keys"),
        });
        return Ok(None);
    }
    tx.execute(
        "INSERT INTO room_keys (account_id, rid, kid, fingerprint, algorithm, raw_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![account_id, rid, entry.kid, fingerprint, entry.key.algorithm().jwk_alg(), entry.key.expose_raw()],
    )?;
    report.keys += 1;
    Ok(Some(tx.last_insert_rowid()))
}

fn add_pending(tx: &Transaction<'_>, account_id: i64, item: &Wrapped) -> Result<(), StoreError> {
    if item.current {
        tx.execute(
            "UPDATE pending_keys SET current = 0 WHERE account_id = ?1 AND rid = ?2 AND e2e_key <> ?3",
            params![account_id, item.rid, item.e2e_key],
        )?;
    }
    tx.execute(
        "INSERT INTO pending_keys (account_id, rid, listed_kid, e2e_key, current) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account_id, rid, e2e_key) DO UPDATE SET current = max(current, excluded.current)",
        params![account_id, item.rid, item.listed_kid, item.e2e_key, item.current],
    )?;
    Ok(())
}

fn done_pending(tx: &Transaction<'_>, item: &Wrapped) -> Result<(), StoreError> {
    if let Some(id) = item.pending_id {
        tx.execute("DELETE FROM pending_keys WHERE id = ?1", [id])?;
    }
    Ok(())
}
