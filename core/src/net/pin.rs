//! Public-key pins: SHA-256 of a certificate's SubjectPublicKeyInfo, in
//! base64, the form `openssl … | openssl dgst -sha256 -binary | base64` and
//! HPKP use. Pinning the key, not the certificate, survives renewals that
//! keep the key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::CertificateDer;
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

/// The pin of the root among `roots` whose subject issued `cert`.
pub(crate) fn issuer_pin(cert: &CertificateDer<'_>, roots: &[CertificateDer<'_>]) -> Option<Pin> {
    let issuer = webpki::EndEntityCert::try_from(cert)
        .ok()?
        .issuer()
        .to_vec();
    roots
        .iter()
        .find(|r| {
            webpki::EndEntityCert::try_from(*r).is_ok_and(|r| r.subject() == issuer.as_slice())
        })
        .and_then(pin_of)
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

    #[test]
    fn issuer_is_found_among_roots_by_name() {
        use rustls::pki_types::pem::PemObject;
        let server = CertificateDer::from_pem_slice(&test_tls("server.pem")).unwrap();
        let ca = CertificateDer::from_pem_slice(&test_tls("ca.pem")).unwrap();
        assert_eq!(
            issuer_pin(&server, &[server.clone(), ca.clone()]),
            pin_of(&ca)
        );
        assert_eq!(issuer_pin(&server, std::slice::from_ref(&server)), None);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(spki_pin(b"not a certificate").is_err());
    }
}
