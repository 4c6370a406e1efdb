//! Reading a Matrix push in one pass, borrowing from the input: the APNs body
//! or iOS `userInfo`, the FCM data map (`content` as an object or as JSON
//! text), the FCM v1 data map (`content_*` keys), the FCM HTTP bodies around
//! them (`{"data":…}`, `{"message":{"data":…}}`), and a bare event as
//! `GET /rooms/{roomId}/event/{eventId}` returns it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::matrix::Error;

type Str<'a> = Option<Cow<'a, str>>;

/// Sygnal cuts FCM string values at 1024 bytes and appends this.
const CUT_MARK: char = '…';

/// `m.relates_to`, as far as a notification needs it.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Relation<'a> {
    #[serde(borrow, default)]
    pub rel_type: Str<'a>,
    #[serde(borrow, default)]
    pub event_id: Str<'a>,
}

/// An event's `content`: the encrypted fields, and the message fields used
/// for unencrypted events and for decrypted plaintext.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Content<'a> {
    #[serde(borrow, default)]
    pub algorithm: Str<'a>,
    #[serde(borrow, default)]
    pub ciphertext: Str<'a>,
    #[serde(borrow, default)]
    pub session_id: Str<'a>,
    #[serde(borrow, default)]
    pub sender_key: Str<'a>,
    #[serde(borrow, default)]
    pub device_id: Str<'a>,
    #[serde(borrow, default, rename = "m.relates_to")]
    pub relates_to: Option<Relation<'a>>,
    #[serde(borrow, default)]
    pub msgtype: Str<'a>,
    #[serde(borrow, default)]
    pub body: Str<'a>,
    #[serde(borrow, default)]
    pub filename: Str<'a>,
    #[serde(borrow, default, rename = "m.new_content")]
    pub new_content: Option<Box<Content<'a>>>,
}

fn own(s: Str<'_>) -> Str<'static> {
    s.map(|c| Cow::Owned(c.into_owned()))
}

impl Content<'_> {
    fn into_owned(self) -> Content<'static> {
        Content {
            algorithm: own(self.algorithm),
            ciphertext: own(self.ciphertext),
            session_id: own(self.session_id),
            sender_key: own(self.sender_key),
            device_id: own(self.device_id),
            relates_to: self.relates_to.map(|r| Relation {
                rel_type: own(r.rel_type),
                event_id: own(r.event_id),
            }),
            msgtype: own(self.msgtype),
            body: own(self.body),
            filename: own(self.filename),
            new_content: self.new_content.map(|c| Box::new(c.into_owned())),
        }
    }

    fn is_empty_encrypted(&self) -> bool {
        self.algorithm.is_none() && self.ciphertext.is_none() && self.session_id.is_none()
    }
}

/// `content` is an object, or (Android's FCM data map) that object as JSON text.
#[derive(Debug)]
struct ContentField<'a>(Content<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for ContentField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ContentField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event content object or its JSON text")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Content::deserialize(de::value::MapAccessDeserializer::new(map)).map(ContentField)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                serde_json::from_str::<Content>(text)
                    .map(|c| ContentField(c.into_owned()))
                    .map_err(|_| E::custom("content text is not a JSON object"))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Unsigned {
    #[serde(default)]
    redacted_because: Option<IgnoredAny>,
}

/// Every field any container may carry; unknown ones are skipped unread.
#[derive(Debug, Default, Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default)]
    event_id: Str<'a>,
    #[serde(borrow, default)]
    room_id: Str<'a>,
    #[serde(borrow, default, rename = "type")]
    kind: Str<'a>,
    #[serde(borrow, default)]
    sender: Str<'a>,
    #[serde(borrow, default)]
    sender_display_name: Str<'a>,
    #[serde(borrow, default)]
    room_name: Str<'a>,
    #[serde(borrow, default)]
    content: Option<ContentField<'a>>,
    #[serde(borrow, default)]
    content_algorithm: Str<'a>,
    #[serde(borrow, default)]
    content_ciphertext: Str<'a>,
    #[serde(borrow, default)]
    content_session_id: Str<'a>,
    #[serde(borrow, default)]
    content_sender_key: Str<'a>,
    #[serde(borrow, default)]
    content_device_id: Str<'a>,
    #[serde(default)]
    unsigned: Option<Unsigned>,
    #[serde(default)]
    ejson: Option<IgnoredAny>,
    #[serde(borrow, default)]
    pusher_notification_client_identifier: Str<'a>,
    #[serde(borrow, default)]
    cs: Str<'a>,
    #[serde(borrow, default)]
    data: Option<Box<Wire<'a>>>,
    #[serde(borrow, default)]
    message: Option<Box<Wire<'a>>>,
}

/// The encrypted part of an event, borrowed from the push.
#[derive(Debug, Clone)]
pub struct EncryptedContent<'a> {
    pub algorithm: Cow<'a, str>,
    /// `None` when the push carries no ciphertext or only a cut one.
    pub ciphertext: Option<Cow<'a, str>>,
    pub session_id: Option<Cow<'a, str>>,
    /// Deprecated since Matrix 1.3; kept for display only, never for lookup.
    pub sender_key: Option<Cow<'a, str>>,
    pub device_id: Option<Cow<'a, str>>,
    /// The ciphertext was cut at 1024 bytes by the push gateway (FCM v1).
    pub cut: bool,
}

