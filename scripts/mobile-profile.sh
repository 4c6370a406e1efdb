# shellcheck shell=bash
# Sourced by the packaging scripts: release settings for the mobile
# libraries, as CARGO_PROFILE_RELEASE_* variables so the workspace's own
# release profile (used for the CLI and benchmarks) stays as it is.
#
# - opt-level "s": small code; the hot paths (AES, SHA-2, RSA) are a small
#   share of a push's time next to the network.
# - lto + one codegen unit: drops the parts of the core and its crates that
#   no exported function reaches. Only when the library is built by
#   `cargo rustc --lib --crate-type cdylib` (or `staticlib`): pushseal-ffi
#   also declares the `lib` crate type, and cargo silently builds every
#   crate type WITHOUT LTO when one of them (the rlib) cannot have it
#   (rust-lang/cargo#9672, #14612); `cargo build` gave a library 0.7 MB
#   larger (docs/packaging.md).
# - strip "debuginfo": keeps the symbol tables. The exported uniffi symbols
#   that JNA and Swift look up live in .dynsym, which no strip removes, and a
#   static library (iOS) needs its symbols to be linked at all.
# - panic "unwind" (the default, stated here on purpose): the FFI layer
#   catches panics at its edge; "abort" would turn a bug into a crash.
# - C without unwind tables (SQLCipher, ring): no Rust panic ever unwinds
#   through C frames (the provider's callbacks cannot panic, and a panic
#   in an `extern "C"` function aborts), so their .eh_frame is dead weight
#   (~90 KB). TARGET_CFLAGS reaches only the cross-compiled C, not the
#   build scripts' host C. Rust keeps its tables: the FFI catches panics.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_STRIP=debuginfo
export CARGO_PROFILE_RELEASE_DEBUG=false
export CARGO_PROFILE_RELEASE_PANIC=unwind
export TARGET_CFLAGS="${TARGET_CFLAGS:+$TARGET_CFLAGS }-fno-asynchronous-unwind-tables -fno-unwind-tables"
# - Linked for 16 KiB pages (ELF segments aligned to 16 KiB, not GNU ld's
#   64 KiB on aarch64): Android runs 4 KiB and 16 KiB page kernels only,
#   Google Play requires 16 KiB support from apps targeting Android 15, and
#   the NDK's own default is 16 KiB from r28 on. Less padding in the file
#   (48 KiB here, docs/packaging.md). For the Linux stand-in builds
#   (size.sh, test-aarch64.sh): pass after `--` to the `cargo rustc` that
#   links the library. cargo ndk (package-aar.sh) already links Android's
#   64-bit ABIs for 16 KiB pages.
# shellcheck disable=SC2034 # used by the scripts that source this file
MOBILE_SO_LINK_ARGS=(-C link-arg=-Wl,-z,max-page-size=16384)
