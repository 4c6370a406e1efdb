//! Push bytes → decrypt, with the device keyring of the vectors, so that
//! mutations of the vector pushes reach the AES and plaintext code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pushseal::rocketchat::decrypt_push;
use pushseal_fuzz::{assert_safe, device_keyring};

fuzz_target!(|data: &[u8]| {
    let outcome = decrypt_push(data, device_keyring());
    assert_safe(&outcome, &[data]);
});
