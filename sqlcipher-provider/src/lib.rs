//! SQLCipher's crypto provider on RustCrypto, for every target but Apple's
//! (which keep CommonCrypto). SQLCipher is compiled with
//! `-DSQLCIPHER_CRYPTO_CUSTOM=pushseal_sqlcipher_setup` (`.cargo/config.toml`)
//! and calls [`pushseal_sqlcipher_setup`] once, inside `sqlite3_initialize`,
//! to fill in its provider table. The page format is SQLCipher 4's:
//! AES-256-CBC without padding, HMAC-SHA512 per page, PBKDF2-HMAC-SHA512;
//! SHA-256 is served too, SHA-1 (SQLCipher 1-3 compatibility) is refused.
//!
//! This is the only unsafe code in pushseal outside the FFI crate: C hands
//! us raw pointers and lengths. Every entry checks them, copies nothing it
//! was not given, and cannot panic (a panic cannot unwind into C).
//! Randomness comes from the OS (`getrandom`), which needs no start-up.

use std::ffi::{c_char, c_int, c_uchar, c_void};

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};

/// The name `PRAGMA cipher_provider` reports.
pub const PROVIDER_NAME: &str = "pushseal-rustcrypto";

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;

// SQLCipher's ids (sqlcipher.h); its PBKDF2_HMAC_* ids are the same numbers.
const SQLCIPHER_ENCRYPT: c_int = 1;
const HMAC_SHA1: c_int = 0;
const HMAC_SHA256: c_int = 1;
const HMAC_SHA512: c_int = 2;

const KEY_BYTES: c_int = 32;
const IV_BYTES: c_int = 16;
const BLOCK_BYTES: c_int = 16;

const NAME_C: &[u8] = b"pushseal-rustcrypto\0";
const CIPHER_C: &[u8] = b"aes-256-cbc\0";
const VERSION_C: &[u8] = concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes();

type Ctx = *mut c_void;

