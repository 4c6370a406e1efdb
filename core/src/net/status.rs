//! Transport errors from reqwest turned into typed errors, and
//! server-chosen text made safe to show.

use std::error::Error as StdError;

use super::transport::AttemptError;
use crate::error::Error;

/// Server-chosen text is cut to this many characters before it reaches an
/// error message or a log.
pub(crate) const MAX_SERVER_TEXT: usize = 160;

/// Printable and short: the text comes from the network.
pub(crate) fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_SERVER_TEXT)
        .collect()
}

/// Maps a reqwest failure. Certificate problems are not retried: the same
/// server will present the same certificate.
pub(crate) fn from_reqwest(e: reqwest::Error) -> AttemptError {
    let e = e.without_url();
    if let Some(tls) = tls_error(&e) {
        return AttemptError::Fatal(Error::Tls(tls));
    }
    let text = describe(&e);
    if e.is_redirect() {
        AttemptError::Fatal(Error::Network(text))
    } else if e.is_timeout() {
        AttemptError::Retry(Error::Timeout(text))
    } else if e.is_builder() {
        AttemptError::Fatal(Error::Network(text))
    } else {
        AttemptError::Retry(Error::Network(text))
    }
}

/// The error and its causes on one line.
pub(crate) fn describe(e: &(dyn StdError + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    sanitize(&text)
}

/// rustls errors travel inside `io::Error`s (nested, in practice), whose
/// `source()` skips the wrapped error, so each wrapper is opened by hand.
fn tls_error(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cause {
        let mut inner = c;
        loop {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(sanitize(&tls_text(tls)));
            }
            match inner
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        cause = c.source();
    }
    None
}

/// rustls prints its own `Other` errors with `Debug`; ours (a pin
/// mismatch) deserve their sentence.
fn tls_text(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)) => {
            format!("invalid peer certificate: {}", other.0)
        }
        e => e.to_string(),
    }
}
