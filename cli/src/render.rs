//! How outcomes look on a terminal and as JSON.

use pushseal::{Context, Outcome};
use serde_json::{json, Value};

/// One JSON object per outcome; field names are a stable interface.
pub fn json(outcome: &Outcome) -> Value {
    let ctx = outcome.context();
    let (title, body) = outcome.display();
    let mut v = json!({
        "status": outcome.status(),
        "protocol": outcome.protocol().as_str(),
        "title": title,
        "body": body,
        "server": ctx.server,
        "rid": ctx.room_id,
        "room_type": ctx.room_kind.as_ref().map(pushseal::rocketchat::room_type_code),
        "room_name": ctx.room_name,
        "message_id": ctx.message_id,
        "thread_id": ctx.thread_id,
        "notification_id": ctx.notification_id,
        "sender_id": sender(ctx, |s| s.id.as_deref()),
        "sender_username": sender(ctx, |s| s.username.as_deref()),
        "sender_name": sender(ctx, |s| s.display_name.as_deref()),
        "key_id": Value::Null,
        "algorithm": Value::Null,
    });
    match outcome {
        Outcome::Decrypted(n) => {
            if let Some(key) = &n.key {
                v["key_id"] = json!(key.key_id);
                v["algorithm"] = json!(key.algorithm);
                v["key_current"] = json!(key.current);
                if let Some(index) = key.message_index {
                    v["message_index"] = json!(index);
                }
            }
        }
        Outcome::Failed(f) => {
            v["reason"] = json!(f.reason.as_str());
            v["detail"] = json!(f.detail);
            v["key_id"] = json!(f.key_id);
        }
        Outcome::NeedsFetch(f) => {
            v["fetch_reason"] = json!(f.reason.as_str());
        }
        Outcome::NotEncrypted(_) => {}
        // An outcome kind this CLI does not know yet: the common fields say
        // what there is to say.
        _ => {}
    }
    v
}

fn sender<'a>(
    ctx: &'a Context,
    f: impl Fn(&'a pushseal::Sender) -> Option<&'a str>,
) -> Option<&'a str> {
    ctx.sender.as_ref().and_then(f)
}

/// A short human-readable report: the status line, then what a phone shows.
pub fn text(outcome: &Outcome) -> String {
    let ctx = outcome.context();
    let (title, body) = outcome.display();
    let mut out = String::new();
    let status = match outcome {
        Outcome::Decrypted(n) => match &n.key {
            Some(k) => format!(
                "decrypted with {} key {} ({})",
                if k.current { "current" } else { "old" },
                k.key_id,
                k.algorithm
            ),
            None => "decrypted".into(),
        },
        Outcome::NotEncrypted(_) => "not encrypted: shown as the server sent it".into(),
        Outcome::NeedsFetch(f) => format!(
            "needs fetch ({}): the message must come from the server",
            f.reason.as_str()
        ),
        Outcome::Failed(f) => format!("failed: {} ({})", f.reason.as_str(), f.detail),
        other => other.status().into(),
    };
    out.push_str(&format!("status:  {status}\n"));
    out.push_str(&format!("title:   {title}\n"));
    out.push_str(&format!("body:    {}\n", body.replace('\n', "\n         ")));
    let mut about = Vec::new();
    if let Some(s) = &ctx.server {
        about.push(format!("server {s}"));
    }
    if let Some(r) = &ctx.room_id {
        about.push(format!("room {r}"));
    }
    if let Some(u) = ctx.sender.as_ref().and_then(|s| s.username.as_deref()) {
        // Matrix user ids carry their own @.
        let at = if u.starts_with('@') { "" } else { "@" };
        about.push(format!("from {at}{u}"));
    }
    if let Some(m) = &ctx.message_id {
        about.push(format!("message {m}"));
    }
    if let Some(t) = &ctx.thread_id {
        about.push(format!("thread {t}"));
    }
    if !about.is_empty() {
        out.push_str(&format!("about:   {}\n", about.join(" · ")));
    }
    out
}
