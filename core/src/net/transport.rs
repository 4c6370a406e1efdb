//! One GET attempt: URL policy, redirects, a bounded body. Retrying is
//! [`super::retry`]'s job; what a status means is the protocol's.

use std::time::Duration;

use reqwest::header::{HeaderValue, RETRY_AFTER};
use reqwest::redirect;
use url::{Host, Url};
use zeroize::Zeroizing;

use super::config::ClientConfig;
use super::http::Response;
use super::status;
use crate::error::{Error, Result};

/// Error bodies are read only this far: enough for any JSON error.
const MAX_ERROR_BODY: usize = 16 * 1024;
const MAX_REDIRECTS: usize = 3;

/// How an attempt failed without an answer: worth another try, or not.
#[derive(Debug)]
pub(crate) enum AttemptError {
    Retry(Error),
    Fatal(Error),
}

/// The HTTP client of one session.
pub(crate) fn client(config: &ClientConfig, tls: &rustls::ClientConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .connect_timeout(config.connect_timeout)
        .redirect(redirect::Policy::custom(same_origin_only))
        // System proxies are not read on mobile either; one behaviour everywhere.
        .no_proxy()
        .user_agent(config.user_agent.as_str())
        .build()
        .map_err(|e| Error::Network(format!("cannot set up HTTP: {}", status::describe(&e))))
}

/// One GET; the answer, its body bounded by `limit` (2xx) or
/// [`MAX_ERROR_BODY`] (anything else, dropped beyond it).
pub(crate) async fn attempt(
    client: &reqwest::Client,
    url: &Url,
    headers: &[(&'static str, HeaderValue)],
    limit: usize,
) -> std::result::Result<Response, AttemptError> {
    let mut request = client.get(url.clone()).header("Accept", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.clone());
    }
    let response = request.send().await.map_err(status::from_reqwest)?;
    let code = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = if code.is_success() {
        read_limited(response, limit).await?
    } else {
        read_limited(response, limit.min(MAX_ERROR_BODY))
            .await
            .unwrap_or_default()
    };
    Ok(Response {
        status: code.as_u16(),
        body,
        retry_after,
    })
}

/// Streams the body, stopping as soon as it passes `limit`.
async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> std::result::Result<Zeroizing<Vec<u8>>, AttemptError> {
    let too_large = || {
        AttemptError::Fatal(Error::BadResponse(format!(
            "response exceeds the {limit}-byte limit"
        )))
    };
    let announced = response.content_length().unwrap_or(0);
    if announced > limit as u64 {
        return Err(too_large());
    }
    // Reserving up front avoids reallocations that would leave unwiped copies.
    let mut body = Zeroizing::new(Vec::with_capacity(usize::try_from(announced).unwrap_or(0)));
    while let Some(chunk) = response.chunk().await.map_err(status::from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Plain http only where nothing can listen in: loopback, unless allowed.
pub(crate) fn check_scheme(url: &Url, allow_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || url.host().is_some_and(is_loopback) => Ok(()),
        "http" => Err(Error::Network(format!(
            "plain http to {} refused: use https, or allow http explicitly",
            url.host_str().unwrap_or("?")
        ))),
        other => Err(Error::Network(format!("unsupported scheme {other}"))),
    }
}

fn is_loopback(host: Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// The auth headers are secrets, and reqwest strips only the standard
/// ones on a cross-origin redirect; only redirects within the same origin
/// are followed.
fn same_origin_only(attempt: redirect::Attempt<'_>) -> redirect::Action {
    let Some(first) = attempt.previous().first() else {
        return attempt.stop();
    };
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error("too many redirects");
    }
    let to = attempt.url();
    if to.scheme() == first.scheme()
        && to.host() == first.host()
        && to.port_or_known_default() == first.port_or_known_default()
    {
        attempt.follow()
    } else {
        let error = format!(
            "redirect to another origin ({}) refused",
            to.host_str().unwrap_or("?")
        );
        attempt.error(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        let ok = [
            "https://chat.example.org",
            "http://127.0.0.1:3000",
            "http://127.8.9.10",
            "http://[::1]:80",
            "http://localhost:1",
        ];
        for u in ok {
            assert!(check_scheme(&Url::parse(u).unwrap(), false).is_ok(), "{u}");
        }
        let refused = [
            "http://chat.example.org",
            "http://10.0.0.1",
            "http://localhost.example.org",
            "http://[::2]",
            "ftp://x",
        ];
        for u in refused {
            assert!(
                matches!(
                    check_scheme(&Url::parse(u).unwrap(), false),
                    Err(Error::Network(_))
                ),
                "{u}"
            );
        }
        assert!(check_scheme(&Url::parse("http://chat.example.org").unwrap(), true).is_ok());
    }
}
