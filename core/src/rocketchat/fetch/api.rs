//! The Rocket.Chat endpoints pushseal calls, and the shapes of their
//! answers (spec §8; Rocket.Chat `app/api/server/v1/{push,subscriptions,e2e,misc}.ts`).

use serde::Deserialize;
use serde_json::Value;
use url::Url;
use zeroize::Zeroizing;

use super::account::Credentials;
use super::errors::from_status;
use crate::error::{Error, Result};
use crate::limits::{MAX_FETCHED_BYTES, MAX_KEYS_FILE_BYTES};
use crate::net::{sanitize, Auth, Deadline, Http, Response, Session, Verdict};
use crate::rocketchat::Subscription;
use crate::secret::SecretString;

/// `push.get` → `data`: the stored message and the notification the server
/// would have pushed for it.
#[derive(Debug)]
pub(crate) struct FetchedPush {
    pub message: Value,
    pub notification: FetchedNotification,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FetchedNotification {
    pub title: Option<String>,
    pub text: Option<String>,
    pub payload: Value,
    #[serde(rename = "notId")]
    pub not_id: Option<Value>,
}

/// `subscriptions.get` without `updatedSince`: every subscription.
#[derive(Debug, Default)]
pub(crate) struct SubscriptionList {
    pub update: Vec<Subscription>,
    /// Entries that were not subscription objects.
    pub unreadable: usize,
    pub removed: usize,
}

/// `e2e.fetchMyKeys`: `private_key` is absent when the user has no keys.
pub(crate) struct MyKeys {
    /// Still encrypted with the E2E password (spec §4).
    pub private_key: Option<Zeroizing<String>>,
}

/// The encrypted key is a password-guessing target: say only whether it
/// is there.
impl std::fmt::Debug for MyKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.private_key.as_ref().map(|_| "<redacted>");
        f.debug_struct("MyKeys")
            .field("private_key", &shown)
            .finish()
    }
}

/// The endpoints, bound to one server and login.
pub(crate) struct Api {
    session: Session,
    base: Url,
    auth: Auth,
}

impl Api {
    /// Opens a session for `server` (a normalised URL) with its login.
    pub fn new(http: &Http, server: &str, credentials: Credentials) -> Result<Self> {
        let base = Url::parse(server).map_err(|e| Error::malformed(format!("server URL: {e}")))?;
        let Credentials { user_id, token } = credentials;
        let auth = Auth::none()
            .header("X-User-Id", SecretString::from(user_id))
            .header("X-Auth-Token", token);
        Ok(Self {
            session: http.session()?,
            base,
            auth,
        })
    }

