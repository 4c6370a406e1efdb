//! Server-side key backup, `m.megolm_backup.v1.curve25519-aes-sha2`, and the
//! keys that unlock it: a raw backup recovery key (base58), the
//! secret-storage key Element shows as "recovery key", or a passphrase.
//!
//! Backup ciphertexts are not authenticated (their MAC is over the empty
//! string), so every session is checked: padding, JSON, algorithm, and that
//! its key is the session asked for.

use std::collections::HashMap;

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Sha256, Sha512};
use vodozemac::{Curve25519PublicKey, Curve25519SecretKey};
use zeroize::Zeroizing;

use crate::matrix::sessions::{ExportedSessionData, RoomSession};
use crate::matrix::{b64, Error, SecretKey32};

pub const BACKUP_ALGORITHM: &str = "m.megolm_backup.v1.curve25519-aes-sha2";
const SECRET_STORAGE_ALGORITHM: &str = "m.secret_storage.v1.aes-hmac-sha2";
const BACKUP_SECRET: &str = "m.megolm_backup.v1";
const RECOVERY_PREFIX: [u8; 2] = [0x8b, 0x01];
/// A passphrase asking for more rounds than this is refused (denial of service).
const MAX_ROUNDS: u32 = 10_000_000;

/// `GET /_matrix/client/v3/room_keys/version`.
#[derive(Debug, Clone, Deserialize)]
pub struct BackupVersion {
    pub algorithm: String,
    pub auth_data: AuthData,
    pub version: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthData {
    pub public_key: String,
    #[serde(default)]
    pub private_key_salt: Option<String>,
    #[serde(default)]
    pub private_key_iterations: Option<u32>,
}

/// The account data that holds the backup key in secret storage (4S):
/// `m.secret_storage.default_key`, `m.secret_storage.key.<id>` and
/// `m.megolm_backup.v1`, by event type.
pub type AccountData = HashMap<String, serde_json::Value>;

#[derive(Deserialize)]
struct DefaultKey {
    key: String,
}

#[derive(Deserialize)]
struct KeyDescription {
    algorithm: String,
    iv: Option<String>,
    mac: Option<String>,
    passphrase: Option<KeyPassphrase>,
}

#[derive(Deserialize)]
struct KeyPassphrase {
    algorithm: String,
    salt: String,
    iterations: u32,
    #[serde(default)]
    bits: Option<u32>,
}

#[derive(Deserialize)]
struct EncryptedSecret {
    iv: String,
    ciphertext: String,
    mac: String,
}

#[derive(Deserialize)]
struct SecretEvent {
    encrypted: HashMap<String, EncryptedSecret>,
}

/// `KeyBackupData`: one session as `GET /room_keys/keys/{roomId}/{sessionId}` returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyBackupData {
    pub first_message_index: u32,
    #[serde(default)]
    pub forwarded_count: u32,
    #[serde(default)]
    pub is_verified: bool,
    pub session_data: SessionData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionData {
    pub ephemeral: String,
    pub ciphertext: String,
    pub mac: String,
}

/// `GET /room_keys/keys` (all rooms).
#[derive(Debug, Clone, Deserialize)]
pub struct RoomKeys {
    pub rooms: HashMap<String, RoomKeyBackup>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RoomKeyBackup {
    pub sessions: HashMap<String, KeyBackupData>,
}

/// How a backup was unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnlockedVia {
    BackupKey,
    SecretStorage,
    BackupPassphrase,
    SecretStoragePassphrase,
}

impl UnlockedVia {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BackupKey => "backup_key",
            Self::SecretStorage => "secret_storage",
            Self::BackupPassphrase => "backup_passphrase",
            Self::SecretStoragePassphrase => "secret_storage_passphrase",
        }
    }
}

/// The backup decryption key (Curve25519 private key). Not printable.
#[derive(Clone, Debug)]
pub struct BackupKey(SecretKey32);

