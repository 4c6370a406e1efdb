//! A keys file (KEYS.json) → unlock the private key → unwrap the room keys
//! → decrypt the vector pushes with what came out; and the input alone as
//! a stored private key (`e2e.fetchMyKeys`) to unlock with the password.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushseal::rocketchat::{decrypt_push, KeysFile, UserPrivateKey};
use pushseal::Password;
use pushseal_fuzz::*;
use serde_json::Value;

/// The stored key a keys file carries, if any, for the PBKDF2 bound.
fn stored_key(data: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(data).ok()?;
    let stored = v.pointer("/private_key/fetch_my_keys/private_key")?;
    Some(stored.as_str()?.to_owned())
}

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = KeysFile::parse(data) {
        let affordable = wrapped_keys(&file.subscriptions) <= MAX_FUZZ_UNWRAPS
            && stored_key(data).is_none_or(|s| pbkdf2_rounds(&s) <= MAX_FUZZ_PBKDF2_ROUNDS);
        if affordable {
            if let Ok((keyring, _report)) = file.into_keyring(None) {
                for push in pushes() {
                    assert_safe(&decrypt_push(push, &keyring), &[push, data]);
                }
            }
        }
    }
    if let Ok(stored) = std::str::from_utf8(data) {
        if pbkdf2_rounds(stored) <= MAX_FUZZ_PBKDF2_ROUNDS {
            let password = Password::from(device_password());
            if let Ok(key) = UserPrivateKey::unlock(stored, device_user_id(), &password) {
                // A key that unlocks must be a usable RSA key.
                assert!(!key.public_modulus().is_empty());
            }
        }
    }
});
