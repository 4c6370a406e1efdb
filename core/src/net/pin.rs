//! Public-key pins: SHA-256 of a certificate's SubjectPublicKeyInfo, in
//! base64, the form `openssl … | openssl dgst -sha256 -binary | base64` and
//! HPKP use. Pinning the key, not the certificate, survives renewals that
//! keep the key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub(crate) type Pin = [u8; 32];

/// Decodes configured pins; a pin that is not 32 bytes of base64 is a
/// configuration error, not something to ignore.
pub(crate) fn parse_pins(pins: &[String]) -> Result<Vec<Pin>> {
    pins.iter()
        .map(|p| {
            let bytes = STANDARD
                .decode(p.trim().trim_start_matches("sha256/"))
                .map_err(|_| Error::Tls(format!("pin {p:?} is not base64")))?;
            Pin::try_from(bytes.as_slice())
                .map_err(|_| Error::Tls(format!("pin {p:?} is not a SHA-256 hash")))
        })
        .collect()
}

/// The pin of a DER certificate.
pub(crate) fn pin_of(cert: &CertificateDer<'_>) -> Option<Pin> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// Whether the server's key is vouched for by a pinned key: the leaf's own
/// key is pinned, or webpki builds a path of valid signatures from the leaf,
/// through the presented intermediates, to a certificate whose key is
/// pinned (a presented one or one of the extra roots). The pins are thus
/// met only by keys on a validated chain: a certificate that is merely
/// sent along signs nothing on the path, so it cannot satisfy a pin, and
/// extra certificates in any order do not hide one that does.
pub(crate) fn chain_meets_pins(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    extra_roots: &[CertificateDer<'_>],
    pins: &[Pin],
    algs: &[&dyn SignatureVerificationAlgorithm],
    now: UnixTime,
) -> bool {
    let pinned = |c: &CertificateDer<'_>| pin_of(c).is_some_and(|p| pins.contains(&p));
    if pinned(end_entity) {
        return true;
    }
    let anchors: Vec<_> = intermediates
        .iter()
        .chain(extra_roots)
        .filter(|c| pinned(c))
        .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
        .collect();
    if anchors.is_empty() {
        return false;
    }
    let Ok(leaf) = webpki::EndEntityCert::try_from(end_entity) else {
        return false;
    };
    leaf.verify_for_usage(
        algs,
        &anchors,
        intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .is_ok()
}

/// The base64 pin of a certificate given as PEM or DER, to put in
/// [`super::ClientConfig::pins`].
pub fn spki_pin(cert: &[u8]) -> Result<String> {
    use rustls::pki_types::pem::PemObject;
    let der = match CertificateDer::from_pem_slice(cert) {
        Ok(der) => der,
        Err(_) => CertificateDer::from(cert.to_vec()),
    };
    pin_of(&der)
        .map(|pin| STANDARD.encode(pin))
        .ok_or_else(|| Error::Tls("not an X.509 certificate".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_must_be_sha256_base64() {
        let good = STANDARD.encode([7u8; 32]);
        assert_eq!(
            parse_pins(std::slice::from_ref(&good)).unwrap(),
            vec![[7u8; 32]]
        );
        assert_eq!(
            parse_pins(&[format!("sha256/{good}")]).unwrap(),
            vec![[7u8; 32]]
        );
        assert!(matches!(parse_pins(&["!!".into()]), Err(Error::Tls(_))));
        assert!(matches!(
            parse_pins(&[STANDARD.encode([1u8; 20])]),
            Err(Error::Tls(_))
        ));
    }

    /// The committed test certificates, with pins computed by openssl.
    fn test_tls(name: &str) -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fake-server/tls");
        std::fs::read(dir.join(name)).unwrap()
    }

    #[test]
    fn pins_match_openssl() {
        for (cert, pin) in [("server.pem", "server.pin"), ("ca.pem", "ca.pin")] {
            let want = String::from_utf8(test_tls(pin)).unwrap();
            assert_eq!(spki_pin(&test_tls(cert)).unwrap(), want.trim(), "{cert}");
        }
    }

    fn der(name: &str) -> CertificateDer<'static> {
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(&test_tls(name)).unwrap()
    }

    fn meets(presented: &[&str], roots: &[&str], pin: &str) -> bool {
        let certs: Vec<_> = presented.iter().map(|n| der(n)).collect();
        let roots: Vec<_> = roots.iter().map(|n| der(n)).collect();
        let pins = parse_pins(&[String::from_utf8(test_tls(pin)).unwrap()]).unwrap();
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        chain_meets_pins(
            &certs[0],
            &certs[1..],
            &roots,
            &pins,
            algs.all,
            UnixTime::now(),
        )
    }

    #[test]
    fn pins_are_met_only_on_a_signed_path() {
        // The leaf, the CA sent along, the CA among the extra roots.
        assert!(meets(&["server.pem"], &[], "server.pin"));
        assert!(meets(&["server.pem", "ca.pem"], &[], "ca.pin"));
        assert!(meets(&["server.pem"], &["ca.pem"], "ca.pin"));
        assert!(meets(
            &["server.pem", "unrelated.pem"],
            &["ca.pem"],
            "ca.pin"
        ));
        // A certificate that signs nothing on the path meets no pin.
        assert!(!meets(
            &["server.pem", "unrelated.pem"],
            &["ca.pem"],
            "unrelated.pin"
        ));
        assert!(!meets(&["server.pem"], &["unrelated.pem"], "unrelated.pin"));
        // Nor does a CA that is neither sent nor an extra root.
        assert!(!meets(&["server.pem"], &[], "ca.pin"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(spki_pin(b"not a certificate").is_err());
    }
}