/// What the event's content turned out to be.
#[derive(Debug, Clone)]
pub(crate) enum Body<'a> {
    /// Only ids: fetch the event.
    IdOnly,
    /// `m.room.encrypted` with its content.
    Encrypted(EncryptedContent<'a>),
    /// `m.room.encrypted` announced, but no content came along.
    EncryptedWithoutContent,
    /// An unencrypted event, with its content when there was one.
    Plain(Option<Content<'a>>),
    Redacted,
}

/// A parsed Matrix push. Borrowed from the input bytes where JSON allows it.
#[derive(Debug, Clone)]
pub struct Push<'a> {
    pub room_id: Cow<'a, str>,
    pub event_id: Cow<'a, str>,
    /// The event type, when the push has it (not in `event_id_only` pushes).
    pub event_type: Option<Cow<'a, str>>,
    pub sender: Option<Cow<'a, str>>,
    pub sender_display_name: Option<Cow<'a, str>>,
    pub room_name: Option<Cow<'a, str>>,
    /// Element X iOS: hex SHA-256 of the user id.
    pub client_identifier: Option<Cow<'a, str>>,
    /// Element X Android: the per-user client secret.
    pub client_secret: Option<Cow<'a, str>>,
    pub(crate) body: Body<'a>,
    pub(crate) relates_to: Option<Relation<'a>>,
}

impl<'a> Push<'a> {
    /// The encrypted content, when the push carries it.
    pub fn encrypted(&self) -> Option<&EncryptedContent<'a>> {
        match &self.body {
            Body::Encrypted(c) => Some(c),
            _ => None,
        }
    }

    pub fn is_redacted(&self) -> bool {
        matches!(self.body, Body::Redacted)
    }

    /// The thread root from the cleartext relation (`rel_type: m.thread`).
    pub fn thread_id(&self) -> Option<&str> {
        let rel = self.relates_to.as_ref()?;
        (rel.rel_type.as_deref() == Some("m.thread"))
            .then_some(rel.event_id.as_deref())
            .flatten()
    }

    /// The event an edit replaces (`rel_type: m.replace`).
    pub(crate) fn is_edit(&self) -> bool {
        self.relates_to
            .as_ref()
            .is_some_and(|r| r.rel_type.as_deref() == Some("m.replace"))
    }
}

const ENCRYPTED: &str = "m.room.encrypted";

/// Reads a push in any container. [`Error::NotMatrix`] when it is not a
/// Matrix push; the protocol dispatch tries the next protocol then.
pub fn parse_push(bytes: &[u8]) -> Result<Push<'_>, Error> {
    let mut wire: Wire = serde_json::from_slice(bytes).map_err(|e| Error::json("push", &e))?;
    // FCM HTTP bodies wrap the data map.
    loop {
        if wire.event_id.is_some() || wire.room_id.is_some() {
            break;
        }
        wire = match (wire.data.take(), wire.message.take()) {
            (Some(inner), _) | (None, Some(inner)) => *inner,
            (None, None) => break,
        };
    }
    if wire.ejson.is_some() {
        return Err(Error::NotMatrix("a Rocket.Chat ejson push"));
    }
    let event_id = wire.event_id.take().filter(|e| e.starts_with('$'));
    let room_id = wire.room_id.take().filter(|r| r.starts_with('!'));
    let (Some(event_id), Some(room_id)) = (event_id, room_id) else {
        return Err(Error::NotMatrix("no $event_id and !room_id"));
    };
    let redacted = wire
        .unsigned
        .as_ref()
        .is_some_and(|u| u.redacted_because.is_some());
    let content = wire.content.take().map(|c| c.0);
    let is_encrypted = wire.kind.as_deref() == Some(ENCRYPTED);
    let mut relates_to = None;
    let body = if redacted {
        Body::Redacted
    } else if let Some(mut content) = content {
        relates_to = content.relates_to.take();
        if is_encrypted && content.is_empty_encrypted() {
            Body::Redacted
        } else if is_encrypted || content.algorithm.is_some() {
            encrypted(
                content.algorithm,
                content.ciphertext,
                content.session_id,
                content.sender_key,
                content.device_id,
            )
        } else {
            Body::Plain(Some(content))
        }
    } else if wire.content_algorithm.is_some() || wire.content_ciphertext.is_some() {
        encrypted(
            wire.content_algorithm.take(),
            wire.content_ciphertext.take(),
            wire.content_session_id.take(),
            wire.content_sender_key.take(),
            wire.content_device_id.take(),
        )
    } else if is_encrypted {
        Body::EncryptedWithoutContent
    } else if wire.kind.is_some() {
        Body::Plain(None)
    } else {
        Body::IdOnly
    };
    Ok(Push {
        room_id,
        event_id,
        event_type: wire.kind,
        sender: wire.sender,
        sender_display_name: wire.sender_display_name,
        room_name: wire.room_name,
        client_identifier: wire.pusher_notification_client_identifier,
        client_secret: wire.cs,
        body,
        relates_to,
    })
}

fn encrypted<'a>(
    algorithm: Str<'a>,
    ciphertext: Str<'a>,
    session_id: Str<'a>,
    sender_key: Str<'a>,
    device_id: Str<'a>,
) -> Body<'a> {
    let cut = ciphertext.as_deref().is_some_and(|c| c.ends_with(CUT_MARK));
    Body::Encrypted(EncryptedContent {
        algorithm: algorithm.unwrap_or(Cow::Borrowed("")),
        ciphertext: ciphertext.filter(|_| !cut),
        session_id,
        sender_key,
        device_id,
        cut,
    })
}
