//! Encrypted message formats (spec §6): the legacy `msg` string and the
//! `rc.v1.aes-sha2` / `rc.v2.aes-sha2` content objects.

use std::fmt;

use serde_json::Value;

use super::base64;
use crate::error::{Error, Result};
use crate::limits::MAX_CIPHERTEXT_CHARS;

/// The v1 key id is always the first 12 characters.
const V1_KID_CHARS: usize = 12;
const CBC_IV: usize = 16;

pub const ALGORITHM_V1: &str = "rc.v1.aes-sha2";
pub const ALGORITHM_V2: &str = "rc.v2.aes-sha2";

/// How a message was encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFormat {
    /// `msg` = keyID(12) ‖ base64(iv ‖ AES-CBC), servers before 6.10.
    LegacyMsg,
    /// `content` with `rc.v1.aes-sha2`.
    V1,
    /// `content` with `rc.v2.aes-sha2`.
    V2,
}

impl MessageFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LegacyMsg => "legacy-msg",
            Self::V1 => ALGORITHM_V1,
            Self::V2 => ALGORITHM_V2,
        }
    }
}

impl fmt::Display for MessageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An encrypted message, decoded but not decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedMessage {
    pub format: MessageFormat,
    /// The key id the sender names; `None` only when a v2 message omits it.
    pub kid: Option<String>,
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// What a message object says about its encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encrypted {
    Message(EncryptedMessage),
    /// Marked encrypted but carries no ciphertext (servers up to 6.14 push
    /// `content` messages without it): the message must be fetched.
    Missing,
}

impl EncryptedMessage {
    /// Picks the ciphertext from a message's `content` and `msg`, as the
    /// newest web client does: a valid `content` wins, else a non-empty `msg`
    /// is read as the legacy format.
    pub fn from_parts(content: Option<&Value>, msg: Option<&str>) -> Result<Encrypted> {
        let content = content.filter(|c| !c.is_null());
        Self::choose(content.map(Self::from_content), msg)
    }

    /// [`Self::from_parts`] once `content` (when present and not null) is read.
    pub(crate) fn choose(
        from_content: Option<Result<Self>>,
        msg: Option<&str>,
    ) -> Result<Encrypted> {
        match (from_content, msg.filter(|m| !m.is_empty())) {
            (Some(Ok(m)), _) => Ok(Encrypted::Message(m)),
            (Some(Err(_)), Some(msg)) | (None, Some(msg)) => {
                Self::from_v1_string(MessageFormat::LegacyMsg, msg).map(Encrypted::Message)
            }
            (Some(Err(e)), None) => Err(e),
            (None, None) => Ok(Encrypted::Missing),
        }
    }

    /// Reads a `content` object.
    pub fn from_content(content: &Value) -> Result<Self> {
        let obj = content
            .as_object()
            .ok_or_else(|| Error::malformed("content is not an object"))?;
        Self::from_fields(|k| match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(Error::malformed(format!("content.{k} is not a string"))),
        })
    }

    /// Reads a `content` object through `field`, which gives a member's
    /// string, `None` when it is absent or null, or the type error.
    pub(crate) fn from_fields<'c>(field: impl Fn(&str) -> Result<Option<&'c str>>) -> Result<Self> {
        let algorithm =
            field("algorithm")?.ok_or_else(|| Error::malformed("content has no algorithm"))?;
        let ciphertext =
            field("ciphertext")?.ok_or_else(|| Error::malformed("content has no ciphertext"))?;
        match algorithm {
            ALGORITHM_V1 => Self::from_v1_string(MessageFormat::V1, ciphertext),
            ALGORITHM_V2 => {
                let iv = field("iv")?
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| Error::malformed("rc.v2 content has no iv"))?;
                if ciphertext.is_empty() {
                    return Err(Error::malformed("rc.v2 content has an empty ciphertext"));
                }
                check_len(ciphertext)?;
                Ok(Self {
                    format: MessageFormat::V2,
                    kid: field("kid")?.filter(|s| !s.is_empty()).map(str::to_owned),
                    iv: base64::decode("iv", iv)?,
                    ciphertext: base64::decode("ciphertext", ciphertext)?,
                })
            }
            other => Err(Error::UnsupportedAlgorithm(truncate(other))),
        }
    }

    /// `keyID(12) ‖ base64(iv16 ‖ ciphertext)`, used by legacy `msg` and v1.
    fn from_v1_string(format: MessageFormat, s: &str) -> Result<Self> {
        check_len(s)?;
        if !s.is_ascii() || s.len() <= V1_KID_CHARS {
            return Err(Error::ciphertext("too short for key id extraction"));
        }
        let (kid, rest) = s.split_at(V1_KID_CHARS);
        let mut data = base64::decode("ciphertext", rest)?;
        if data.len() <= CBC_IV {
            return Err(Error::ciphertext("too short for iv extraction"));
        }
        let ciphertext = data.split_off(CBC_IV);
        Ok(Self {
            format,
            kid: Some(kid.to_owned()),
            iv: data,
            ciphertext,
        })
    }
}

fn check_len(s: &str) -> Result<()> {
    if s.len() > MAX_CIPHERTEXT_CHARS {
        return Err(Error::TooLarge {
            what: "ciphertext",
            limit: MAX_CIPHERTEXT_CHARS,
        });
    }
    Ok(())
}

/// Algorithm names come from the network: keep error text short.
fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_fields() {
        let m = EncryptedMessage::from_content(&json!({
            "algorithm": "rc.v2.aes-sha2", "kid": "k1", "iv": "AAAAAAAAAAAAAAAA", "ciphertext": "AAAA"
        }))
        .unwrap();
        assert_eq!(
            (m.format, m.kid.as_deref(), m.iv.len()),
            (MessageFormat::V2, Some("k1"), 12)
        );
        let no_iv = json!({"algorithm": "rc.v2.aes-sha2", "kid": "k", "ciphertext": "AAAA"});
        assert!(matches!(
            EncryptedMessage::from_content(&no_iv),
            Err(Error::MalformedPayload(_))
        ));
        let megolm = json!({"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AAAA"});
        assert!(matches!(
            EncryptedMessage::from_content(&megolm),
            Err(Error::UnsupportedAlgorithm(_))
        ));
    }

    #[test]
    fn v1_string_split() {
        let s = format!("eyJhbGciOiJB{}", "A".repeat(44));
        let m = EncryptedMessage::from_v1_string(MessageFormat::V1, &s).unwrap();
        assert_eq!(m.kid.as_deref(), Some("eyJhbGciOiJB"));
        assert_eq!((m.iv.len(), m.ciphertext.len()), (16, 17));
        assert!(EncryptedMessage::from_v1_string(MessageFormat::V1, "eyJhbGciOiJB").is_err());
    }

    #[test]
    fn choosing_between_content_and_msg() {
        assert_eq!(
            EncryptedMessage::from_parts(None, Some("")).unwrap(),
            Encrypted::Missing
        );
        assert_eq!(
            EncryptedMessage::from_parts(Some(&Value::Null), None).unwrap(),
            Encrypted::Missing
        );
        let legacy = format!("abcdefghijkl{}", "A".repeat(44));
        let bad_content = json!({"algorithm": "rc.v9"});
        let got = EncryptedMessage::from_parts(Some(&bad_content), Some(&legacy)).unwrap();
        assert!(matches!(got, Encrypted::Message(m) if m.format == MessageFormat::LegacyMsg));
    }
}
