//! Push containers (spec §7): finds the `ejson` payload and the server's
//! own title and text in an APNs body, an FCM data map, an FCM HTTP v1
//! message or a bare payload object.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::message::Encrypted;
use crate::error::{Error, Result};
use crate::limits::MAX_PUSH_BYTES;

mod lean;

/// Which container a push came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// APNs body or iOS `userInfo`: `ejson` plus `aps`.
    Apns,
    /// FCM data map with the legacy GCM keys (`ejson`, `title`, `message`, `notId`).
    FcmData,
    /// FCM HTTP v1: `{"message":{…,"data":{…}}}`.
    FcmV1,
    /// The payload object alone.
    Ejson,
}

impl Container {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apns => "apns",
            Self::FcmData => "fcm-data",
            Self::FcmV1 => "fcm-v1",
            Self::Ejson => "ejson",
        }
    }
}

/// Sender as the payload carries it (the message's `u`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PayloadSender {
    #[serde(rename = "_id")]
    pub id: Option<String>,
    pub username: Option<String>,
    pub name: Option<String>,
}

/// The `ejson` payload. Unknown members are ignored; only `host` is
/// required, as every push carries it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Payload {
    pub host: String,
    #[serde(rename = "messageId")]
    pub message_id: Option<String>,
    #[serde(rename = "notificationType")]
    pub notification_type: Option<String>,
    pub rid: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub sender: Option<PayloadSender>,
    #[serde(rename = "senderName", default, deserialize_with = "lenient")]
    pub sender_name: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub room_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(rename = "messageType", default, deserialize_with = "lenient")]
    pub message_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub tmid: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub msg: Option<String>,
    pub content: Option<Value>,
}

/// Display members are optional: a value of the wrong type is dropped
/// rather than failing the whole push.
fn lenient<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

impl Payload {
    pub fn is_id_only(&self) -> bool {
        self.notification_type.as_deref() == Some("message-id-only")
    }

    pub fn is_e2e(&self) -> bool {
        self.message_type.as_deref() == Some("e2e")
    }

    /// Parses a payload from JSON text or an already-parsed value.
    pub fn from_value(v: Value) -> Result<Self> {
        let v = match v {
            Value::String(s) => serde_json::from_str(&s)
                .map_err(|e| Error::malformed(format!("ejson is not JSON: {e}")))?,
            other => other,
        };
        serde_json::from_value(v).map_err(|e| Error::malformed(format!("ejson payload: {e}")))
    }
}

/// A push, unwrapped from its container.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub container: Container,
    pub payload: Payload,
    /// The alert title the server sent, if any.
    pub server_title: Option<String>,
    /// The alert text the server sent, if any.
    pub server_body: Option<String>,
    pub notification_id: Option<i64>,
}

