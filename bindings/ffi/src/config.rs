//! Network settings across the FFI: a record with the core's defaults.

#[cfg(feature = "fetch")]
use std::time::Duration;

#[cfg(feature = "fetch")]
use pushseal::net::ClientConfig;

/// Network settings; the defaults suit a notification extension.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkConfig {
    /// Extra CA certificates (PEM) for servers with a private CA.
    #[uniffi(default)]
    pub extra_ca_pem: Option<String>,
    /// SHA-256 SPKI pins (base64); when set, one must match.
    #[uniffi(default)]
    pub pins: Vec<String>,
    /// Allow plain http to hosts other than loopback.
    #[uniffi(default)]
    pub allow_http: bool,
    #[uniffi(default = 5000)]
    pub connect_timeout_ms: u64,
    #[uniffi(default = 10000)]
    pub request_timeout_ms: u64,
    /// Attempts per request, the first included.
    #[uniffi(default = 4)]
    pub max_attempts: u32,
}

#[cfg(not(feature = "fetch"))]
impl Default for NetworkConfig {
    /// The core's defaults, for a build without the network.
    fn default() -> Self {
        Self {
            extra_ca_pem: None,
            pins: Vec::new(),
            allow_http: false,
            connect_timeout_ms: 5000,
            request_timeout_ms: 10000,
            max_attempts: 4,
        }
    }
}

#[cfg(feature = "fetch")]
impl Default for NetworkConfig {
    fn default() -> Self {
        let core = ClientConfig::default();
        Self {
            extra_ca_pem: None,
            pins: Vec::new(),
            allow_http: core.allow_http,
            connect_timeout_ms: millis(core.connect_timeout),
            request_timeout_ms: millis(core.request_timeout),
            max_attempts: core.retry.max_attempts,
        }
    }
}

#[cfg(feature = "fetch")]
impl NetworkConfig {
    pub(crate) fn core(self) -> ClientConfig {
        let mut config = ClientConfig {
            extra_ca_pem: self.extra_ca_pem,
            pins: self.pins,
            allow_http: self.allow_http,
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            ..ClientConfig::default()
        };
        config.retry.max_attempts = self.max_attempts.max(1);
        config
    }
}

#[cfg(feature = "fetch")]
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(all(test, feature = "fetch"))]
mod tests {
    use super::*;

    /// The defaults Kotlin and Swift get from the record's attributes are
    /// the core's own.
    #[test]
    fn foreign_defaults_are_the_core_defaults() {
        let ours = NetworkConfig::default();
        assert_eq!(
            (
                ours.connect_timeout_ms,
                ours.request_timeout_ms,
                ours.max_attempts
            ),
            (5000, 10000, 4)
        );
        assert!(!ours.allow_http && ours.pins.is_empty() && ours.extra_ca_pem.is_none());
        assert_eq!(ours.clone().core(), ClientConfig::default());
    }
}
