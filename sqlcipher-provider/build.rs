//! libsqlite3-sys (bundled-sqlcipher) asks the linker for `-lcrypto` on
//! every target but Apple's, whatever provider SQLCipher is built with.
//! With this crate's provider nothing in SQLCipher calls libcrypto, and
//! Android's NDK has none to give: an empty archive found first on the
//! search path answers the request, so no build links or needs OpenSSL.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_VENDOR").as_deref() == Ok("apple") {
        // Apple builds use CommonCrypto and libsqlite3-sys asks for no libcrypto.
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        panic!("cargo sets OUT_DIR for build scripts");
    };
    let dir = out.join("no-libcrypto");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/no-libcrypto");
    // An ar archive with no members: its 8-byte magic alone.
    std::fs::write(dir.join("libcrypto.a"), b"!<arch>\n").expect("write the empty libcrypto.a");
    println!("cargo:rustc-link-search=native={}", dir.display());
}
