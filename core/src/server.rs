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
    // Trailing slashes go in every form (`host` in pushes ends with one).
    let candidate = trimmed.trim_end_matches('/');
    if is_normal(candidate) {
        return Ok(candidate.to_owned());
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

/// True when `s` is already what the URL parse would give back, so the
/// parse can be skipped (every push names its server). Deliberately
/// narrow: `http(s)://`, a lower-case DNS name whose last label starts with
/// a letter (so never an IPv4 address), no `xn--` label (IDNA would check
/// it), a port only when it is not the default, and a plain path without a
/// trailing slash. Anything else takes the full parse.
fn is_normal(s: &str) -> bool {
    let (rest, default_port) = if let Some(r) = s.strip_prefix("https://") {
        (r, "443")
    } else if let Some(r) = s.strip_prefix("http://") {
        (r, "80")
    } else {
        return false;
    };
    // Byte-wise: a push names its server every time, and `str` searches
    // cost more than the few bytes they look at.
    let slash = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(slash);
    let (host, port) = match authority.bytes().position(|b| b == b':') {
        Some(i) if i + 1 == authority.len() => return false,
        Some(i) => (&authority[..i], &authority[i + 1..]),
        None => (authority, ""),
    };
    let label_ok = |l: &[u8]| {
        !l.is_empty()
            && !l.starts_with(b"xn--")
            && l.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    };
    let host_ok = host.as_bytes().split(|b| *b == b'.').all(label_ok)
        && host
            .as_bytes()
            .rsplit(|b| *b == b'.')
            .next()
            .and_then(|l| l.first())
            .is_some_and(u8::is_ascii_lowercase);
    let port_ok = port.is_empty()
        || (port != default_port
            && !port.starts_with('0')
            && port.len() <= 5
            && port.parse::<u16>().is_ok());
    let segment_ok = |seg: &str| {
        !seg.is_empty()
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~'))
    };
    let path_ok = path.is_empty() || path[1..].split('/').all(segment_ok);
    host_ok && port_ok && path_ok
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

    /// The shortcut must give exactly what the full parse gives.
    #[test]
    fn shortcut_agrees_with_the_full_parse() {
        let inputs = [
            "https://chat.example.org",
            "http://chat.example.org:3000",
            "https://chat.example.org:443",
            "http://chat.example.org:80",
            "https://chat.example.org:0443",
            "https://chat.example.org:65536",
            "https://chat.example.org:99999",
            "https://chat.example.org:",
            "https://a.b-c.d/rc/sub-path_x~y",
            "https://a.example.org/rc/",
            "https://a.example.org//rc",
            "https://a.example.org/./rc",
            "https://a.example.org/%41",
            "https://127.0.0.1",
            "https://127.1",
            "https://0x7f.1",
            "https://a.0x7f",
            "https://a.1",
            "https://a.b1",
            "https://xn--nxasmq6b.com",
            "https://xn--zz.com",
            "https://ex--ample.com",
            "https://-a.com",
            "https://a-.com",
            "https://a..com",
            "https://a.com.",
            "https://.a.com",
            "https://Chat.example.org",
            "https://user@chat.example.org",
            "https://chat.example.org?x",
            "https://chat.example.org#x",
            "https://chat_x.example.org",
            "ws://chat.example.org",
            "https://localhost",
            "https://localhost:1",
        ];
        let long = format!("https://{}.{}.com", "a".repeat(70), "b".repeat(250));
        let slashed: Vec<String> = inputs.iter().map(|i| format!("{i}/")).collect();
        let more = [
            long.as_str(),
            "https://a.org//",
            "https://a.org/rc//",
            "https://a.org/rc//x/",
        ];
        let all = inputs
            .iter()
            .copied()
            .chain(slashed.iter().map(String::as_str));
        for input in all.chain(more) {
            let candidate = input.trim_end_matches('/');
            let fast = is_normal(candidate).then(|| candidate.to_owned());
            let full = full_parse(input);
            if let Some(fast) = fast {
                assert_eq!(Ok(fast), full, "{input}");
            }
        }
        assert_eq!(
            normalize_server("https://chat.example.org/").unwrap(),
            "https://chat.example.org"
        );
        assert!(is_normal("https://chat.example.org"));
        assert!(is_normal("http://chat.example.org:3000/rc"));
    }

    /// `normalize_server` without the shortcut.
    fn full_parse(input: &str) -> std::result::Result<String, String> {
        let url = Url::parse(input).map_err(|e| e.to_string())?;
        let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?"));
        if let Some(port) = url.port() {
            out.push_str(&format!(":{port}"));
        }
        out.push_str(url.path().trim_end_matches('/'));
        Ok(out)
    }

    #[test]
    fn rejects_non_http() {
        assert!(normalize_server("ftp://x.org").is_err());
        assert!(normalize_server("").is_err());
        assert!(normalize_server("https://").is_err());
    }
}
