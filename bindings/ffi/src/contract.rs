//! The contract between this library and the hand-written Kotlin and Swift
//! layers. Generated bindings check uniffi checksums when first used, and a
//! mismatch crashes Swift (`fatalError`) and poisons Kotlin's class loader.
//! The layers call [`pushseal_ffi_contract_version`], a plain C symbol that
//! needs none of the generated code, first, and turn a mismatch into a typed
//! error the app can survive.

/// Bump whenever anything exported by this crate changes shape, together
/// with the constants in `bindings/kotlin/src/main/kotlin/org/pushseal/Contract.kt`
/// and `bindings/swift/Sources/Pushseal/Contract.swift` (a test below
/// reads them).
pub const CONTRACT_VERSION: u32 = 2;

/// The contract version this library was built with.
#[uniffi::export]
pub fn contract_version() -> u32 {
    CONTRACT_VERSION
}

/// The pushseal version, e.g. `0.1.0`.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// [`CONTRACT_VERSION`] without uniffi's machinery, so the hand-written
/// layers can read it before touching any generated code.
#[no_mangle]
pub extern "C" fn pushseal_ffi_contract_version() -> u32 {
    CONTRACT_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn source(relative: &str) -> String {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The number assigned to `name` in a Kotlin or Swift constant declaration.
    fn constant(text: &str, name: &str) -> u32 {
        let line = text
            .lines()
            .find(|l| l.contains(name) && l.contains('=') && !l.trim_start().starts_with("//"))
            .unwrap_or_else(|| panic!("no {name} declared"));
        let value = line
            .rsplit('=')
            .next()
            .unwrap()
            .trim()
            .trim_end_matches(';');
        value
            .parse()
            .unwrap_or_else(|e| panic!("{name} = {value:?}: {e}"))
    }

    #[test]
    fn hand_written_layers_expect_this_contract() {
        let kotlin = source("kotlin/src/main/kotlin/org/pushseal/Contract.kt");
        let swift = source("swift/Sources/Pushseal/Contract.swift");
        assert_eq!(
            constant(&kotlin, "const val CONTRACT_VERSION"),
            CONTRACT_VERSION,
            "Contract.kt"
        );
        assert_eq!(
            constant(&swift, "static let contractVersion"),
            CONTRACT_VERSION,
            "Contract.swift"
        );
        assert_eq!(pushseal_ffi_contract_version(), contract_version());
    }

    #[test]
    fn hand_written_layers_expect_this_uniffi() {
        let scaffolding = crate::ffi_pushseal_ffi_uniffi_contract_version();
        let kotlin = source("kotlin/src/main/kotlin/org/pushseal/Contract.kt");
        let swift = source("swift/Sources/Pushseal/Contract.swift");
        assert_eq!(
            constant(&kotlin, "const val UNIFFI_CONTRACT_VERSION"),
            scaffolding,
            "Contract.kt"
        );
        assert_eq!(
            constant(&swift, "static let uniffiContractVersion"),
            scaffolding,
            "Contract.swift"
        );
    }
}
