import pushseal_ffiFFI

/// Why pushseal cannot be used in this process. The extension should fall
/// back to showing the push as it came.
public enum PushsealSetupError: Error, Equatable {
    /// The linked library and these bindings come from different builds.
    case contractMismatch(expected: UInt32, found: UInt32, detail: String)
}

extension Pushseal {
    /// Must equal the library's `CONTRACT_VERSION` (bindings/ffi/src/contract.rs);
    /// a Rust test reads this line.
    public static let contractVersion: UInt32 = 2
    /// uniffi's scaffolding contract for the pinned uniffi (=0.32.2).
    public static let uniffiContractVersion: UInt32 = 30

    /// Checks that the linked library matches these bindings, through plain
    /// C symbols: uniffi's own check, run by the first generated call, ends
    /// the process with `fatalError` on a mismatch. Call it once before the
    /// first decryption and fall back to the push's own text if it throws.
    public static func checkContract() throws {
        try checkContract(expected: contractVersion, expectedUniffi: uniffiContractVersion)
    }

    static func checkContract(expected: UInt32, expectedUniffi: UInt32) throws {
        let found = pushseal_ffi_contract_version()
        guard found == expected else {
            throw PushsealSetupError.contractMismatch(
                expected: expected, found: found,
                detail: "libpushseal_ffi has contract \(found), these bindings expect \(expected)")
        }
        let uniffi = ffi_pushseal_ffi_uniffi_contract_version()
        guard uniffi == expectedUniffi else {
            throw PushsealSetupError.contractMismatch(
                expected: expected, found: found,
                detail: "libpushseal_ffi was built with uniffi contract \(uniffi), these bindings expect \(expectedUniffi)")
        }
    }
}
