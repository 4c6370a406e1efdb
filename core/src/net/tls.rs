//! TLS trust: the platform's verifier (iOS/macOS Security.framework,
//! Android's TrustManager, the system store elsewhere), an optional extra
//! CA for private PKI, and optional key pins on top of either.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};

use super::pin::{self, Pin};
use crate::error::{Error, Result};

/// Parsed trust settings; cheap to keep, verifiers are built from it lazily.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trust {
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub pins: Vec<Pin>,
}

impl Trust {
    pub fn parse(extra_ca_pem: Option<&str>, pins: &[String]) -> Result<Self> {
        let extra_roots = match extra_ca_pem {
            None => Vec::new(),
            Some(pem) => {
                let roots = CertificateDer::pem_slice_iter(pem.as_bytes())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| Error::Tls(format!("extra CA is not PEM: {e}")))?;
                if roots.is_empty() {
                    return Err(Error::Tls("extra CA PEM holds no certificate".into()));
                }
                roots
            }
        };
        Ok(Self {
            extra_roots,
            pins: pin::parse_pins(pins)?,
        })
    }

    /// The rustls configuration for every connection of a client.
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig> {
        let provider = Arc::new(crypto::ring::default_provider());
        // A missing system store (a bare container) must not break servers
        // that the extra CA covers, so the error waits for a handshake.
        let platform = rustls_platform_verifier::Verifier::new(provider.clone())
            .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>)
            .map_err(|e| e.to_string());
        let extra = if self.extra_roots.is_empty() {
            None
        } else {
            let mut store = RootCertStore::empty();
            for root in &self.extra_roots {
                store
                    .add(root.clone())
                    .map_err(|e| Error::Tls(format!("extra CA: {e}")))?;
            }
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| Error::Tls(format!("extra CA: {e}")))?;
            Some(verifier as Arc<dyn ServerCertVerifier>)
        };
        let verifier = Arc::new(Verifier {
            platform,
            extra,
            extra_roots: self.extra_roots.clone(),
            pins: self.pins.clone(),
            provider: provider.clone(),
        });
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }
}

/// Platform first, then the extra CA; then the pins, on a chain of valid
/// signatures from the leaf (see [`pin::chain_meets_pins`]).
#[derive(Debug)]
struct Verifier {
    platform: std::result::Result<Arc<dyn ServerCertVerifier>, String>,
    extra: Option<Arc<dyn ServerCertVerifier>>,
    extra_roots: Vec<CertificateDer<'static>>,
    pins: Vec<Pin>,
    provider: Arc<CryptoProvider>,
}

#[derive(Debug)]
struct PinMismatch;

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no key on the validated chain matches a configured public-key pin")
    }
}

impl std::error::Error for PinMismatch {}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let by_platform = match &self.platform {
            Ok(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            Err(e) => Err(rustls::Error::General(format!(
                "no platform trust store: {e}"
            ))),
        };
        let verified = match (by_platform, &self.extra) {
            (Ok(ok), _) => ok,
            (Err(first), Some(extra)) => extra
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map_err(|_| first)?,
            (Err(first), None) => return Err(first),
        };
        if self.pins.is_empty()
            || pin::chain_meets_pins(
                end_entity,
                intermediates,
                &self.extra_roots,
                &self.pins,
                self.provider.signature_verification_algorithms.all,
                now,
            )
        {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch)),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_ca_must_be_pem_certificates() {
        assert!(Trust::parse(Some("not pem"), &[]).is_err());
        assert!(Trust::parse(None, &[]).unwrap().extra_roots.is_empty());
    }
}
