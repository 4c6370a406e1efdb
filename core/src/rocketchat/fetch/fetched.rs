//! Turns a `push.get` answer into a [`Push`], so a fetched message goes
//! through the same decryption and title rules as a pushed one.

use serde_json::Value;

use super::api::FetchedPush;
use crate::error::{Error, Result};
use crate::rocketchat::push::notification_id;
use crate::rocketchat::{Payload, Push};

/// Builds the push the server would have sent without id-only mode.
///
/// The original push's `host` is kept: keys are looked up by the server the
/// push came from, whatever URL the fetched payload names. Servers up to
/// 6.14 leave the ciphertext out of `payload`; the stored message always
/// has it, so it is taken from there.
pub(crate) fn push_from_fetch(original: &Push, fetched: FetchedPush) -> Result<Push> {
    let FetchedPush {
        message,
        notification,
    } = fetched;
    let mut payload = Payload::from_value(notification.payload)
        .map_err(|e| Error::BadResponse(format!("push.get payload: {e}")))?;
    payload.host.clone_from(&original.payload.host);
    let text = |k: &str| {
        message
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    payload.message_id = payload
        .message_id
        .or_else(|| original.payload.message_id.clone());
    payload.rid = payload
        .rid
        .filter(|r| !r.is_empty())
        .or_else(|| text("rid"));
    payload.message_type = payload.message_type.or_else(|| text("t"));
    if payload.is_e2e() {
        if payload.content.as_ref().is_none_or(Value::is_null) {
            payload.content = message.get("content").filter(|c| !c.is_null()).cloned();
        }
        if payload.msg.as_deref().is_none_or(str::is_empty) {
            payload.msg = text("msg");
        }
    }
    // An id-only payload again would send the caller round in circles.
    if payload.is_id_only() {
        return Err(Error::BadResponse(
            "push.get answered with an id-only payload".into(),
        ));
    }
    Ok(Push {
        container: original.container,
        payload,
        server_title: notification.title,
        server_body: notification.text,
        notification_id: notification_id(notification.not_id.as_ref()).or(original.notification_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rocketchat::fetch::api::FetchedNotification;
    use serde_json::json;

    fn original() -> Push {
        Push::from_value(json!({"ejson": r#"{"host":"https://chat.example.org/","messageId":"m1","notificationType":"message-id-only"}"#, "aps": {"alert": "You have a new message"}})).unwrap()
    }

    fn fetched(payload: Value, message: Value) -> FetchedPush {
        FetchedPush {
            message,
            notification: FetchedNotification {
                title: Some("alice".into()),
                text: Some("".into()),
                payload,
                not_id: Some(json!(42)),
            },
        }
    }

    #[test]
    fn old_server_payload_gets_the_stored_ciphertext() {
        let content = json!({"algorithm": "rc.v1.aes-sha2", "ciphertext": "x"});
        let payload = json!({"host": "https://other.example/", "messageId": "m1", "notificationType": "message", "rid": "r1", "messageType": "e2e", "msg": ""});
        let push = push_from_fetch(
            &original(),
            fetched(
                payload,
                json!({"_id": "m1", "rid": "r1", "msg": "", "content": content, "t": "e2e"}),
            ),
        )
        .unwrap();
        assert_eq!(push.payload.content, Some(content));
        assert_eq!(push.payload.host, "https://chat.example.org/");
        assert_eq!(
            (push.notification_id, push.server_title.as_deref()),
            (Some(42), Some("alice"))
        );
    }

    #[test]
    fn plain_messages_keep_their_payload() {
        let payload =
            json!({"host": "h", "messageId": "m1", "notificationType": "message", "rid": "r1"});
        let push = push_from_fetch(
            &original(),
            fetched(payload, json!({"msg": "hi", "content": {"x": 1}})),
        )
        .unwrap();
        assert_eq!((push.payload.content, push.payload.msg), (None, None));
    }

    #[test]
    fn id_only_again_is_refused() {
        let payload =
            json!({"host": "h", "messageId": "m1", "notificationType": "message-id-only"});
        assert!(matches!(
            push_from_fetch(&original(), fetched(payload, Value::Null)),
            Err(Error::BadResponse(_))
        ));
    }
}
