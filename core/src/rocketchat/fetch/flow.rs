//! Fetch on receipt: decrypt offline when the push allows it, else fetch
//! the message (`push.get`) and, for an unknown room key, the room's
//! subscription (`subscriptions.getOne`) — once each, all under the
//! caller's deadline.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::outcome::*;
use crate::rocketchat::decrypt::{decrypt_parsed, title, unreadable};
use crate::rocketchat::keyring::{unwrap_wrapped, wrapped_keys, WrappedEntry};
use crate::rocketchat::room_key::WRAPPED_B64_CHARS;
use crate::rocketchat::subscription::OldRoomKey;
use crate::rocketchat::{Push, Subscription};

use super::account::AccountStore;
use super::api::Api;
use super::client::Client;
use super::fetched::push_from_fetch;
use super::overlay::Overlay;
use super::rsa::off_poll;
use crate::net::Deadline;

/// What the offline pass found.
pub(crate) enum Offline {
    /// Final: no network can improve it.
    Done(FetchOutcome),
    /// The network might: the parsed push and the offline outcome.
    Online(Box<Push>, Outcome),
}

/// Decrypts without touching the network, and says whether a fetch could
/// help: a message to fetch, or a room key missing.
pub(crate) fn offline(bytes: &[u8], store: &dyn AccountStore) -> Offline {
    let push = match Push::parse(bytes) {
        Ok(push) => push,
        Err(e) => return Offline::Done(FetchOutcome::offline(unreadable(&e))),
    };
    let outcome = decrypt_parsed(&push, store);
    let helps = match &outcome {
        Outcome::NeedsFetch(_) => true,
        Outcome::Failed(f) => f.reason == FailureReason::NoRoomKey && f.context.room_id.is_some(),
        _ => false,
    };
    if helps {
        Offline::Online(Box::new(push), outcome)
    } else {
        Offline::Done(FetchOutcome::offline(outcome))
    }
}

/// The network part, cut off at the deadline whatever it is doing.
pub(crate) async fn online(
    client: &Client,
    push: &Push,
    first: Outcome,
    deadline: Deadline,
) -> FetchOutcome {
    let mut progress = Progress {
        fetched: false,
        room_key_fetched: false,
        best: first,
        push: push.clone(),
    };
    let result = if deadline.expired() {
        Err(Error::Timeout("deadline passed before fetching".into()))
    } else {
        let work = fetch(client, &mut progress, deadline);
        tokio::time::timeout_at(deadline.instant().into(), work)
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout(format!(
                    "no result within the deadline ({})",
                    what(&progress.best)
                )))
            })
    };
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => failure(&progress.best, &progress.push, &e),
    };
    FetchOutcome {
        outcome,
        fetched: progress.fetched,
        room_key_fetched: progress.room_key_fetched,
    }
}

/// What is known so far, so a failure can still show the best text.
struct Progress {
    fetched: bool,
    room_key_fetched: bool,
    best: Outcome,
    push: Push,
}

fn what(best: &Outcome) -> &'static str {
    match best {
        Outcome::NeedsFetch(_) => "fetching the message",
        _ => "fetching the room key",
    }
}

async fn fetch(client: &Client, progress: &mut Progress, deadline: Deadline) -> Result<Outcome> {
    let store = client.store();
    let server = progress
        .best
        .context()
        .server
        .clone()
        .ok_or_else(|| Error::malformed("push has no server"))?;
    let api = client.api(&server)?;
    if let Outcome::NeedsFetch(request) = &progress.best {
        let id = request
            .context
            .message_id
            .clone()
            .ok_or_else(|| Error::malformed("push has no messageId"))?;
        let fetched = api.push_get(&id, deadline).await?;
        progress.fetched = true;
        progress.push = push_from_fetch(&progress.push, fetched)?;
        progress.best = decrypt_parsed(&progress.push, store);
        if matches!(progress.best, Outcome::NeedsFetch(_)) {
            return Err(Error::BadResponse(
                "the fetched message has no ciphertext".into(),
            ));
        }
    }
    fetch_room_key(client, &api, &server, progress, deadline).await
}

