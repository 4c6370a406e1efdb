//! Turns a decrypted message into the text a person should see (spec §6.4):
//! `{msg}`, the legacy `{text}`, or a file message. Never raw JSON.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// `M` is how `msg` is read: as raw JSON (borrowed, so that the text is
/// copied only into zeroizing buffers), or as text only ([`MsgText`]).
#[derive(Deserialize)]
#[serde(bound = "M: Deserialize<'de>")]
struct MessageJson<M> {
    msg: Option<M>,
    text: Option<Zeroizing<String>>,
    attachments: Option<Vec<Attachment>>,
    file: Option<FileInfo>,
    files: Option<Vec<FileInfo>>,
}

#[derive(Deserialize)]
struct Attachment {
    title: Option<Zeroizing<String>>,
    description: Option<Zeroizing<String>>,
}

#[derive(Deserialize)]
struct FileInfo {
    name: Option<Zeroizing<String>>,
}

/// Reads decrypted bytes as a message and returns its display text.
pub(crate) fn message_text(plain: &[u8]) -> Result<SecretString> {
    let text = std::str::from_utf8(plain).map_err(|_| Error::BadPlaintext("not UTF-8".into()))?;
    // The usual message, a `msg` string with something in it, is read in
    // one pass. Anything else (a failure included) is read again below,
    // which gives the same text for the usual message.
    if let Ok(MessageJson {
        msg: Some(MsgText(s)),
        ..
    }) = serde_json::from_str::<MessageJson<MsgText>>(text)
    {
        if !s.expose().trim().is_empty() {
            return Ok(s);
        }
    }
    let parsed: MessageJson<&RawValue> = serde_json::from_str(text).map_err(|e| {
        Error::BadPlaintext(if e.is_data() {
            "not a JSON object".into()
        } else {
            "not JSON".into()
        })
    })?;
    if let Some(raw) = parsed.msg {
        if let Some(s) = msg_as_text(raw)? {
            // A file message's msg is often empty or blank: the files
            // say more than nothing.
            if !s.expose().trim().is_empty() || !has_files(&parsed) {
                return Ok(s);
            }
        }
    }
    if let Some(text) = parsed.text {
        return Ok(SecretString::new(text.to_string()));
    }
    if has_files(&parsed) {
        return Ok(file_text(&parsed));
    }
    Err(Error::BadPlaintext("no message text".into()))
}

/// A `msg` that is a string, straight into a zeroizing buffer.
struct MsgText(SecretString);

impl<'de> Deserialize<'de> for MsgText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_str(MsgTextVisitor)
    }
}

struct MsgTextVisitor;

impl Visitor<'_> for MsgTextVisitor {
    type Value = MsgText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<MsgText, E> {
        Ok(MsgText(SecretString::from(s)))
    }
}

/// `msg` may be a string; a number or boolean is shown as written (as the
/// Android app does); anything else is not text.
fn msg_as_text(raw: &RawValue) -> Result<Option<SecretString>> {
    match raw.get().as_bytes().first() {
        Some(b'"') => {
            let s: Zeroizing<String> = serde_json::from_str(raw.get())
                .map_err(|_| Error::BadPlaintext("msg is not a string".into()))?;
            Ok(Some(SecretString::new(s.to_string())))
        }
        Some(b'-' | b'0'..=b'9' | b't' | b'f') => Ok(Some(SecretString::from(raw.get()))),
        Some(b'n') => Ok(None),
        _ => Err(Error::BadPlaintext("msg is not text".into())),
    }
}

fn has_files<M>(m: &MessageJson<M>) -> bool {
    m.file.is_some()
        || m.files.as_ref().is_some_and(|f| !f.is_empty())
        || m.attachments.as_ref().is_some_and(|a| !a.is_empty())
}

/// A caption if the sender wrote one, else a paperclip and the file names.
fn file_text<M>(m: &MessageJson<M>) -> SecretString {
    let attachments = m.attachments.as_deref().unwrap_or_default();
    if let Some(caption) = attachments
        .iter()
        .find_map(|a| a.description.as_ref().filter(|d| !d.trim().is_empty()))
    {
        return SecretString::new(caption.to_string());
    }
    let named = |files: &[FileInfo]| -> Vec<String> {
        files
            .iter()
            .filter_map(|f| f.name.as_ref().map(|n| n.to_string()))
            .collect()
    };
    let mut names = named(m.files.as_deref().unwrap_or_default());
    if names.is_empty() {
        names = named(m.file.as_slice());
    }
    if names.is_empty() {
        names = attachments
            .iter()
            .filter_map(|a| a.title.as_ref().map(|t| t.to_string()))
            .collect();
    }
    if names.is_empty() {
        return SecretString::from("📎 File");
    }
    let mut out = Zeroizing::new(String::from("📎 "));
    out.push_str(&names.join(", "));
    for n in &mut names {
        zeroize::Zeroize::zeroize(n);
    }
    SecretString::new(out.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> Result<String> {
        message_text(json.as_bytes()).map(|s| s.expose().to_owned())
    }

    #[test]
    fn shapes() {
        assert_eq!(text(r#"{"msg":"a: b: c"}"#).unwrap(), "a: b: c");
        // The message's own text; the outcome turns a blank one into the
        // generic text (decrypt.rs).
        assert_eq!(text(r#"{"msg":""}"#).unwrap(), "");
        assert_eq!(text(r#"{"msg":"  "}"#).unwrap(), "  ");
        assert_eq!(
            text(r#"{"msg":" \n","files":[{"name":"a.pdf"}]}"#).unwrap(),
            "📎 a.pdf"
        );
        assert_eq!(
            text(r#"{"attachments":[{"title":"a.png","description":"  "}]}"#).unwrap(),
            "📎 a.png"
        );
        assert_eq!(text(r#"{"msg":42}"#).unwrap(), "42");
        assert_eq!(text(r#"{"msg":"ä \"q\" \u00e9"}"#).unwrap(), "ä \"q\" é");
        assert_eq!(text(r#"{"msg":"\\"}"#).unwrap(), "\\");
        assert_eq!(
            text(r#"{"_id":"x","text":"old","userId":"u","ts":{"$date":1}}"#).unwrap(),
            "old"
        );
        assert_eq!(
            text(
                r#"{"files":[{"name":"a.pdf"},{"name":"b.png"}],"attachments":[{"title":"a.pdf"}]}"#
            )
            .unwrap(),
            "📎 a.pdf, b.png"
        );
        assert_eq!(
            text(r#"{"attachments":[{"title":"a","description":"look"}],"file":{"name":"a"}}"#)
                .unwrap(),
            "look"
        );
    }

    #[test]
    fn rejects_non_messages() {
        for bad in [
            "hello",
            "[1,2]",
            "\"str\"",
            "{}",
            r#"{"msg":{"a":1}}"#,
            r#"{"msg":[1]}"#,
            r#"{"msg":"text","text":5}"#,
            r#"{"msg":"text","msg":"again"}"#,
        ] {
            assert!(matches!(text(bad), Err(Error::BadPlaintext(_))), "{bad}");
        }
        assert!(matches!(
            message_text(&[0xff, 0xfe]),
            Err(Error::BadPlaintext(_))
        ));
    }
}
