//! Accounts: one per server, with an opaque id, the protocol, the user id
//! and the auth token. Protocols keep the rest in their own tables.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::error::StoreError;
use super::Store;
use crate::outcome::Protocol;
use crate::secret::SecretString;
use crate::server::normalize_server;

impl Store {
    /// Adds the Rocket.Chat account for `server`, or keeps it when `user_id`
    /// is the same. A different user on the same server replaces the account
    /// and drops every secret of the previous user. A server that already
    /// has an account of another protocol is refused
    /// ([`StoreError::ServerTaken`]); that account is left as it is.
    pub fn set_account(&self, server: &str, user_id: &str) -> Result<(), StoreError> {
        let server = normalize_server(server)?;
        self.write(|tx| claim_account(tx, &server, user_id, Protocol::RocketChat).map(drop))
    }

    /// Stores the REST auth token (`X-Auth-Token`) for fetch-on-receipt.
    pub fn set_auth_token(&self, server: &str, token: SecretString) -> Result<(), StoreError> {
        self.update_account(server, "auth_token", Some(token.expose()))
    }

    /// Forgets the auth token, e.g. at logout.
    pub fn clear_auth_token(&self, server: &str) -> Result<(), StoreError> {
        self.update_account(server, "auth_token", None)
    }

    /// The user id and auth token for `server`; `None` when there is no such
    /// account or no token.
    pub fn auth(&self, server: &str) -> Result<Option<(String, SecretString)>, StoreError> {
        let server = normalize_server(server)?;
        self.read(|tx| {
            let sql = "SELECT user_id, auth_token FROM accounts WHERE server = ?1 AND auth_token IS NOT NULL";
            let found = tx.query_row(sql, [&server], |r| Ok((r.get(0)?, secret_text(r, 1)?))).optional()?;
            Ok(found)
        })
    }

    /// The user id of the account for `server`, if there is one.
    pub fn user_id(&self, server: &str) -> Result<Option<String>, StoreError> {
        let server = normalize_server(server)?;
        self.read(|tx| {
            let sql = "SELECT user_id FROM accounts WHERE server = ?1";
            Ok(tx.query_row(sql, [&server], |r| r.get(0)).optional()?)
        })
    }

    /// Deletes the account and everything stored for it. False when there
    /// was no such account.
    pub fn remove_account(&self, server: &str) -> Result<bool, StoreError> {
        let server = normalize_server(server)?;
        self.write(|tx| Ok(tx.execute("DELETE FROM accounts WHERE server = ?1", [&server])? > 0))
    }

    /// Sets one column of an existing account; `column` is a constant.
    pub(crate) fn update_account(
        &self,
        server: &str,
        column: &'static str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        let server = normalize_server(server)?;
        self.write(|tx| {
            let sql = format!(
                "UPDATE accounts SET {column} = ?1, updated_at = unixepoch() WHERE server = ?2"
            );
            match tx.execute(&sql, params![value, server])? {
                0 => Err(StoreError::UnknownAccount(server.clone())),
                _ => Ok(()),
            }
        })
    }
}

/// Reads a secret column into a zeroizing string without an unwiped copy.
fn secret_text(row: &Row<'_>, idx: usize) -> rusqlite::Result<SecretString> {
    Ok(SecretString::from(row.get_ref(idx)?.as_str()?))
}

/// The id of `protocol`'s account for `server` (normalised), made when
/// there is none. A different user of the same protocol replaces the
/// account, and its secrets go with it (ON DELETE CASCADE). An account of
/// another protocol on the same server is never replaced: one server URL
/// holds one account (`accounts.server` is UNIQUE), and silently deleting
/// the other protocol's keys would lose them.
pub(crate) fn claim_account(
    tx: &Transaction<'_>,
    server: &str,
    user_id: &str,
    protocol: Protocol,
) -> Result<i64, StoreError> {
    let existing: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT id, user_id, protocol FROM accounts WHERE server = ?1",
            [server],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match existing {
        Some((_, _, other)) if other != protocol.as_str() => Err(StoreError::ServerTaken {
            server: server.to_owned(),
            protocol: other,
        }),
        Some((id, same, _)) if same == user_id => Ok(id),
        found => {
            if found.is_some() {
                tx.execute("DELETE FROM accounts WHERE server = ?1", [server])?;
            }
            tx.execute(
                "INSERT INTO accounts (server, user_id, protocol) VALUES (?1, ?2, ?3)",
                [server, user_id, protocol.as_str()],
            )?;
            Ok(tx.last_insert_rowid())
        }
    }
}