/// One `subscriptions.getOne` when the room key is missing, then the one
/// wrapped key the message names: unwrapped once, off the poll, and kept
/// in the store when it may be written, else laid over it for this push.
/// More keys are tried only when that one does not open the message (6.x
/// rooms reuse one id), each after a look at the deadline.
async fn fetch_room_key(
    client: &Client,
    api: &Api,
    server: &str,
    progress: &mut Progress,
    deadline: Deadline,
) -> Result<Outcome> {
    let (rid, kid) = match &progress.best {
        Outcome::Failed(f) if f.reason == FailureReason::NoRoomKey => {
            (f.context.room_id.clone(), f.key_id.clone())
        }
        _ => (None, None),
    };
    let Some(rid) = rid else {
        return Ok(progress.best.clone());
    };
    let store = client.store();
    // Read-only without the private key: nothing fetched could be used.
    let private_key = if store.writable() {
        None
    } else {
        Some(Arc::new(
            store.private_key(server)?.ok_or(Error::NoPrivateKey)?,
        ))
    };
    let subscription = api.subscription(&rid, deadline).await?;
    progress.room_key_fetched = true;
    // Not subscribed (any more): the missing key is the honest answer.
    let Some(subscription) = subscription else {
        return Ok(progress.best.clone());
    };
    let mut overlay = Vec::new();
    for wanted in keys_to_try(&subscription, kid.as_deref()) {
        if deadline.expired() {
            return Err(Error::Timeout(
                "deadline reached while unwrapping the room key".into(),
            ));
        }
        let outcome = match &private_key {
            None => {
                let (shared, owned) = (client.shared_store(), server.to_owned());
                let report = off_poll(deadline, move || {
                    shared.import_subscriptions(&owned, &[wanted])
                })
                .await??;
                if report.pending > 0 {
                    continue;
                }
                decrypt_parsed(&progress.push, store)
            }
            Some(key) => {
                let key = key.clone();
                let unwrapped = off_poll(deadline, move || {
                    let entry = wrapped_keys(&wanted).next()?;
                    unwrap_wrapped(&key, &wanted.rid, &entry).ok()
                })
                .await?;
                let Some(entry) = unwrapped else { continue };
                overlay.push(entry);
                let keys = Overlay::new(store, server, &rid, overlay.clone());
                decrypt_parsed(&progress.push, &keys)
            }
        };
        if !matches!(outcome, Outcome::Failed(_)) {
            return Ok(outcome);
        }
        progress.best = outcome;
    }
    Ok(progress.best.clone())
}

/// The wrapped keys of `sub` that may open a message naming `kid`, each as
/// a one-key subscription, in the order [`crate::rocketchat::keys`] tries
/// keys: those with that id (the current first), then the current key.
/// No RSA: the id is the listed `e2eKeyId` or the `E2EKey` prefix.
fn keys_to_try(sub: &Subscription, kid: Option<&str>) -> Vec<Subscription> {
    let named = |w: &WrappedEntry<'_>| {
        let prefix = w
            .e2e_key
            .get(..w.e2e_key.len().saturating_sub(WRAPPED_B64_CHARS));
        let listed = w.listed_kid.filter(|l| !l.is_empty());
        kid.is_some_and(|kid| listed == Some(kid) || (listed.is_none() && prefix == Some(kid)))
    };
    let mut order: Vec<WrappedEntry<'_>> = wrapped_keys(sub).filter(|w| named(w)).collect();
    if let Some(current) = wrapped_keys(sub).find(|w| w.current) {
        if !order.iter().any(|w| w.current) {
            order.push(current);
        }
    }
    order
        .into_iter()
        .map(|w| Subscription {
            // Field by field: the old-key list may be long.
            rid: sub.rid.clone(),
            room_type: sub.room_type.clone(),
            name: sub.name.clone(),
            fname: sub.fname.clone(),
            e2e_key: w.current.then(|| w.e2e_key.to_owned()),
            old_room_keys: if w.current {
                Vec::new()
            } else {
                vec![OldRoomKey {
                    key_id: w.listed_kid.unwrap_or_default().to_owned(),
                    e2e_key: w.e2e_key.to_owned(),
                }]
            },
        })
        .collect()
}

