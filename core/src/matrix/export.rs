//! The key export file ("Export E2E room keys" in Element):
//! `-----BEGIN MEGOLM SESSION DATA-----`, PBKDF2-HMAC-SHA-512 over the
//! passphrase's UTF-8 bytes, AES-256-CTR with WebCrypto's 64-bit counter,
//! HMAC-SHA-256 over everything before it.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};
use zeroize::Zeroizing;

use crate::matrix::sessions::{import_sessions, Import};
use crate::matrix::{b64, Error};
use crate::SecretBytes;

const BEGIN: &str = "-----BEGIN MEGOLM SESSION DATA-----";
const END: &str = "-----END MEGOLM SESSION DATA-----";
const HEADER: usize = 1 + 16 + 16 + 4;
const MAC_LEN: usize = 32;
/// Element writes 500 000; a file asking for far more is a denial of service.
pub const MAX_ROUNDS: u32 = 10_000_000;

type Aes256Ctr64 = ctr::Ctr64BE<aes::Aes256>;

/// The armour's body bytes; accepts Element's 128-character lines,
/// matrix-rust-sdk's single unpadded line, CRLF and surrounding whitespace.
fn unarmour(text: &str) -> Result<Vec<u8>, Error> {
    let start = text.find(BEGIN).ok_or(Error::BadArmour("no BEGIN line"))? + BEGIN.len();
    let len = text[start..]
        .find(END)
        .ok_or(Error::BadArmour("no END line"))?;
    let body: String = text[start..start + len]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    b64::decode(&body).ok_or(Error::BadArmour("the body is not base64"))
}

/// Decrypts an export file to its plaintext (a JSON session list for real
/// exports). A wrong passphrase and a damaged body are the same error:
/// the HMAC is checked before anything is decrypted.
pub fn decrypt_export(armoured: &str, passphrase: &str) -> Result<SecretBytes, Error> {
    let data = unarmour(armoured)?;
    if data.len() < HEADER + MAC_LEN {
        return Err(Error::BadArmour("too short"));
    }
    if data[0] != 1 {
        return Err(Error::BadArmour("unknown version"));
    }
    let (salt, iv) = (&data[1..17], &data[17..33]);
    let rounds = u32::from_be_bytes([data[33], data[34], data[35], data[36]]);
    if rounds == 0 || rounds > MAX_ROUNDS {
        return Err(Error::BadArmour("impossible PBKDF2 round count"));
    }
    let mut keys = Zeroizing::new([0u8; 64]);
    pbkdf2::pbkdf2_hmac::<Sha512>(passphrase.as_bytes(), salt, rounds, keys.as_mut());
    let (aes_key, mac_key) = keys.split_at(32);
    let (signed, tag) = data.split_at(data.len() - MAC_LEN);
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(mac_key).map_err(|_| Error::BadArmour("HMAC key"))?;
    mac.update(signed);
    mac.verify_slice(tag).map_err(|_| Error::BadPassphrase)?;
    let mut plain = Zeroizing::new(signed[HEADER..].to_vec());
    let mut cipher =
        Aes256Ctr64::new_from_slices(aes_key, iv).map_err(|_| Error::BadArmour("AES key or IV"))?;
    cipher.apply_keystream(&mut plain);
    Ok(SecretBytes::new(std::mem::take(&mut *plain)))
}

/// Decrypts an export file and reads its sessions. Sessions of another
/// algorithm are skipped and listed in [`Import::skipped`].
pub fn import_export(armoured: &str, passphrase: &str) -> Result<Import, Error> {
    let plain = decrypt_export(armoured, passphrase)?;
    import_sessions(plain.expose())
}