/// Decodes a recovery key: base58 of `0x8B 0x01 ‖ key ‖ parity`, any
/// whitespace ignored.
pub fn decode_recovery_key(text: &str) -> Result<SecretKey32, Error> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
    let bytes = Zeroizing::new(
        bs58::decode(compact.as_bytes())
            .into_vec()
            .map_err(|_| Error::BadRecoveryKey("not base58"))?,
    );
    if bytes.len() != 35 {
        return Err(Error::BadRecoveryKey("wrong length"));
    }
    if bytes[..2] != RECOVERY_PREFIX {
        return Err(Error::BadRecoveryKey("wrong prefix"));
    }
    if bytes.iter().fold(0u8, |acc, b| acc ^ b) != 0 {
        return Err(Error::BadRecoveryKey("parity mismatch"));
    }
    SecretKey32::from_slice(&bytes[2..34]).ok_or(Error::BadRecoveryKey("wrong length"))
}

/// Encodes 32 key bytes as a recovery key, spaced every 4 characters.
pub fn encode_recovery_key(key: &SecretKey32) -> Zeroizing<String> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(35));
    bytes.extend_from_slice(&RECOVERY_PREFIX);
    bytes.extend_from_slice(key.expose());
    let parity = bytes.iter().fold(0u8, |acc, b| acc ^ b);
    bytes.push(parity);
    let plain = Zeroizing::new(bs58::encode(&*bytes).into_string());
    let mut out = Zeroizing::new(String::with_capacity(plain.len() + plain.len() / 4));
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn pbkdf2_key(passphrase: &str, salt: &str, rounds: u32) -> Result<SecretKey32, Error> {
    if rounds == 0 || rounds > MAX_ROUNDS {
        return Err(Error::UnsupportedAlgorithm("PBKDF2 round count".into()));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha512>(passphrase.as_bytes(), salt.as_bytes(), rounds, key.as_mut());
    SecretKey32::from_slice(key.as_ref()).ok_or(Error::BadCiphertext("PBKDF2 output"))
}

impl BackupKey {
    pub fn new(key: SecretKey32) -> Self {
        Self(key)
    }

    /// From the unpadded base64 the secret-storage secret holds.
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let bytes = b64::decode_secret(text).ok_or(Error::BadRecoveryKey("not base64"))?;
        SecretKey32::from_slice(&bytes)
            .map(Self)
            .ok_or(Error::BadRecoveryKey("not 32 bytes"))
    }

    pub fn secret(&self) -> &SecretKey32 {
        &self.0
    }

    /// The Curve25519 public key, unpadded base64, as `auth_data.public_key`.
    pub fn public_key(&self) -> String {
        let secret = Curve25519SecretKey::from_slice(self.0.expose());
        Curve25519PublicKey::from(&secret).to_base64()
    }

    /// Checks a key (e.g. one read back from the store) against the
    /// server's current backup version before it is used or stored.
    pub fn verify(&self, version: &BackupVersion) -> Result<(), Error> {
        if version.algorithm != BACKUP_ALGORITHM {
            return Err(Error::UnsupportedAlgorithm(version.algorithm.clone()));
        }
        if self.matches(version) {
            Ok(())
        } else {
            Err(Error::PublicKeyMismatch)
        }
    }

    fn matches(&self, version: &BackupVersion) -> bool {
        let want = b64::decode(&version.auth_data.public_key);
        let have = b64::decode(&self.public_key());
        want.is_some() && want == have
    }

    /// Decrypts one backed-up session (padding, JSON and algorithm checked)
    /// without knowing its id; see [`BackupKey::decrypt_session`].
    pub fn decrypt_backed_up(
        &self,
        room_id: &str,
        data: &KeyBackupData,
    ) -> Result<RoomSession, Error> {
        let d = &data.session_data;
        let ephemeral = Curve25519PublicKey::from_base64(d.ephemeral.trim())
            .map_err(|_| Error::BadCiphertext("ephemeral key"))?;
        let secret = Curve25519SecretKey::from_slice(self.0.expose());
        let shared = secret
            .diffie_hellman(&ephemeral)
            .ok_or(Error::BadCiphertext("non-contributory ephemeral key"))?;
        let mut okm = Zeroizing::new([0u8; 80]);
        Hkdf::<Sha256>::new(Some(&[0u8; 32]), shared.as_bytes())
            .expand(b"", okm.as_mut())
            .map_err(|_| Error::BadCiphertext("HKDF"))?;
        let (aes_key, rest) = okm.split_at(32);
        let (mac_key, iv) = rest.split_at(32);
        // libolm's MAC covers the empty string: it proves only the key.
        let mac_tag = b64::decode(&d.mac).ok_or(Error::BadCiphertext("mac"))?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(mac_key)
            .map_err(|_| Error::BadCiphertext("MAC key"))?;
        mac.update(b"");
        mac.verify_truncated_left(&mac_tag)
            .map_err(|_| Error::BadAuthTag)?;
        if mac_tag.len() != 8 {
            return Err(Error::BadAuthTag);
        }
        let mut buf =
            Zeroizing::new(b64::decode(&d.ciphertext).ok_or(Error::BadCiphertext("ciphertext"))?);
        let plain = cbc::Decryptor::<aes::Aes256>::new_from_slices(aes_key, iv)
            .map_err(|_| Error::BadCiphertext("AES key or IV"))?
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| Error::BadPadding)?;
        let entry: ExportedSessionData = serde_json::from_slice(plain)
            .map_err(|_| Error::BadPlaintext("not a backed-up session"))?;
        entry.into_session(Some(room_id))
    }

    /// Decrypts one backed-up session and checks that it is the one asked
    /// for: the backup is unauthenticated, so the server could file any
    /// session under any id.
    pub fn decrypt_session(
        &self,
        room_id: &str,
        session_id: &str,
        data: &KeyBackupData,
    ) -> Result<RoomSession, Error> {
        let session = self.decrypt_backed_up(room_id, data)?;
        if session.session_id != session_id {
            return Err(Error::SessionMismatch);
        }
        Ok(session)
    }

    /// Decrypts every session of a `GET /room_keys/keys` answer; failures
    /// are returned beside the sessions, by (room id, session id).
    pub fn decrypt_all(&self, keys: &RoomKeys) -> (Vec<RoomSession>, Vec<(String, String, Error)>) {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for (room_id, room) in &keys.rooms {
            for (session_id, data) in &room.sessions {
                match self.decrypt_session(room_id, session_id, data) {
                    Ok(s) => ok.push(s),
                    Err(e) => failed.push((room_id.clone(), session_id.clone(), e)),
                }
            }
        }
        (ok, failed)
    }
}