/// A typed failure that keeps the context and the best fallback text known.
pub(crate) fn failure(best: &Outcome, push: &Push, e: &Error) -> Outcome {
    let (fallback_title, fallback_body, key_id) = match best {
        Outcome::NeedsFetch(r) if r.reason == FetchReason::MissingCiphertext => (
            title(&push.payload, push.server_title.as_deref()),
            FALLBACK_BODY_ENCRYPTED.to_owned(),
            None,
        ),
        Outcome::NeedsFetch(r) => (r.fallback_title.clone(), r.fallback_body.clone(), None),
        Outcome::Failed(f) => (
            f.fallback_title.clone(),
            f.fallback_body.clone(),
            f.key_id.clone(),
        ),
        Outcome::Decrypted(_) | Outcome::NotEncrypted(_) => (
            FALLBACK_TITLE.to_owned(),
            FALLBACK_BODY_NEW.to_owned(),
            None,
        ),
    };
    Outcome::Failed(Failure {
        protocol: Protocol::RocketChat,
        reason: FailureReason::from(e),
        detail: e.to_string(),
        context: best.context().clone(),
        key_id,
        fallback_title,
        fallback_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(prefix: &str) -> String {
        format!("{prefix}{}", "A".repeat(344))
    }

    fn sub(current: &str, old: &[(&str, &str)]) -> Subscription {
        Subscription {
            rid: "r".into(),
            room_type: Some("p".into()),
            name: None,
            fname: None,
            e2e_key: Some(wrapped(current)),
            old_room_keys: old
                .iter()
                .map(|(listed, prefix)| OldRoomKey {
                    key_id: (*listed).into(),
                    e2e_key: wrapped(prefix),
                })
                .collect(),
        }
    }

    /// (current?, listed id, E2EKey prefix) of each one-key subscription.
    fn order(s: &Subscription, kid: Option<&str>) -> Vec<(bool, String, String)> {
        keys_to_try(s, kid)
            .iter()
            .map(|one| {
                assert_eq!(one.e2e_key.is_some() as usize + one.old_room_keys.len(), 1);
                let key = one
                    .e2e_key
                    .clone()
                    .unwrap_or_else(|| one.old_room_keys[0].e2e_key.clone());
                let listed = one.old_room_keys.first().map(|o| o.key_id.clone());
                (
                    one.e2e_key.is_some(),
                    listed.unwrap_or_default(),
                    key[..key.len() - 344].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn only_the_named_key_then_the_current_one() {
        let s = sub("cur", &[("old1", "x"), ("", "old2"), ("old3", "y")]);
        let key = |c: bool, l: &str, p: &str| (c, l.to_owned(), p.to_owned());
        // A listed id, an E2EKey prefix, the current key's prefix.
        assert_eq!(
            order(&s, Some("old1")),
            [key(false, "old1", "x"), key(true, "", "cur")]
        );
        assert_eq!(
            order(&s, Some("old2")),
            [key(false, "", "old2"), key(true, "", "cur")]
        );
        assert_eq!(order(&s, Some("cur")), [key(true, "", "cur")]);
        // A listed id hides the prefix; an unknown or absent id gets the current key.
        assert_eq!(order(&s, Some("y")), [key(true, "", "cur")]);
        assert_eq!(order(&s, Some("nope")), [key(true, "", "cur")]);
        assert_eq!(order(&s, None), [key(true, "", "cur")]);
    }

    #[test]
    fn a_reused_id_tries_the_current_key_first_and_stops_at_the_cap() {
        let old: Vec<(&str, &str)> = vec![("", "same"); 200];
        let s = sub("same", &old);
        let keys = order(&s, Some("same"));
        assert_eq!(keys.len(), 1 + crate::limits::MAX_KEYS_PER_ROOM);
        assert!(keys[0].0 && keys[1..].iter().all(|k| !k.0));
    }
}
