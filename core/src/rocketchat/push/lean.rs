//! The fast way to read a push: one pass over the bytes into borrowed
//! nodes that keep only the members a push is read for, without building
//! `serde_json::Value` trees. Everything else is skipped in place.
//!
//! It must give exactly what the `Value` path gives, so it declines
//! (returns `None`) whenever an input is not in the shapes it knows, and
//! the caller then takes the `Value` path, which also writes every error.
//! Skipped members still go through `deserialize_any`, like `Value` does,
//! so both accept and reject the same JSON (numbers out of range, lone
//! surrogates, nesting depth).
//!
//! [`parse_with_message`] reads `content` into nodes as well and decodes the
//! encrypted message from them, for `decrypt_push`, which needs no `Value`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Container, Payload, PayloadSender, Push};
use crate::error::{Error, Result as CoreResult};
use crate::rocketchat::message::{Encrypted, EncryptedMessage};

/// The members any object of a push is read for.
#[derive(Clone, Copy)]
enum Key {
    Host,
    MessageId,
    NotificationType,
    Rid,
    Sender,
    SenderName,
    Type,
    Name,
    MessageType,
    Tmid,
    Msg,
    Ejson,
    Aps,
    Message,
    Title,
    Body,
    NotId,
    Notification,
    Data,
    Alert,
    ThreadId,
    Id,
    Username,
    Algorithm,
    Kid,
    Iv,
    Ciphertext,
}

const KEYS: usize = 27;

fn key(s: &str) -> Option<Key> {
    Some(match s {
        "host" => Key::Host,
        "messageId" => Key::MessageId,
        "notificationType" => Key::NotificationType,
        "rid" => Key::Rid,
        "sender" => Key::Sender,
        "senderName" => Key::SenderName,
        "type" => Key::Type,
        "name" => Key::Name,
        "messageType" => Key::MessageType,
        "tmid" => Key::Tmid,
        "msg" => Key::Msg,
        "ejson" => Key::Ejson,
        "aps" => Key::Aps,
        "message" => Key::Message,
        "title" => Key::Title,
        "body" => Key::Body,
        "notId" => Key::NotId,
        "notification" => Key::Notification,
        "data" => Key::Data,
        "alert" => Key::Alert,
        "thread-id" => Key::ThreadId,
        "_id" => Key::Id,
        "username" => Key::Username,
        "algorithm" => Key::Algorithm,
        "kid" => Key::Kid,
        "iv" => Key::Iv,
        "ciphertext" => Key::Ciphertext,
        _ => return None,
    })
}

/// A value as far as a push needs to know it. `TYPED` nodes read `content`
/// as a node too; the others keep it as the `Value` that `Payload` holds.
enum Node<'a, const TYPED: bool> {
    Null,
    Bool,
    /// A number, as `Value::as_i64` would read it.
    Number(Option<i64>),
    Str(Cow<'a, str>),
    Array,
    Object(Box<Object<'a, TYPED>>),
}

/// An object: the members of interest (the last one wins, as in `Value`),
/// and `content`.
#[derive(Default)]
struct Object<'a, const TYPED: bool> {
    members: [Option<Node<'a, TYPED>>; KEYS],
    content: Option<Content<'a, TYPED>>,
}

enum Content<'a, const TYPED: bool> {
    Value(Value),
    Node(Node<'a, TYPED>),
}

impl<'a, const TYPED: bool> Object<'a, TYPED> {
    fn get(&self, k: Key) -> Option<&Node<'a, TYPED>> {
        self.members[k as usize].as_ref()
    }

    fn take(&mut self, k: Key) -> Option<Node<'a, TYPED>> {
        self.members[k as usize].take()
    }
}

/// Which member a map key names.
enum MemberKey {
    Known(Key),
    Content,
    Other,
}

impl<'de> Deserialize<'de> for MemberKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(MemberKeyVisitor)
    }
}

struct MemberKeyVisitor;

impl Visitor<'_> for MemberKeyVisitor {
    type Value = MemberKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<MemberKey, E> {
        if s == "content" {
            return Ok(MemberKey::Content);
        }
        // `Value` gives this one name a meaning of its own: leave it to it.
        if s == "$serde_json::private::RawValue" {
            return Err(E::custom("reserved member name"));
        }
        Ok(key(s).map_or(MemberKey::Other, MemberKey::Known))
    }
}

