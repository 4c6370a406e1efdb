//! Server identity: one normal form for a Rocket.Chat base URL, so that
//! `https://Chat.Example.org/`, `chat.example.org` and the push's `host`
//! all name the same account.

use url::Url;

use crate::error::{Error, Result};

/// Normalises a server URL: lower-case scheme and host, `https://` when no
/// scheme is given, no default port, no trailing slash, no query or fragment.
/// A path is kept, for servers that live under a sub-path.
///
/// ```
/// use pushseal::normalize_server;
/// assert_eq!(normalize_server("https://Chat.Example.org/").unwrap(), "https://chat.example.org");
/// assert_eq!(normalize_server("chat.example.org:443").unwrap(), "https://chat.example.org");
/// assert_eq!(normalize_server("http://127.0.0.1:3000/rc/").unwrap(), "http://127.0.0.1:3000/rc");
/// ```
pub fn normalize_server(input: &str) -> Result<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.len() > 2048 {
        return Err(Error::malformed("server URL is empty or too long"));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| Error::malformed(format!("server URL is not valid: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Error::malformed("server URL must be http or https"));
    }
    let host = url
        .host_str()
        .ok_or_else(|| Error::malformed("server URL has no host"))?;
    let mut out = format!("{}://{}", url.scheme(), host);
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(url.path().trim_end_matches('/'));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_forms() {
        for (input, want) in [
            ("https://chat.example.org/", "https://chat.example.org"),
            ("HTTPS://CHAT.example.org", "https://chat.example.org"),
            ("chat.example.org", "https://chat.example.org"),
            (
                "https://chat.example.org:8443/",
                "https://chat.example.org:8443",
            ),
            (
                "https://example.org/chat/?x=1#y",
                "https://example.org/chat",
            ),
            ("http://[::1]:3000", "http://[::1]:3000"),
        ] {
            assert_eq!(normalize_server(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn rejects_non_http() {
        assert!(normalize_server("ftp://x.org").is_err());
        assert!(normalize_server("").is_err());
        assert!(normalize_server("https://").is_err());
    }
}