impl Push {
    /// Detects the container and reads the payload.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_PUSH_BYTES {
            return Err(Error::TooLarge {
                what: "push payload",
                limit: MAX_PUSH_BYTES,
            });
        }
        // The one-pass reader handles the pushes servers send; anything it
        // declines (every error included) is read through `Value`, which
        // gives the same result and writes the error text.
        if let Some(push) = lean::parse(bytes) {
            return Ok(push);
        }
        Self::parse_value(bytes)
    }

    /// For `decrypt_push`: the push and its encrypted message (what
    /// `EncryptedMessage::from_parts` gives for its payload) in one pass,
    /// without a `Value` for `content`, which the returned payload leaves
    /// empty. `None` when the push must go through [`Push::parse`].
    pub(crate) fn parse_with_message(bytes: &[u8]) -> Option<(Self, Result<Encrypted>)> {
        if bytes.len() > MAX_PUSH_BYTES {
            return None;
        }
        lean::parse_with_message(bytes)
    }

    /// The reference reader: the whole push as a `Value` tree first.
    pub(crate) fn parse_value(bytes: &[u8]) -> Result<Self> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::malformed(format!("push is not JSON: {e}")))?;
        Self::from_value(value)
    }

    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(mut top) = value else {
            return Err(Error::malformed("push is not a JSON object"));
        };
        // The display members are read first, so the payload can then be
        // taken out of the container rather than copied.
        if let Some(Value::Object(message)) = top.get_mut("message") {
            let notification = message.get("notification");
            let (title, body) = (
                text_at(notification, "title"),
                text_at(notification, "body"),
            );
            let data = message
                .get_mut("data")
                .and_then(Value::as_object_mut)
                .ok_or_else(|| Error::malformed("FCM v1 message has no data"))?;
            return Ok(Self {
                container: Container::FcmV1,
                notification_id: notification_id(data.get("notId")),
                payload: take_ejson(data)?,
                server_title: title,
                server_body: body,
            });
        }
        if let Some(aps) = top.get("aps") {
            let (title, body) = match aps.get("alert") {
                Some(Value::String(s)) => (None, Some(s.clone())),
                other => (text_at(other, "title"), text_at(other, "body")),
            };
            let notification_id =
                notification_id(aps.get("thread-id")).or(notification_id(top.get("notId")));
            return Ok(Self {
                container: Container::Apns,
                payload: take_ejson(&mut top)?,
                server_title: title,
                server_body: body,
                notification_id,
            });
        }
        if top.contains_key("ejson") {
            return Ok(Self {
                container: Container::FcmData,
                server_title: text(top.get("title")),
                server_body: text(top.get("message")),
                notification_id: notification_id(top.get("notId")),
                payload: take_ejson(&mut top)?,
            });
        }
        if top.contains_key("host") {
            return Ok(Self {
                container: Container::Ejson,
                payload: Payload::from_value(Value::Object(top))?,
                server_title: None,
                server_body: None,
                notification_id: None,
            });
        }
        Err(Error::malformed(
            "not a Rocket.Chat push: no ejson, aps, FCM message or host",
        ))
    }
}

fn take_ejson(map: &mut Map<String, Value>) -> Result<Payload> {
    let ejson = map
        .remove("ejson")
        .ok_or_else(|| Error::malformed("push has no ejson"))?;
    Payload::from_value(ejson)
}

fn text_at(v: Option<&Value>, key: &str) -> Option<String> {
    text(v?.get(key))
}

fn text(v: Option<&Value>) -> Option<String> {
    v?.as_str().map(str::to_owned)
}