fn account_data<T: for<'de> Deserialize<'de>>(data: &AccountData, kind: &str) -> Option<T> {
    serde_json::from_value(data.get(kind)?.clone()).ok()
}

/// AES-256-CTR key and HMAC key for one secret name (4S, `aes-hmac-sha2`).
fn secret_storage_keys(key: &SecretKey32, name: &str) -> Result<Zeroizing<[u8; 64]>, Error> {
    let mut okm = Zeroizing::new([0u8; 64]);
    Hkdf::<Sha256>::new(Some(&[0u8; 32]), key.expose())
        .expand(name.as_bytes(), okm.as_mut())
        .map_err(|_| Error::BadCiphertext("HKDF"))?;
    Ok(okm)
}

fn ctr_apply(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), Error> {
    let mut c = ctr::Ctr64BE::<aes::Aes256>::new_from_slices(key, iv)
        .map_err(|_| Error::BadCiphertext("AES key or IV"))?;
    c.apply_keystream(buf);
    Ok(())
}

fn hmac_ok(key: &[u8], data: &[u8], tag_b64: &str) -> bool {
    let Some(tag) = b64::decode(tag_b64) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return false;
    };
    mac.update(data);
    mac.verify_slice(&tag).is_ok()
}

/// The backup key out of secret storage, if `key` is the 4S key.
fn from_secret_storage(data: &AccountData, key: &SecretKey32) -> Result<Option<BackupKey>, Error> {
    let Some(default) = account_data::<DefaultKey>(data, "m.secret_storage.default_key") else {
        return Ok(None);
    };
    let desc_name = format!("m.secret_storage.key.{}", default.key);
    let Some(desc) = account_data::<KeyDescription>(data, &desc_name) else {
        return Ok(None);
    };
    if desc.algorithm != SECRET_STORAGE_ALGORITHM {
        return Err(Error::UnsupportedAlgorithm(desc.algorithm));
    }
    // The key description's check value: 32 zero bytes encrypted with info "".
    if let (Some(iv), Some(mac)) = (&desc.iv, &desc.mac) {
        let keys = secret_storage_keys(key, "")?;
        let iv = b64::decode(iv).ok_or(Error::BadCiphertext("iv"))?;
        let mut zeros = [0u8; 32];
        ctr_apply(&keys[..32], &iv, &mut zeros)?;
        if !hmac_ok(&keys[32..], &zeros, mac) {
            return Ok(None);
        }
    }
    let Some(secret) = account_data::<SecretEvent>(data, BACKUP_SECRET) else {
        return Ok(None);
    };
    let Some(enc) = secret.encrypted.get(&default.key) else {
        return Ok(None);
    };
    let keys = secret_storage_keys(key, BACKUP_SECRET)?;
    let mut buf =
        Zeroizing::new(b64::decode(&enc.ciphertext).ok_or(Error::BadCiphertext("secret"))?);
    if !hmac_ok(&keys[32..], &buf, &enc.mac) {
        return Ok(None);
    }
    let iv = b64::decode(&enc.iv).ok_or(Error::BadCiphertext("iv"))?;
    ctr_apply(&keys[..32], &iv, &mut buf)?;
    let text = std::str::from_utf8(&buf).map_err(|_| Error::BadPlaintext("backup secret"))?;
    BackupKey::from_base64(text).map(Some)
}

