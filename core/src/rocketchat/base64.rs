//! The two base64 dialects Rocket.Chat uses.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

use crate::error::{Error, Result};

// Upstream's codec rejects characters outside the standard alphabet but
// tolerates missing padding (spec §2); mirror both.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

// JWK members are base64url without padding, as WebCrypto exports them.
const URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard base64 (ciphertexts, IVs, `$binary`, E2EKey suffixes).
pub(crate) fn decode(what: &str, input: &str) -> Result<Vec<u8>> {
    STANDARD_LENIENT
        .decode(input)
        .map_err(|e| Error::ciphertext(format!("{what} is not valid base64: {e}")))
}

/// Decodes base64url (JWK members).
pub(crate) fn decode_url(what: &str, input: &str) -> Result<Vec<u8>> {
    URL_LENIENT
        .decode(input)
        .map_err(|e| Error::BadRoomKey(format!("{what} is not valid base64url: {e}")))
}

pub(crate) fn encode_url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_accepts_missing_padding_and_rejects_url_chars() {
        assert_eq!(decode("x", "aGk=").unwrap(), b"hi");
        assert_eq!(decode("x", "aGk").unwrap(), b"hi");
        assert!(decode("x", "a-_k").is_err());
        assert!(decode("x", "aG k").is_err());
    }

    #[test]
    fn url_round_trip() {
        let bytes = [0xfbu8, 0xff, 0x00];
        assert_eq!(decode_url("k", &encode_url(&bytes)).unwrap(), bytes);
    }
}
