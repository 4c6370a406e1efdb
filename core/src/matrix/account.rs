//! Which Matrix account a push is for.

use sha2::{Digest, Sha256};

use crate::matrix::Push;

/// What account choice needs to know of a stored account.
#[derive(Debug, Clone, Copy)]
pub struct AccountRef<'a> {
    pub user_id: &'a str,
    /// Element X Android's per-user `cs`, when the account has one.
    pub client_secret: Option<&'a str>,
}

/// Element X iOS's `pusher_notification_client_identifier`: the lowercase
/// hex SHA-256 of the user id.
pub fn client_identifier(user_id: &str) -> String {
    Sha256::digest(user_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The index of the account a push is for: the only account; else the one
/// whose client identifier the push names (iOS); else the one whose client
/// secret it carries (Android). `None` is `unknown_server`.
pub fn choose_account(push: &Push<'_>, accounts: &[AccountRef<'_>]) -> Option<usize> {
    if accounts.len() == 1 {
        return Some(0);
    }
    if let Some(wanted) = push.client_identifier.as_deref() {
        if let Some(i) = accounts
            .iter()
            .position(|a| client_identifier(a.user_id).eq_ignore_ascii_case(wanted.trim()))
        {
            return Some(i);
        }
    }
    let cs = push.client_secret.as_deref()?;
    accounts
        .iter()
        .position(|a| a.client_secret.is_some_and(|s| !s.is_empty() && s == cs))
}
