//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): the
//! parsers of the server's answers, run as the fetch flow runs them, with
//! no network. Not a stable API.

use super::api::{parse_push_get, parse_subscription, parse_subscriptions, parse_success};
use super::fetched::push_from_fetch;
use super::flow::failure;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::rocketchat::decrypt::decrypt_parsed;
use crate::rocketchat::{KeyLookup, Push, Subscription};

/// The outcome for `push` once `body` came back from `push.get`, as the
/// fetch flow builds it (a push that needs no fetch is decrypted as is).
pub fn push_get_outcome(push: &Push, body: &[u8], keys: &dyn KeyLookup) -> Outcome {
    let first = decrypt_parsed(push, keys);
    let Outcome::NeedsFetch(request) = &first else {
        return first;
    };
    let id = request.context.message_id.clone().unwrap_or_default();
    let fetched = parse_success("push.get", body)
        .and_then(|v| parse_push_get(v, &id))
        .and_then(|f| push_from_fetch(push, f));
    match fetched {
        Ok(fetched) => match decrypt_parsed(&fetched, keys) {
            again @ Outcome::NeedsFetch(_) => failure(
                &again,
                &fetched,
                &Error::BadResponse("the fetched message has no ciphertext".into()),
            ),
            outcome => outcome,
        },
        Err(e) => failure(&first, push, &e),
    }
}

/// A `subscriptions.getOne` answer.
pub fn subscription_get_one(body: &[u8]) -> Result<Option<Subscription>> {
    parse_success("subscriptions.getOne", body).and_then(|v| parse_subscription(&v))
}

/// A `subscriptions.get` answer: the readable subscriptions.
pub fn subscriptions_get(body: &[u8]) -> Result<Vec<Subscription>> {
    parse_subscriptions(body).map(|list| list.update)
}
