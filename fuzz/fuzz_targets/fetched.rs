//! Server answers → push: a `push.get` answer for an id-only push, and
//! `subscriptions.getOne` / `subscriptions.get` answers whose room keys are
//! then used to decrypt the vector pushes. The first byte picks the
//! endpoint; the rest is the HTTP body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushseal::rocketchat::fetch::fuzzing::{push_get_outcome, subscription_get_one, subscriptions_get};
use pushseal::rocketchat::{decrypt_push, Push, Subscription};
use pushseal_fuzz::*;
use serde_json::{json, Value};

/// The id-only push the answer is for: the message id the answer names,
/// so that mutated answers for a vector message stay on the decrypt path.
fn id_only_push(body: &[u8]) -> Push {
    let id = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/data/message/_id")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "MsgE2eVec00000001".to_owned());
    let ejson = json!({"host": server(), "messageId": id, "notificationType": "message-id-only"});
    let push = json!({"ejson": ejson.to_string(), "aps": {"alert": "You have a new message"}});
    Push::from_value(push).expect("id-only push")
}

fn decrypt_with(subs: &[Subscription], body: &[u8]) {
    if wrapped_keys(subs) > MAX_FUZZ_UNWRAPS {
        return;
    }
    let mut keyring = account_only();
    if keyring.import_subscriptions(server(), subs).is_err() {
        return;
    }
    for push in pushes() {
        assert_safe(&decrypt_push(push, &keyring), &[push, body]);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            let push = id_only_push(body);
            let outcome = push_get_outcome(&push, body, device_keyring());
            assert_safe(&outcome, &[body]);
        }
        1 => {
            if let Ok(Some(sub)) = subscription_get_one(body) {
                decrypt_with(&[sub], body);
            }
        }
        _ => {
            if let Ok(subs) = subscriptions_get(body) {
                decrypt_with(&subs, body);
            }
        }
    }
});
