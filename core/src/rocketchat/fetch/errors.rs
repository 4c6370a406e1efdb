//! Failures as Rocket.Chat reports them, turned into typed errors:
//! `{"success":false,"error":"…","errorType":"…"}` (400, 403, 404, 5xx),
//! `{"status":"error","message":"You must be logged in to do this."}` (401
//! before 8.0).

use serde_json::Value;

use crate::error::Error;
use crate::net::sanitize;

/// Rocket.Chat's reading of an error answer: the typed error, and whether
/// asking again may help.
pub(crate) fn from_status(code: u16, body: &[u8]) -> (Error, bool) {
    let text = server_text(body).unwrap_or_else(|| format!("HTTP {code}"));
    let server = |status| Error::Server {
        status,
        message: text.clone(),
    };
    match code {
        401 | 403 => (Error::Unauthorized(text), false),
        404 => (Error::NotFound(text), false),
        408 | 429 | 500 | 502..=599 => (server(code), true),
        // Route errors are 400 with the error name as text (push.get throws
        // plain `Error('error-message-not-found')`).
        400 if text.contains("not-found") => (Error::NotFound(text), false),
        400 if ["not-allowed", "unauthorized", "forbidden"]
            .iter()
            .any(|k| text.contains(k)) =>
        {
            (Error::Unauthorized(text), false)
        }
        400 if text.contains("too-many-requests") => (server(429), true),
        _ => (server(code), false),
    }
}

/// `errorType: error` or the `message`, whichever the body has; `None` when
/// the body is not Rocket.Chat's JSON.
fn server_text(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let field = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let text = match (
        field("errorType"),
        field("error").or_else(|| field("message")),
    ) {
        (Some(kind), Some(msg)) if kind != msg => format!("{kind}: {msg}"),
        (kind, msg) => kind.or(msg)?.to_owned(),
    };
    Some(sanitize(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::MAX_SERVER_TEXT;

    fn fatal(code: u16, body: &str) -> Error {
        match from_status(code, body.as_bytes()) {
            (e, false) => e,
            (error, true) => panic!("{code} retried: {error}"),
        }
    }

    #[test]
    fn rocketchat_error_bodies() {
        let logged_out = r#"{"success":false,"error":"You must be logged in to do this.","status":"error","message":"You must be logged in to do this."}"#;
        assert_eq!(
            fatal(401, logged_out),
            Error::Unauthorized("You must be logged in to do this.".into())
        );
        assert_eq!(
            fatal(
                400,
                r#"{"success":false,"error":"error-message-not-found"}"#
            ),
            Error::NotFound("error-message-not-found".into())
        );
        assert!(matches!(
            fatal(400, r#"{"success":false,"error":"error-not-allowed"}"#),
            Error::Unauthorized(_)
        ));
        let typed = r#"{"success":false,"error":"The room does not exist [error-room-not-found]","errorType":"error-room-not-found"}"#;
        assert!(
            matches!(fatal(400, typed), Error::NotFound(t) if t.starts_with("error-room-not-found: "))
        );
        assert_eq!(
            fatal(400, "<html>"),
            Error::Server {
                status: 400,
                message: "HTTP 400".into()
            }
        );
    }

    #[test]
    fn transient_statuses_are_retried() {
        for code in [429, 500, 502, 503, 504] {
            assert!(from_status(code, b"").1, "{code}");
        }
        assert!(!from_status(501, b"").1);
    }

    #[test]
    fn server_text_is_short_and_printable() {
        let long = format!(
            r#"{{"success":false,"error":"{}\u001b[31m"}}"#,
            "x".repeat(500)
        );
        let (Error::Server { message, .. }, false) = from_status(418, long.as_bytes()) else {
            panic!("418 must be a fatal server error")
        };
        assert_eq!(message.chars().count(), MAX_SERVER_TEXT);
        assert!(!message.contains('\u{1b}'));
    }
}