fn storage_passphrase(data: &AccountData) -> Option<KeyPassphrase> {
    let default = account_data::<DefaultKey>(data, "m.secret_storage.default_key")?;
    let desc =
        account_data::<KeyDescription>(data, &format!("m.secret_storage.key.{}", default.key))?;
    desc.passphrase
        .filter(|p| p.algorithm == "m.pbkdf2" && p.bits.unwrap_or(256) == 256)
}

/// What the user typed to unlock the backup.
#[derive(Clone, Copy)]
pub enum Unlock<'a> {
    /// A recovery key: the raw backup key or the secret-storage key.
    RecoveryKey(&'a str),
    /// A backup passphrase or a secret-storage passphrase.
    Passphrase(&'a str),
}

impl std::fmt::Debug for Unlock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::RecoveryKey(_) => "RecoveryKey(<redacted>)",
            Self::Passphrase(_) => "Passphrase(<redacted>)",
        })
    }
}

/// Finds the backup key for `version` from what the user typed, and checks
/// it against `auth_data.public_key` before returning it: nothing derived
/// from a wrong key is ever handed out to be stored.
pub fn unlock(
    version: &BackupVersion,
    secret_storage: Option<&AccountData>,
    input: Unlock<'_>,
) -> Result<(BackupKey, UnlockedVia), Error> {
    if version.algorithm != BACKUP_ALGORITHM {
        return Err(Error::UnsupportedAlgorithm(version.algorithm.clone()));
    }
    let candidates: Vec<(BackupKey, UnlockedVia)> = match input {
        Unlock::RecoveryKey(text) => {
            let key = decode_recovery_key(text)?;
            let mut c = vec![(BackupKey(key.clone()), UnlockedVia::BackupKey)];
            if let Some(data) = secret_storage {
                if let Some(k) = from_secret_storage(data, &key)? {
                    c.push((k, UnlockedVia::SecretStorage));
                }
            }
            c
        }
        Unlock::Passphrase(pass) => {
            let mut c = Vec::new();
            let auth = &version.auth_data;
            if let (Some(salt), Some(rounds)) =
                (&auth.private_key_salt, auth.private_key_iterations)
            {
                c.push((
                    BackupKey(pbkdf2_key(pass, salt, rounds)?),
                    UnlockedVia::BackupPassphrase,
                ));
            }
            if let Some(p) = secret_storage.and_then(storage_passphrase) {
                let key = pbkdf2_key(pass, &p.salt, p.iterations)?;
                if let Some(k) = secret_storage
                    .map(|d| from_secret_storage(d, &key))
                    .transpose()?
                    .flatten()
                {
                    c.push((k, UnlockedVia::SecretStoragePassphrase));
                }
            }
            c
        }
    };
    candidates
        .into_iter()
        .find(|(k, _)| k.matches(version))
        .ok_or(Error::PublicKeyMismatch)
}
