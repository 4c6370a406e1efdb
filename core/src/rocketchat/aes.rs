//! AES decryption as Rocket.Chat uses it: CBC with PKCS#7, and GCM with a
//! 96-bit IV and the 128-bit tag appended to the ciphertext.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};

use crate::error::{Error, Result};
use crate::secret::SecretBytes;

const BLOCK: usize = 16;
const GCM_IV: usize = 12;
const GCM_TAG: usize = 16;

/// AES-CBC with a 16- or 32-byte key (room keys are AES-128, private-key
/// wrapping AES-256).
pub(crate) fn cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<SecretBytes> {
    if iv.len() != BLOCK {
        return Err(Error::ciphertext(format!(
            "AES-CBC needs a 16-byte IV, got {}",
            iv.len()
        )));
    }
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(BLOCK) {
        return Err(Error::ciphertext(format!(
            "AES-CBC ciphertext of {} bytes is not a positive multiple of 16",
            ciphertext.len()
        )));
    }
    let plain = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map_err(|_| Error::BadRoomKey("bad AES-128 key length".into()))?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map_err(|_| Error::BadRoomKey("bad AES-256 key length".into()))?
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext),
        n => return Err(Error::BadRoomKey(format!("AES-CBC key of {n} bytes"))),
    };
    plain.map(SecretBytes::new).map_err(|_| Error::BadPadding)
}

/// AES-256-GCM, no additional data.
pub(crate) fn gcm_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<SecretBytes> {
    if iv.len() != GCM_IV {
        return Err(Error::ciphertext(format!(
            "AES-GCM needs a 12-byte IV, got {}",
            iv.len()
        )));
    }
    if ciphertext.len() < GCM_TAG {
        return Err(Error::ciphertext(format!(
            "AES-GCM ciphertext of {} bytes is shorter than its tag",
            ciphertext.len()
        )));
    }
    let cipher = Aes256Gcm::new_from_slice(key)
        .map_err(|_| Error::BadRoomKey(format!("AES-GCM key of {} bytes", key.len())))?;
    cipher
        .decrypt(Nonce::from_slice(iv), ciphertext)
        .map(SecretBytes::new)
        .map_err(|_| Error::BadAuthTag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_checks_come_before_crypto() {
        let key = [7u8; 32];
        assert!(matches!(
            gcm_decrypt(&key, &[0; 16], &[0; 32]),
            Err(Error::BadCiphertext(_))
        ));
        assert!(matches!(
            gcm_decrypt(&key, &[0; 12], &[0; 15]),
            Err(Error::BadCiphertext(_))
        ));
        assert_eq!(
            gcm_decrypt(&key, &[0; 12], &[0; 16]),
            Err(Error::BadAuthTag)
        );
        assert!(matches!(
            cbc_decrypt(&key[..16], &[0; 16], &[0; 15]),
            Err(Error::BadCiphertext(_))
        ));
        assert!(matches!(
            cbc_decrypt(&key[..16], &[0; 12], &[0; 16]),
            Err(Error::BadCiphertext(_))
        ));
        assert!(matches!(
            cbc_decrypt(&key[..5], &[0; 16], &[0; 16]),
            Err(Error::BadRoomKey(_))
        ));
    }
}
