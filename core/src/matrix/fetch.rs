//! What a Matrix push may fetch, and what the homeserver's answers mean.
//! Pure: the caller does the HTTP (access token as `Authorization: Bearer`)
//! and hands the status and body back.

use std::time::Duration;

use serde::Deserialize;

use crate::FailureReason;

/// The client-server API prefix every request is under.
pub const CLIENT_V3: &str = "/_matrix/client/v3";

/// One GET a push may need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `GET /rooms/{roomId}/event/{eventId}`.
    Event { room_id: String, event_id: String },
    /// `GET /room_keys/keys/{roomId}/{sessionId}?version=V`.
    BackupSession {
        room_id: String,
        session_id: String,
        version: String,
    },
}

impl Request {
    /// The path and query to append to the homeserver's base URL, ids
    /// percent-encoded (a `/` in a session id is `%2F`).
    pub fn path_and_query(&self) -> String {
        match self {
            Self::Event { room_id, event_id } => format!(
                "{CLIENT_V3}/rooms/{}/event/{}",
                encode_segment(room_id),
                encode_segment(event_id)
            ),
            Self::BackupSession {
                room_id,
                session_id,
                version,
            } => format!(
                "{CLIENT_V3}/room_keys/keys/{}/{}?version={}",
                encode_segment(room_id),
                encode_segment(session_id),
                encode_segment(version)
            ),
        }
    }

    /// `event` or `backup`, for logs and request counts.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Event { .. } => "event",
            Self::BackupSession { .. } => "backup",
        }
    }
}

/// `<homeserver><path>`, keeping a homeserver's own sub-path.
pub fn url(homeserver: &str, request: &Request) -> String {
    format!(
        "{}{}",
        homeserver.trim_end_matches('/'),
        request.path_and_query()
    )
}

/// `GET /_matrix/client/v3/account/whoami`, to check a token.
pub fn whoami_path() -> String {
    format!("{CLIENT_V3}/account/whoami")
}

/// `GET /_matrix/client/v3/room_keys/version`.
pub fn backup_version_path() -> String {
    format!("{CLIENT_V3}/room_keys/version")
}

/// `GET /_matrix/client/v3/room_keys/keys?version=V`.
pub fn backup_keys_path(version: &str) -> String {
    format!(
        "{CLIENT_V3}/room_keys/keys?version={}",
        encode_segment(version)
    )
}

/// `GET /_matrix/client/v3/user/{userId}/account_data/{type}`: the
/// secret-storage events an Element recovery key needs to open the backup.
pub fn account_data_path(user_id: &str, kind: &str) -> String {
    format!(
        "{CLIENT_V3}/user/{}/account_data/{}",
        encode_segment(user_id),
        encode_segment(kind)
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so
/// `!`, `$`, `:`, `/` and `+` in Matrix ids can never change the path.
pub fn encode_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len() + id.len() / 2);
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A homeserver answer that is not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// 404 (`M_NOT_FOUND`, or an endpoint the server lacks).
    NotFound,
    /// 401 (`M_UNKNOWN_TOKEN`, `M_MISSING_TOKEN`) or 403.
    Unauthorized { errcode: Option<String> },
    /// 429 `M_LIMIT_EXCEEDED`: the wait the server asks for, if it said.
    RateLimited { retry_after: Option<Duration> },
    /// Any other status.
    Server {
        status: u16,
        errcode: Option<String>,
    },
}

impl AnswerError {
    /// The neutral failure reason for this answer.
    pub fn reason(&self) -> FailureReason {
        match self {
            Self::NotFound => FailureReason::NotFound,
            Self::Unauthorized { .. } => FailureReason::Unauthorized,
            Self::RateLimited { .. } | Self::Server { .. } => FailureReason::ServerError,
        }
    }

    /// A secret-free description: the status and the error code only.
    pub fn detail(&self) -> String {
        let code = |c: &Option<String>| c.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
        match self {
            Self::NotFound => "404 M_NOT_FOUND".into(),
            Self::Unauthorized { errcode } => format!("401{}", code(errcode)),
            Self::RateLimited { retry_after } => match retry_after {
                Some(d) => format!("429 M_LIMIT_EXCEEDED (retry after {} ms)", d.as_millis()),
                None => "429 M_LIMIT_EXCEEDED".into(),
            },
            Self::Server { status, errcode } => format!("{status}{}", code(errcode)),
        }
    }
}

/// The standard error body, `{"errcode", "error", "retry_after_ms"?}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errcode: Option<String>,
    #[serde(default)]
    retry_after_ms: Option<u64>,
}

/// Only the server's own error code is kept, and only if it looks like one.
fn errcode(body: &[u8]) -> (Option<String>, Option<u64>) {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        return (None, None);
    };
    let code = parsed
        .errcode
        .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
    (code, parsed.retry_after_ms)
}

/// Reads a status and body: `Ok(())` for a 2xx, else what went wrong. A
/// 429's wait comes from `Retry-After` (seconds, spec v1.10) or else from
/// the body's deprecated `retry_after_ms`.
pub fn check_answer(
    status: u16,
    body: &[u8],
    retry_after_header: Option<Duration>,
) -> Result<(), AnswerError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let (errcode, retry_ms) = errcode(body);
    Err(match status {
        404 => AnswerError::NotFound,
        401 | 403 => AnswerError::Unauthorized { errcode },
        429 => AnswerError::RateLimited {
            retry_after: retry_after_header.or(retry_ms.map(Duration::from_millis)),
        },
        _ if errcode.as_deref() == Some("M_NOT_FOUND") => AnswerError::NotFound,
        _ if errcode.as_deref() == Some("M_LIMIT_EXCEEDED") => AnswerError::RateLimited {
            retry_after: retry_after_header.or(retry_ms.map(Duration::from_millis)),
        },
        _ => AnswerError::Server { status, errcode },
    })
}