impl<'de, const TYPED: bool> Deserialize<'de> for Node<'de, TYPED> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor<const TYPED: bool>;

impl<'de, const TYPED: bool> Visitor<'de> for NodeVisitor<TYPED> {
    type Value = Node<'de, TYPED>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Bool)
    }

    fn visit_i64<E>(self, n: i64) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Number(Some(n)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Number(i64::try_from(n).ok()))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Number(None))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Node<'de, TYPED>, E> {
        Ok(Node::Str(Cow::Owned(s)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de, TYPED>, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Node::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de, TYPED>, A::Error> {
        let mut object = Box::<Object<'de, TYPED>>::default();
        while let Some(k) = map.next_key::<MemberKey>()? {
            match k {
                MemberKey::Known(k) => object.members[k as usize] = Some(map.next_value()?),
                MemberKey::Content => {
                    object.content = Some(if TYPED {
                        Content::Node(map.next_value()?)
                    } else {
                        Content::Value(map.next_value()?)
                    });
                }
                MemberKey::Other => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(Node::Object(object))
    }
}

/// A value that is read and checked as `Value` would, then dropped.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        // Only the reserved name is refused; any other name is skipped.
        while map.next_key::<MemberKey>()?.is_some() {
            map.next_value::<Skip>()?;
        }
        Ok(Skip)
    }
}

/// Reads a push, or `None` when the `Value` path must decide.
pub(super) fn parse(bytes: &[u8]) -> Option<Push> {
    let Ok(Node::Object(top)) = serde_json::from_slice::<Node<'_, false>>(bytes) else {
        return None;
    };
    from_object(top).map(|(push, _)| push)
}

/// Reads a push and, from its `content` when there is one, the encrypted
/// message, as `EncryptedMessage::from_parts` would from the `Value` path's
/// `Payload`; the returned payload's `content` is left empty. `None` when
/// the `Value` path must decide.
pub(super) fn parse_with_message(bytes: &[u8]) -> Option<(Push, CoreResult<Encrypted>)> {
    let Ok(Node::Object(top)) = serde_json::from_slice::<Node<'_, true>>(bytes) else {
        return None;
    };
    let (push, from_content) = from_object(top)?;
    let message = EncryptedMessage::choose(from_content, push.payload.msg.as_deref());
    Some((push, message))
}

/// What `content` gave, when it is read as nodes.
type FromContent = Option<CoreResult<EncryptedMessage>>;

fn from_object<const T: bool>(mut top: Box<Object<'_, T>>) -> Option<(Push, FromContent)> {
    if let Some(Node::Object(message)) = top.members[Key::Message as usize].as_mut() {
        let notification = message.get(Key::Notification);
        let (title, body) = (
            text_at(notification, Key::Title),
            text_at(notification, Key::Body),
        );
        let Some(Node::Object(data)) = message.members[Key::Data as usize].as_mut() else {
            return None;
        };
        let (payload, from_content) = payload(data.take(Key::Ejson)?)?;
        let push = Push {
            container: Container::FcmV1,
            notification_id: notification_id(data.get(Key::NotId)),
            payload,
            server_title: title,
            server_body: body,
        };
        return Some((push, from_content));
    }
    if let Some(aps) = top.get(Key::Aps) {
        let aps = match aps {
            Node::Object(aps) => Some(&**aps),
            _ => None,
        };
        let alert = aps.and_then(|a| a.get(Key::Alert));
        let (title, body) = match alert {
            Some(Node::Str(s)) => (None, Some(s.to_string())),
            other => (text_at(other, Key::Title), text_at(other, Key::Body)),
        };
        let notification_id = notification_id(aps.and_then(|a| a.get(Key::ThreadId)))
            .or(notification_id(top.get(Key::NotId)));
        let (payload, from_content) = payload(top.take(Key::Ejson)?)?;
        let push = Push {
            container: Container::Apns,
            payload,
            server_title: title,
            server_body: body,
            notification_id,
        };
        return Some((push, from_content));
    }
    if top.get(Key::Ejson).is_some() {
        let (server_title, server_body) = (text(top.get(Key::Title)), text(top.get(Key::Message)));
        let notification_id = notification_id(top.get(Key::NotId));
        let (payload, from_content) = payload(top.take(Key::Ejson)?)?;
        let push = Push {
            container: Container::FcmData,
            server_title,
            server_body,
            notification_id,
            payload,
        };
        return Some((push, from_content));
    }
    if top.get(Key::Host).is_some() {
        let (payload, from_content) = payload_from(top)?;
        let push = Push {
            container: Container::Ejson,
            payload,
            server_title: None,
            server_body: None,
            notification_id: None,
        };
        return Some((push, from_content));
    }
    None
}