    /// `<server>/api/v1/<endpoint>?<query>`, keeping a sub-path server's path.
    fn url(&self, endpoint: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        let path = format!(
            "{}/api/v1/{endpoint}",
            self.base.path().trim_end_matches('/')
        );
        url.set_path(&path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// GETs `endpoint`, retrying what Rocket.Chat calls transient; the 2xx
    /// body or the error, prefixed with the endpoint so logs say which
    /// call failed.
    async fn body(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        limit: usize,
        deadline: Deadline,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let url = self.url(endpoint, query);
        let answer = self
            .session
            .get_steered(&url, &self.auth, limit, deadline, &steer)
            .await
            .map_err(|e| prefixed(endpoint, e))?;
        if answer.is_success() {
            return Ok(answer.body);
        }
        Err(prefixed(
            endpoint,
            from_status(answer.status, &answer.body).0,
        ))
    }

    async fn get(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
        limit: usize,
        deadline: Deadline,
    ) -> Result<Value> {
        let body = self.body(endpoint, query, limit, deadline).await?;
        parse_success(endpoint, &body)
    }

    pub async fn push_get(&self, message_id: &str, deadline: Deadline) -> Result<FetchedPush> {
        let v = self
            .get(
                "push.get",
                &[("id", message_id)],
                MAX_FETCHED_BYTES,
                deadline,
            )
            .await?;
        parse_push_get(v, message_id)
    }

    pub async fn subscription(
        &self,
        rid: &str,
        deadline: Deadline,
    ) -> Result<Option<Subscription>> {
        let v = self
            .get(
                "subscriptions.getOne",
                &[("roomId", rid)],
                MAX_FETCHED_BYTES,
                deadline,
            )
            .await?;
        parse_subscription(&v)
    }

    pub async fn subscriptions(&self, deadline: Deadline) -> Result<SubscriptionList> {
        // Typed straight from bytes: a big account's list never exists as a
        // `Value` tree.
        let body = self
            .body("subscriptions.get", &[], MAX_KEYS_FILE_BYTES, deadline)
            .await?;
        parse_subscriptions(&body)
    }

    /// `me`: the user the login belongs to, as the server knows it.
    pub async fn me(&self, deadline: Deadline) -> Result<String> {
        let v = self.get("me", &[], MAX_FETCHED_BYTES, deadline).await?;
        v.get("_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::BadResponse("me: no _id".into()))
    }

    pub async fn my_keys(&self, deadline: Deadline) -> Result<MyKeys> {
        let v = self
            .get("e2e.fetchMyKeys", &[], MAX_FETCHED_BYTES, deadline)
            .await?;
        let text = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        Ok(MyKeys {
            private_key: text("private_key").map(Zeroizing::new),
        })
    }
}

/// Rocket.Chat's transient failures are asked again, the server's
/// `Retry-After` honoured.
fn steer(answer: &Response) -> Verdict {
    if !answer.is_success() && from_status(answer.status, &answer.body).1 {
        Verdict::Retry {
            after: answer.retry_after,
        }
    } else {
        Verdict::Accept
    }
}

fn prefixed(endpoint: &str, e: Error) -> Error {
    let p = |m: String| format!("{endpoint}: {m}");
    match e {
        Error::Unauthorized(m) => Error::Unauthorized(p(m)),
        Error::NotFound(m) => Error::NotFound(p(m)),
        Error::Network(m) => Error::Network(p(m)),
        Error::Tls(m) => Error::Tls(p(m)),
        Error::Timeout(m) => Error::Timeout(p(m)),
        Error::BadResponse(m) => Error::BadResponse(p(m)),
        Error::Server { status, message } => Error::Server {
            status,
            message: p(message),
        },
        other => other,
    }
}

/// Every answer of these routes is an object with `"success": true`;
/// anything else (a proxy's page, a captive portal) is not Rocket.Chat.
pub(crate) fn parse_success(endpoint: &str, body: &[u8]) -> Result<Value> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| Error::BadResponse(format!("{endpoint}: not JSON ({e})")))?;
    match v.get("success").and_then(Value::as_bool) {
        Some(true) => Ok(v),
        Some(false) => {
            let text = v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("success: false");
            Err(Error::Server {
                status: 200,
                message: format!("{endpoint}: {}", sanitize(text)),
            })
        }
        None => Err(Error::BadResponse(format!(
            "{endpoint}: no \"success\" member"
        ))),
    }
}

pub(crate) fn parse_push_get(mut v: Value, message_id: &str) -> Result<FetchedPush> {
    let bad = |m: &str| Error::BadResponse(format!("push.get: {m}"));
    let mut data = v
        .get_mut("data")
        .map(Value::take)
        .ok_or_else(|| bad("no data"))?;
    let notification = data
        .get_mut("notification")
        .map(Value::take)
        .ok_or_else(|| bad("no data.notification"))?;
    let notification = FetchedNotification::deserialize(notification)
        .map_err(|e| bad(&format!("data.notification: {e}")))?;
    let message = data
        .get_mut("message")
        .map(Value::take)
        .unwrap_or(Value::Null);
    if let Some(id) = message.get("_id").and_then(Value::as_str) {
        if id != message_id {
            return Err(bad("answered with another message"));
        }
    }
    Ok(FetchedPush {
        message,
        notification,
    })
}

/// `{"subscription": null}` means the user is not in the room.
pub(crate) fn parse_subscription(v: &Value) -> Result<Option<Subscription>> {
    match v.get("subscription") {
        None | Some(Value::Null) => Ok(None),
        Some(sub) => Subscription::deserialize(sub)
            .map(Some)
            .map_err(|e| Error::BadResponse(format!("subscriptions.getOne: {e}"))),
    }
}

pub(crate) fn parse_subscriptions(body: &[u8]) -> Result<SubscriptionList> {
    /// One entry that may or may not be a subscription; a bad one is
    /// counted, not fatal.
    struct Lenient(Option<Subscription>);
    impl<'de> Deserialize<'de> for Lenient {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            let v = Value::deserialize(d)?;
            Ok(Self(Subscription::deserialize(&v).ok()))
        }
    }
    #[derive(Deserialize)]
    struct Body {
        success: Option<bool>,
        update: Option<Vec<Lenient>>,
        #[serde(default)]
        remove: Vec<serde::de::IgnoredAny>,
    }
    let bad = |m: String| Error::BadResponse(format!("subscriptions.get: {m}"));
    let body: Body =
        serde_json::from_slice(body).map_err(|e| bad(format!("not the expected JSON ({e})")))?;
    if body.success != Some(true) {
        return Err(bad("no \"success\": true".into()));
    }
    let update = body.update.ok_or_else(|| bad("no update list".into()))?;
    let mut list = SubscriptionList {
        removed: body.remove.len(),
        ..Default::default()
    };
    for entry in update {
        match entry.0 {
            Some(sub) => list.update.push(sub),
            None => list.unreadable += 1,
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_get_shape() {
        let v = json!({"data": {"message": {"_id": "m1", "rid": "r"}, "notification": {
            "title": "#room", "text": "alice: ", "payload": {"host": "h"}, "notId": -5}}, "success": true});
        let f = parse_push_get(v.clone(), "m1").unwrap();
        assert_eq!(f.notification.title.as_deref(), Some("#room"));
        assert_eq!(f.notification.not_id, Some(json!(-5)));
        assert!(matches!(
            parse_push_get(v, "other"),
            Err(Error::BadResponse(_))
        ));
        assert!(matches!(
            parse_push_get(json!({"data": {}}), "m1"),
            Err(Error::BadResponse(_))
        ));
    }

    #[test]
    fn success_member_is_required() {
        assert!(parse_success("x", br#"{"success":true}"#).is_ok());
        assert!(matches!(
            parse_success("x", br#"{"a":1}"#),
            Err(Error::BadResponse(_))
        ));
        assert!(matches!(
            parse_success("x", b"<html>"),
            Err(Error::BadResponse(_))
        ));
        assert!(matches!(
            parse_success("x", br#"{"success":false,"error":"e"}"#),
            Err(Error::Server { .. })
        ));
    }

    #[test]
    fn subscription_lists() {
        assert_eq!(
            parse_subscription(&json!({"subscription": null, "success": true})).unwrap(),
            None
        );
        let one = parse_subscription(&json!({"subscription": {"rid": "r1", "E2EKey": "k"}}))
            .unwrap()
            .unwrap();
        assert_eq!(
            (one.rid.as_str(), one.e2e_key.as_deref()),
            ("r1", Some("k"))
        );
        let body = br#"{"update":[{"rid":"a","t":"p","ls":"2024-01-01"},{"no":"rid"}],"remove":[{"_id":"x"}],"success":true}"#;
        let list = parse_subscriptions(body).unwrap();
        assert_eq!(
            (list.update.len(), list.unreadable, list.removed),
            (1, 1, 1)
        );
        assert!(parse_subscriptions(br#"{"update":[]}"#).is_err());
    }

    #[test]
    fn my_keys_debug_hides_the_encrypted_key() {
        let keys = MyKeys {
            private_key: Some(Zeroizing::new("SECRETBLOB-{\"$binary\":\"abc\"}".into())),
        };
        let shown = format!("{keys:?} {keys:#?}");
        assert!(!shown.contains("SECRETBLOB"), "{shown}");
        assert!(!shown.contains("abc"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        let none = format!("{:?}", MyKeys { private_key: None });
        assert!(none.contains("None"), "{none}");
    }
}