/// `notId` is a number in APNs and a string in FCM data.
pub(crate) fn notification_id(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rocketchat::message::EncryptedMessage;
    use serde_json::json;

    const EJSON: &str = r#"{"host":"https://chat.example.org/","messageId":"m1","notificationType":"message","rid":"r1","type":"d","messageType":"e2e","msg":""}"#;

    #[test]
    fn detects_each_container() {
        let apns =
            json!({"ejson": EJSON, "aps": {"alert": {"title": "alice"}, "thread-id": "-12"}});
        let fcm = json!({"ejson": EJSON, "title": "alice", "message": "", "notId": "7"});
        let v1 = json!({"message": {"notification": {"title": "t", "body": "b"}, "data": {"ejson": EJSON, "notId": "9"}}});
        let bare: Value = serde_json::from_str(EJSON).unwrap();
        let cases = [
            (apns, Container::Apns, Some(-12)),
            (fcm, Container::FcmData, Some(7)),
            (v1, Container::FcmV1, Some(9)),
            (bare, Container::Ejson, None),
        ];
        for (value, container, not_id) in cases {
            let push = Push::from_value(value).unwrap();
            assert_eq!(push.container, container);
            assert_eq!(push.notification_id, not_id);
            assert_eq!(push.payload.rid.as_deref(), Some("r1"));
        }
    }

    #[test]
    fn alert_string_is_the_body() {
        let p =
            Push::from_value(json!({"ejson": EJSON, "aps": {"alert": "You have a new message"}}))
                .unwrap();
        assert_eq!(
            (p.server_title, p.server_body.as_deref()),
            (None, Some("You have a new message"))
        );
    }

    #[test]
    fn malformed() {
        for bad in [
            json!([1]),
            json!({"aps": {}}),
            json!({"ejson": "{not json"}),
            json!({"ejson": "{}"}),
            json!({"x": 1}),
        ] {
            assert!(matches!(
                Push::from_value(bad),
                Err(Error::MalformedPayload(_))
            ));
        }
        assert!(matches!(
            Push::parse(&vec![b' '; MAX_PUSH_BYTES + 1]),
            Err(Error::TooLarge { .. })
        ));
    }

    /// The one-pass reader either declines or gives what the `Value` path
    /// gives, on every vector push and on odd shapes of the same members.
    #[test]
    fn lean_reader_agrees_with_the_value_path() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/rocketchat.json"
        );
        let vectors: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let mut inputs: Vec<Vec<u8>> = vectors["pushes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| serde_json::to_vec(&p["payload"]).unwrap())
            .collect();
        assert!(inputs.len() > 20);
        let odd = [
            r#"{"ejson":{"host":"h","rid":"r"},"aps":{"alert":"a","thread-id":7}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"host\":\"g\"}","aps":null,"notId":"  12 "}"#,
            r#"{"ejson":"{\"host\":\"h\"}","aps":[1],"notId":12.0}"#,
            r#"{"ejson":"{\"host\":\"h\"}","aps":{"alert":{"title":1,"body":"b"},"thread-id":18446744073709551615}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"sender\":[\"a\",\"b\",\"c\"]}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"sender\":{\"_id\":1,\"username\":\"u\"}}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"sender\":{\"_id\":\"i\",\"_id\":null,\"name\":\"n\"}}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"sender\":true,\"name\":[],\"type\":{},\"msg\":null}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"rid\":5}","aps":{}}"#,
            r#"{"ejson":"{\"host\":null}","aps":{}}"#,
            r#"{"ejson":"[\"h\"]","aps":{}}"#,
            r#"{"ejson":["h"],"aps":{}}"#,
            r#"{"ejson":5,"aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":null}","aps":{},"x":1e400}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":{\"a\":[1,{\"b\":2}]}}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":{\"a\":1},\"content\":\"x\"}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\"}","aps":{},"x":"\ud800"}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":{\"algorithm\":\"rc.v2.aes-sha2\",\"ciphertext\":5}}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":{\"algorithm\":\"rc.v2.aes-sha2\",\"kid\":[],\"iv\":\"AAAAAAAAAAAAAAAA\",\"ciphertext\":\"AAAA\"}}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":{\"algorithm\":\"rc.v2.aes-sha2\",\"kid\":null,\"iv\":\"AAAAAAAAAAAAAAAA\",\"ciphertext\":\"AAAA\",\"x\":{}}}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":{\"algorithm\":\"rc.v1.aes-sha2\",\"algorithm\":null},\"msg\":\"abcdefghijklAAAAAAAAAAAAAAAAAAAAAAAA\"}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":\"x\",\"msg\":\"\"}","aps":{}}"#,
            r#"{"ejson":"{\"host\":\"h\",\"content\":[1],\"msg\":\"abcdefghijklAAAAAAAAAAAAAAAAAAAAAAAA\"}","aps":{}}"#,
            r#"{"host":"h","content":{"algorithm":"rc.v9","ciphertext":"AAAA"},"msg":null}"#,
            r#"{"ejson":"{\"host\":\"h\"}","aps":{},"$serde_json::private::RawValue":"1"}"#,
            r#"{"$serde_json::private::RawValue":"{\"host\":\"h\"}"}"#,
            r#"{"ejson":"{\"host\":\"h\"}","title":"t","message":"m","notId":"x"}"#,
            r#"{"ejson":"{\"host\":\"h\"}","title":5,"message":{"data":{}}}"#,
            r#"{"message":{"data":{"ejson":"{\"host\":\"h\"}","notId":3},"notification":{"title":"t","body":2}},"aps":{}}"#,
            r#"{"message":{"data":{"ejson":"{\"host\":\"h\"}"},"notification":"n"}}"#,
            r#"{"message":{"data":[],"notification":{}}}"#,
            r#"{"message":{"notification":{}},"ejson":"{\"host\":\"h\"}"}"#,
            r#"{"host":"h","messageId":"m","aps2":[[[[]]]],"tmid":"t"}"#,
            r#"{"host":"h","ejson":null}"#,
            r#"{"host":5}"#,
            r#"{"host":"h"} x"#,
            r#"{"host":"h","a":"#,
            r#"{"x":1}"#,
            r#"[1]"#,
            r#""text""#,
        ];
        inputs.extend(odd.iter().map(|s| s.as_bytes().to_vec()));
        let mut deep = "[".repeat(200);
        deep.push_str(&"]".repeat(200));
        inputs.push(format!(r#"{{"host":"h","x":{deep}}}"#).into_bytes());
        // Small edits of every input, as a fuzzer would make them.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet = b"{}[]\":,\\ 0-1e.nultrfsa\x7f";
        let mut mutated = Vec::new();
        for bytes in &inputs {
            for _ in 0..40 {
                let mut m = bytes.clone();
                for _ in 0..=next(3) {
                    let at = next(m.len().max(1));
                    let c = alphabet[next(alphabet.len())];
                    match next(3) {
                        0 if !m.is_empty() => m[at] = c,
                        1 if !m.is_empty() => {
                            m.remove(at);
                        }
                        _ => m.insert(at.min(m.len()), c),
                    }
                }
                mutated.push(m);
            }
        }
        let mut declined = 0;
        let originals = inputs.len();
        inputs.extend(mutated);
        for bytes in &inputs[..originals] {
            if lean::parse(bytes).is_none() {
                declined += 1;
            }
        }
        let mut accepted = 0;
        let mut with_message = 0;
        for bytes in &inputs {
            let reference = Push::parse_value(bytes);
            // The reader for `decrypt_push` gives the same push, less its
            // `content`, and what the message reader makes of that content.
            if let Some((lean, message)) = Push::parse_with_message(bytes) {
                with_message += 1;
                let mut want = reference.clone().expect("an unreadable push was taken");
                let content = want.payload.content.take();
                let want_message =
                    EncryptedMessage::from_parts(content.as_ref(), want.payload.msg.as_deref());
                let shown = String::from_utf8_lossy(bytes);
                assert_eq!(lean, want, "{shown}");
                assert_eq!(message, want_message, "{shown}");
            }
            if let Some(lean) = lean::parse(bytes) {
                accepted += 1;
                assert_eq!(
                    Ok(&lean),
                    reference.as_ref().map_err(|e| e.to_string()),
                    "{}",
                    String::from_utf8_lossy(bytes)
                );
            }
            // And the public entry point gives exactly the reference.
            assert_eq!(
                Push::parse(bytes).map_err(|e| e.to_string()),
                reference.map_err(|e| e.to_string())
            );
        }
        // The reader must take the ordinary pushes itself, and some of the
        // edited ones (an edit inside a string keeps the JSON valid).
        assert!(
            declined < originals / 2,
            "{declined} of {originals} declined"
        );
        assert!(accepted > originals, "{accepted} accepted");
        assert_eq!(with_message, accepted, "both readers take the same inputs");
        eprintln!(
            "{accepted} of {} accepted by the one-pass reader",
            inputs.len()
        );
    }

    #[test]
    fn wrong_typed_display_members_are_dropped() {
        let p = Payload::from_value(json!({"host": "h", "senderName": 5, "sender": "x"})).unwrap();
        assert_eq!((p.sender_name, p.sender), (None, None));
    }
}
