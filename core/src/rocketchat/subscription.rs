//! Subscription objects as `subscriptions.get` and `subscriptions.getOne`
//! return them (spec §5.4): the member's wrapped room keys.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// One member's subscription to a room; only the members pushseal needs.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Subscription {
    pub rid: String,
    #[serde(rename = "t")]
    pub room_type: Option<String>,
    pub name: Option<String>,
    pub fname: Option<String>,
    /// The current room key wrapped for this member.
    #[serde(rename = "E2EKey")]
    pub e2e_key: Option<String>,
    /// Keys from before room-key resets, newest first.
    #[serde(rename = "oldRoomKeys", default)]
    pub old_room_keys: Vec<OldRoomKey>,
}

/// An entry of `oldRoomKeys`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct OldRoomKey {
    #[serde(rename = "e2eKeyId", default)]
    pub key_id: String,
    #[serde(rename = "E2EKey")]
    pub e2e_key: String,
}

impl Subscription {
    /// Reads subscriptions from any shape a user might paste: an array, a
    /// `subscriptions.get` response (`{"update": […]}`), a
    /// `subscriptions.getOne` response (`{"subscription": {…}}`) or one object.
    pub fn list_from_value(v: &Value) -> Result<Vec<Self>> {
        let parse = |v: &Value| {
            Self::deserialize(v).map_err(|e| Error::malformed(format!("subscription: {e}")))
        };
        match v {
            Value::Array(items) => items.iter().map(parse).collect(),
            Value::Object(o) if o.get("update").is_some_and(Value::is_array) => {
                Self::list_from_value(&o["update"])
            }
            Value::Object(o) if o.contains_key("subscription") => {
                Ok(vec![parse(&o["subscription"])?])
            }
            Value::Object(_) => Ok(vec![parse(v)?]),
            _ => Err(Error::malformed("subscriptions must be an array or object")),
        }
    }
}