/// The wait before retrying a rate-limited request, only when it ends
/// before the deadline with room for the request itself; `None` means give
/// up now. A 429 without a wait is retried after `fallback`.
pub fn retry_wait(
    retry_after: Option<Duration>,
    fallback: Duration,
    remaining: Duration,
) -> Option<Duration> {
    let wait = retry_after.unwrap_or(fallback);
    // The retry must still have a quarter of what is left to run in.
    let room = remaining.checked_sub(wait)?;
    (room >= remaining / 4 && !room.is_zero()).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_percent_encode_every_id() {
        let event = Request::Event {
            room_id: "!projectx:example.org".into(),
            event_id: "$mC2e/Pr+m W9".into(),
        };
        assert_eq!(
            event.path_and_query(),
            "/_matrix/client/v3/rooms/%21projectx%3Aexample.org/event/%24mC2e%2FPr%2Bm%20W9"
        );
        let backup = Request::BackupSession {
            room_id: "!archive:example.org".into(),
            session_id: "TL+JUvH4/TvZ".into(),
            version: "7".into(),
        };
        assert_eq!(
            url("https://hs.example.org/sub/", &backup),
            "https://hs.example.org/sub/_matrix/client/v3/room_keys/keys/%21archive%3Aexample.org/TL%2BJUvH4%2FTvZ?version=7"
        );
        assert_eq!(encode_segment("é?#&"), "%C3%A9%3F%23%26");
        assert_eq!(
            backup_keys_path("a b"),
            "/_matrix/client/v3/room_keys/keys?version=a%20b"
        );
    }

    #[test]
    fn success_is_any_2xx() {
        assert_eq!(check_answer(200, b"{}", None), Ok(()));
        assert_eq!(check_answer(204, b"", None), Ok(()));
    }

    #[test]
    fn not_found_is_not_found() {
        let e = check_answer(404, br#"{"errcode":"M_NOT_FOUND","error":"x"}"#, None).unwrap_err();
        assert_eq!(e, AnswerError::NotFound);
        assert_eq!(e.reason(), FailureReason::NotFound);
        assert_eq!(e.detail(), "404 M_NOT_FOUND");
        // An endpoint a proxy does not know is a 404 too, whatever the body.
        assert_eq!(
            check_answer(404, b"<html>", None).unwrap_err().reason(),
            FailureReason::NotFound
        );
    }

    #[test]
    fn unknown_token_is_unauthorized() {
        let e = check_answer(401, br#"{"errcode":"M_UNKNOWN_TOKEN"}"#, None).unwrap_err();
        assert_eq!(e.reason(), FailureReason::Unauthorized);
        assert_eq!(e.detail(), "401 M_UNKNOWN_TOKEN");
        let e = check_answer(403, br#"{"errcode":"M_FORBIDDEN"}"#, None).unwrap_err();
        assert_eq!(e.reason(), FailureReason::Unauthorized);
    }

    #[test]
    fn rate_limit_takes_the_header_then_the_body() {
        let body = br#"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500}"#;
        assert_eq!(
            check_answer(429, body, None),
            Err(AnswerError::RateLimited {
                retry_after: Some(Duration::from_millis(1500))
            })
        );
        assert_eq!(
            check_answer(429, body, Some(Duration::from_secs(3))),
            Err(AnswerError::RateLimited {
                retry_after: Some(Duration::from_secs(3))
            })
        );
        let e = check_answer(429, b"", None).unwrap_err();
        assert_eq!(e, AnswerError::RateLimited { retry_after: None });
        assert_eq!(e.reason(), FailureReason::ServerError);
    }

    #[test]
    fn other_errors_keep_status_and_a_plausible_code_only() {
        let e = check_answer(500, br#"{"errcode":"M_UNKNOWN"}"#, None).unwrap_err();
        assert_eq!(e.detail(), "500 M_UNKNOWN");
        assert_eq!(e.reason(), FailureReason::ServerError);
        // A body that smuggles text in errcode is not echoed.
        let e = check_answer(502, br#"{"errcode":"secret token abc"}"#, None).unwrap_err();
        assert_eq!(e.detail(), "502");
        let e = check_answer(400, br#"{"errcode":"M_NOT_FOUND"}"#, None).unwrap_err();
        assert_eq!(e, AnswerError::NotFound);
    }

    #[test]
    fn a_rate_limit_is_waited_out_only_within_the_deadline() {
        let ms = Duration::from_millis;
        assert_eq!(retry_wait(Some(ms(300)), ms(500), ms(2000)), Some(ms(300)));
        assert_eq!(retry_wait(None, ms(500), ms(2000)), Some(ms(500)));
        // Waiting would leave too little for the retry itself.
        assert_eq!(retry_wait(Some(ms(1800)), ms(500), ms(2000)), None);
        assert_eq!(retry_wait(Some(ms(5000)), ms(500), ms(2000)), None);
        assert_eq!(retry_wait(Some(ms(0)), ms(0), ms(0)), None);
    }
}