/// `struct sqlcipher_provider` from SQLCipher's sqlcipher.h, field for
/// field (SQLCipher 4.20; the version is pinned by sqlcipher-src through
/// rusqlite's exact pin in core/Cargo.toml).
#[repr(C)]
pub struct Provider {
    init: Option<extern "C" fn() -> c_int>,
    shutdown: Option<extern "C" fn()>,
    get_provider_name: Option<extern "C" fn(Ctx) -> *const c_char>,
    add_random: Option<extern "C" fn(Ctx, *const c_void, c_int) -> c_int>,
    random: Option<unsafe extern "C" fn(Ctx, *mut c_void, c_int) -> c_int>,
    #[allow(clippy::type_complexity)]
    hmac: Option<
        unsafe extern "C" fn(
            Ctx,
            c_int,
            *const c_uchar,
            c_int,
            *const c_uchar,
            c_int,
            *const c_uchar,
            c_int,
            *mut c_uchar,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    kdf: Option<
        unsafe extern "C" fn(
            Ctx,
            c_int,
            *const c_uchar,
            c_int,
            *const c_uchar,
            c_int,
            c_int,
            c_int,
            *mut c_uchar,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    cipher: Option<
        unsafe extern "C" fn(
            Ctx,
            c_int,
            *const c_uchar,
            c_int,
            *const c_uchar,
            *const c_uchar,
            c_int,
            *mut c_uchar,
        ) -> c_int,
    >,
    get_cipher: Option<extern "C" fn(Ctx) -> *const c_char>,
    get_key_sz: Option<extern "C" fn(Ctx) -> c_int>,
    get_iv_sz: Option<extern "C" fn(Ctx) -> c_int>,
    get_block_sz: Option<extern "C" fn(Ctx) -> c_int>,
    get_hmac_sz: Option<extern "C" fn(Ctx, c_int) -> c_int>,
    ctx_init: Option<unsafe extern "C" fn(*mut Ctx) -> c_int>,
    ctx_free: Option<unsafe extern "C" fn(*mut Ctx) -> c_int>,
    fips_status: Option<extern "C" fn(Ctx) -> c_int>,
    get_provider_version: Option<extern "C" fn(Ctx) -> *const c_char>,
    next: *mut Provider,
}

/// Fills in SQLCipher's provider table; SQLCipher calls it once from
/// `sqlite3_initialize` (the name is the `SQLCIPHER_CRYPTO_CUSTOM` value).
///
/// # Safety
/// `p` is null or points to a writable `struct sqlcipher_provider`.
#[no_mangle]
pub unsafe extern "C" fn pushseal_sqlcipher_setup(p: *mut Provider) -> c_int {
    if p.is_null() {
        return SQLITE_ERROR;
    }
    // SAFETY: non-null, and SQLCipher passes its freshly allocated table.
    unsafe {
        p.write(Provider {
            init: None,
            shutdown: None,
            get_provider_name: Some(provider_name),
            add_random: Some(add_random),
            random: Some(random),
            hmac: Some(hmac),
            kdf: Some(kdf),
            cipher: Some(cipher),
            get_cipher: Some(cipher_name),
            get_key_sz: Some(key_size),
            get_iv_sz: Some(iv_size),
            get_block_sz: Some(block_size),
            get_hmac_sz: Some(hmac_size),
            ctx_init: Some(ctx_init),
            ctx_free: Some(ctx_free),
            fips_status: Some(fips_status),
            get_provider_version: Some(provider_version),
            next: std::ptr::null_mut(),
        });
    }
    SQLITE_OK
}

/// Keeps the provider linked: the core calls this before its first open.
/// SQLCipher's C code is the only other user of the setup symbol, and a
/// linker that reads archives in order could drop it before that use.
#[inline(never)]
pub fn link() -> &'static str {
    let setup: unsafe extern "C" fn(*mut Provider) -> c_int = pushseal_sqlcipher_setup;
    std::hint::black_box(setup);
    PROVIDER_NAME
}

extern "C" fn provider_name(_: Ctx) -> *const c_char {
    NAME_C.as_ptr().cast()
}

extern "C" fn provider_version(_: Ctx) -> *const c_char {
    VERSION_C.as_ptr().cast()
}

extern "C" fn cipher_name(_: Ctx) -> *const c_char {
    CIPHER_C.as_ptr().cast()
}

/// The OS generator needs no seeding; SQLCipher's extra entropy is dropped.
extern "C" fn add_random(_: Ctx, _: *const c_void, _: c_int) -> c_int {
    SQLITE_OK
}

unsafe extern "C" fn random(_: Ctx, buffer: *mut c_void, length: c_int) -> c_int {
    // SAFETY: SQLCipher passes a writable buffer of `length` bytes.
    let Some(out) = (unsafe { slice_mut(buffer.cast(), length) }) else {
        return SQLITE_ERROR;
    };
    status(getrandom::getrandom(out).is_ok())
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    _: Ctx,
    algorithm: c_int,
    key: *const c_uchar,
    key_sz: c_int,
    input: *const c_uchar,
    in_sz: c_int,
    input2: *const c_uchar,
    in2_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    // SAFETY: SQLCipher passes buffers of the sizes it states, `input2`
    // possibly null, and `out` of `hmac_size(algorithm)` bytes.
    let parts = unsafe {
        (
            slice(key, key_sz),
            slice(input, in_sz),
            if input2.is_null() {
                Some(&[][..])
            } else {
                slice(input2, in2_sz)
            },
        )
    };
    let (Some(key), Some(input), Some(input2)) = parts else {
        return SQLITE_ERROR;
    };
    let size = hmac_size(std::ptr::null_mut(), algorithm);
    // SAFETY: as above, `out` holds `size` bytes.
    let Some(out) = (unsafe { slice_mut(out, size) }) else {
        return SQLITE_ERROR;
    };
    match algorithm {
        HMAC_SHA256 => mac::<Hmac<Sha256>>(key, input, input2, out),
        HMAC_SHA512 => mac::<Hmac<Sha512>>(key, input, input2, out),
        _ => SQLITE_ERROR,
    }
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], a: &[u8], b: &[u8], out: &mut [u8]) -> c_int {
    let Ok(mut m) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return SQLITE_ERROR;
    };
    m.update(a);
    m.update(b);
    let tag = m.finalize().into_bytes();
    if tag.len() != out.len() {
        return SQLITE_ERROR;
    }
    out.copy_from_slice(&tag);
    SQLITE_OK
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    _: Ctx,
    algorithm: c_int,
    pass: *const c_uchar,
    pass_sz: c_int,
    salt: *const c_uchar,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut c_uchar,
) -> c_int {
    let Ok(rounds) = u32::try_from(workfactor) else {
        return SQLITE_ERROR;
    };
    if rounds == 0 {
        return SQLITE_ERROR;
    }
    // SAFETY: SQLCipher passes buffers of the sizes it states.
    let (pass, salt, out) = unsafe {
        (
            slice(pass, pass_sz),
            slice(salt, salt_sz),
            slice_mut(key, key_sz),
        )
    };
    let (Some(pass), Some(salt), Some(out)) = (pass, salt, out) else {
        return SQLITE_ERROR;
    };
    match algorithm {
        HMAC_SHA256 => pbkdf2::pbkdf2_hmac::<Sha256>(pass, salt, rounds, out),
        HMAC_SHA512 => pbkdf2::pbkdf2_hmac::<Sha512>(pass, salt, rounds, out),
        _ => return SQLITE_ERROR,
    }
    SQLITE_OK
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    _: Ctx,
    mode: c_int,
    key: *const c_uchar,
    key_sz: c_int,
    iv: *const c_uchar,
    input: *const c_uchar,
    in_sz: c_int,
    out: *mut c_uchar,
) -> c_int {
    if key_sz != KEY_BYTES || in_sz < 0 || in_sz % BLOCK_BYTES != 0 {
        return SQLITE_ERROR;
    }
    if input.is_null() || out.is_null() {
        return SQLITE_ERROR;
    }
    // SAFETY: SQLCipher passes a key of `key_sz` bytes, an IV of
    // `iv_size()` bytes, and `in_sz` readable/writable bytes. The input is
    // copied to `out` first (`copy` allows overlap), then worked in place.
    let (key, iv, buf) = unsafe {
        std::ptr::copy(input, out, in_sz as usize);
        (
            slice(key, key_sz),
            slice(iv, IV_BYTES),
            slice_mut(out, in_sz),
        )
    };
    let (Some(key), Some(iv), Some(buf)) = (key, iv, buf) else {
        return SQLITE_ERROR;
    };
    let (key, iv) = (GenericArray::from_slice(key), GenericArray::from_slice(iv));
    if mode == SQLCIPHER_ENCRYPT {
        let mut enc = cbc::Encryptor::<aes::Aes256>::new(key, iv);
        for block in buf.chunks_exact_mut(BLOCK_BYTES as usize) {
            enc.encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
    } else {
        let mut dec = cbc::Decryptor::<aes::Aes256>::new(key, iv);
        for block in buf.chunks_exact_mut(BLOCK_BYTES as usize) {
            dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
        }
    }
    SQLITE_OK
}

extern "C" fn key_size(_: Ctx) -> c_int {
    KEY_BYTES
}

extern "C" fn iv_size(_: Ctx) -> c_int {
    IV_BYTES
}

extern "C" fn block_size(_: Ctx) -> c_int {
    BLOCK_BYTES
}

extern "C" fn hmac_size(_: Ctx, algorithm: c_int) -> c_int {
    match algorithm {
        HMAC_SHA1 => 20,
        HMAC_SHA256 => 32,
        HMAC_SHA512 => 64,
        _ => 0,
    }
}

/// The provider keeps no per-connection state.
unsafe extern "C" fn ctx_init(ctx: *mut Ctx) -> c_int {
    if !ctx.is_null() {
        // SAFETY: SQLCipher passes the address of its context pointer.
        unsafe { ctx.write(std::ptr::null_mut()) };
    }
    SQLITE_OK
}

unsafe extern "C" fn ctx_free(ctx: *mut Ctx) -> c_int {
    // SAFETY: as in ctx_init.
    unsafe { ctx_init(ctx) }
}

extern "C" fn fips_status(_: Ctx) -> c_int {
    0
}

fn status(ok: bool) -> c_int {
    if ok {
        SQLITE_OK
    } else {
        SQLITE_ERROR
    }
}

/// `len` bytes at `ptr`; None for a negative length or a null pointer with
/// a non-zero length. A zero length gives an empty slice.
///
/// # Safety
/// A non-null `ptr` points to `len` readable bytes that outlive the call.
unsafe fn slice<'a>(ptr: *const c_uchar, len: c_int) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// # Safety
/// A non-null `ptr` points to `len` writable bytes, borrowed nowhere else.
unsafe fn slice_mut<'a>(ptr: *mut c_uchar, len: c_int) -> Option<&'a mut [u8]> {
    let len = usize::try_from(len).ok()?;
    if len == 0 {
        return Some(&mut []);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller's promise.
    Some(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::{null, null_mut};

    fn table() -> Provider {
        let mut p = std::mem::MaybeUninit::<Provider>::zeroed();
        assert_eq!(
            unsafe { pushseal_sqlcipher_setup(p.as_mut_ptr()) },
            SQLITE_OK
        );
        unsafe { p.assume_init() }
    }

    #[test]
    fn the_table_names_this_provider_and_sqlcipher_4_sizes() {
        let p = table();
        let name = unsafe { std::ffi::CStr::from_ptr((p.get_provider_name.unwrap())(null_mut())) };
        assert_eq!(name.to_str().unwrap(), PROVIDER_NAME);
        assert_eq!(link(), PROVIDER_NAME);
        assert_eq!((p.get_key_sz.unwrap())(null_mut()), 32);
        assert_eq!((p.get_hmac_sz.unwrap())(null_mut(), HMAC_SHA512), 64);
        assert_eq!(
            unsafe { pushseal_sqlcipher_setup(null_mut()) },
            SQLITE_ERROR
        );
    }

    #[test]
    fn cbc_round_trips_in_place_and_refuses_bad_sizes() {
        let p = table();
        let cipher = p.cipher.unwrap();
        let (key, iv) = ([7u8; 32], [9u8; 16]);
        let plain: Vec<u8> = (0..64u8).collect();
        let mut buf = plain.clone();
        let b = buf.as_mut_ptr();
        let rc = unsafe {
            cipher(
                null_mut(),
                SQLCIPHER_ENCRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                b,
                64,
                b,
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_ne!(buf, plain);
        let mut out = [0u8; 64];
        let rc = unsafe {
            cipher(
                null_mut(),
                0,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                buf.as_ptr(),
                64,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_OK);
        assert_eq!(&out[..], &plain[..]);
        for (key_sz, len) in [(16, 64), (32, 63), (32, -16)] {
            let rc = unsafe {
                cipher(
                    null_mut(),
                    0,
                    key.as_ptr(),
                    key_sz,
                    iv.as_ptr(),
                    buf.as_ptr(),
                    len,
                    out.as_mut_ptr(),
                )
            };
            assert_eq!(rc, SQLITE_ERROR, "key {key_sz}, len {len}");
        }
        let rc = unsafe {
            cipher(
                null_mut(),
                0,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                null(),
                64,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_ERROR);
    }

    #[test]
    fn hmac_covers_both_inputs_and_refuses_sha1() {
        let p = table();
        let hmac = p.hmac.unwrap();
        let (key, a, b) = ([1u8; 64], [2u8; 100], [3u8; 4]);
        let mut joined = [0u8; 64];
        let mut split = [0u8; 64];
        let ab: Vec<u8> = a.iter().chain(&b).copied().collect();
        unsafe {
            let rc = hmac(
                null_mut(),
                HMAC_SHA512,
                key.as_ptr(),
                64,
                ab.as_ptr(),
                104,
                null(),
                0,
                joined.as_mut_ptr(),
            );
            assert_eq!(rc, SQLITE_OK);
            let rc = hmac(
                null_mut(),
                HMAC_SHA512,
                key.as_ptr(),
                64,
                a.as_ptr(),
                100,
                b.as_ptr(),
                4,
                split.as_mut_ptr(),
            );
            assert_eq!(rc, SQLITE_OK);
            let rc = hmac(
                null_mut(),
                HMAC_SHA1,
                key.as_ptr(),
                64,
                a.as_ptr(),
                100,
                null(),
                0,
                split.as_mut_ptr(),
            );
            assert_eq!(rc, SQLITE_ERROR);
        }
        assert_eq!(joined, split);
        let mut expected = Hmac::<Sha512>::new_from_slice(&key).unwrap();
        expected.update(&ab);
        assert_eq!(&joined[..], &expected.finalize().into_bytes()[..]);
    }

    #[test]
    fn random_fills_and_refuses_a_negative_length() {
        let p = table();
        let random = p.random.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(
            unsafe { random(null_mut(), buf.as_mut_ptr().cast(), 64) },
            SQLITE_OK
        );
        assert_ne!(buf, [0u8; 64]);
        assert_eq!(
            unsafe { random(null_mut(), buf.as_mut_ptr().cast(), -1) },
            SQLITE_ERROR
        );
    }
}