/// `ejson` is JSON text or an object; anything else is for the `Value` path.
fn payload<const T: bool>(ejson: Node<'_, T>) -> Option<(Payload, FromContent)> {
    match ejson {
        Node::Str(text) => match serde_json::from_str::<Node<'_, T>>(&text) {
            Ok(Node::Object(o)) => payload_from(o),
            _ => None,
        },
        Node::Object(o) => payload_from(o),
        _ => None,
    }
}

fn payload_from<const T: bool>(mut o: Box<Object<'_, T>>) -> Option<(Payload, FromContent)> {
    let Some(Node::Str(host)) = o.take(Key::Host) else {
        return None;
    };
    let (content, from_content) = match o.content.take() {
        None => (None, None),
        Some(Content::Value(v)) => (Some(v).filter(|c| !c.is_null()), None),
        Some(Content::Node(n)) => (None, read_content(&n)),
    };
    let payload = Payload {
        host: host.into_owned(),
        message_id: strict(o.take(Key::MessageId))?,
        notification_type: strict(o.take(Key::NotificationType))?,
        rid: strict(o.take(Key::Rid))?,
        sender: sender(o.take(Key::Sender))?,
        sender_name: lenient(o.take(Key::SenderName)),
        room_type: lenient(o.take(Key::Type)),
        name: lenient(o.take(Key::Name)),
        message_type: lenient(o.take(Key::MessageType)),
        tmid: lenient(o.take(Key::Tmid)),
        msg: lenient(o.take(Key::Msg)),
        content,
    };
    Some((payload, from_content))
}

/// The message in a `content` node, as `EncryptedMessage::from_content`
/// reads it from a `Value`; `None` for an absent (null) content.
fn read_content<const T: bool>(content: &Node<'_, T>) -> FromContent {
    let o = match content {
        Node::Null => return None,
        Node::Object(o) => o,
        _ => return Some(Err(Error::malformed("content is not an object"))),
    };
    Some(EncryptedMessage::from_fields(|k| {
        // Every member `from_fields` reads is a `Key`.
        match key(k).and_then(|k| o.get(k)) {
            None | Some(Node::Null) => Ok(None),
            Some(Node::Str(s)) => Ok(Some(s.as_ref())),
            Some(_) => Err(Error::malformed(format!("content.{k} is not a string"))),
        }
    }))
}

/// An `Option<String>` member: the outer `None` is a type error.
fn strict<const T: bool>(n: Option<Node<'_, T>>) -> Option<Option<String>> {
    match n {
        None | Some(Node::Null) => Some(None),
        Some(Node::Str(s)) => Some(Some(s.into_owned())),
        Some(_) => None,
    }
}

/// A display member: a value of the wrong type is dropped.
fn lenient<const T: bool>(n: Option<Node<'_, T>>) -> Option<String> {
    match n {
        Some(Node::Str(s)) => Some(s.into_owned()),
        _ => None,
    }
}

/// The sender object, dropped when any of its members has the wrong type.
/// An array would be read by position: that is for the `Value` path.
fn sender<const T: bool>(n: Option<Node<'_, T>>) -> Option<Option<PayloadSender>> {
    let mut o = match n {
        Some(Node::Object(o)) => o,
        Some(Node::Array) => return None,
        _ => return Some(None),
    };
    let (Some(id), Some(username), Some(name)) = (
        strict(o.take(Key::Id)),
        strict(o.take(Key::Username)),
        strict(o.take(Key::Name)),
    ) else {
        return Some(None);
    };
    Some(Some(PayloadSender { id, username, name }))
}

fn text_at<const T: bool>(n: Option<&Node<'_, T>>, k: Key) -> Option<String> {
    match n? {
        Node::Object(o) => text(o.get(k)),
        _ => None,
    }
}

fn text<const T: bool>(n: Option<&Node<'_, T>>) -> Option<String> {
    match n? {
        Node::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

/// `notId` is a number in APNs and a string in FCM data.
fn notification_id<const T: bool>(n: Option<&Node<'_, T>>) -> Option<i64> {
    match n? {
        Node::Number(n) => *n,
        Node::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}
