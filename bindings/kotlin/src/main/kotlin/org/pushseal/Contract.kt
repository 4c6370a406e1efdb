package org.pushseal

import com.sun.jna.Library
import com.sun.jna.Native

/**
 * The contract this Kotlin layer was written against. Must equal the
 * library's `CONTRACT_VERSION` (bindings/ffi/src/contract.rs); a Rust test
 * reads these two lines to keep them in step.
 */
internal object Contract {
    const val CONTRACT_VERSION = 2

    /** uniffi's own scaffolding contract for the pinned uniffi (=0.32.2). */
    const val UNIFFI_CONTRACT_VERSION = 30

    /** The library's base name; uniffi's override property is honoured. */
    val libraryName: String
        get() = System.getProperty("uniffi.component.pushseal_ffi.libraryOverride") ?: "pushseal_ffi"
}

/** Why pushseal cannot be used in this process. The app should fall back to generic notifications. */
sealed class PushsealSetupException(message: String, cause: Throwable? = null) : Exception(message, cause) {
    /** The native library is missing or cannot be loaded (wrong ABI, missing dependency). */
    class LibraryUnavailable(message: String, cause: Throwable? = null) : PushsealSetupException(message, cause)

    /**
     * The native library and these bindings were built from different versions.
     * [found] is null when the library is too old to say.
     */
    class ContractMismatch(val expected: Int, val found: Int?, message: String, cause: Throwable? = null) :
        PushsealSetupException(message, cause)
}

/**
 * Reads the contract through plain C symbols, without uniffi's generated code:
 * uniffi checks its checksums when first used and leaves the generated classes
 * unusable for the life of the process when they fail.
 */
@Suppress("FunctionName")
private interface RawContract : Library {
    fun pushseal_ffi_contract_version(): Int
    fun ffi_pushseal_ffi_uniffi_contract_version(): Int
}

internal fun checkContract(library: String, expected: Int, expectedUniffi: Int) {
    val raw = try {
        Native.load(library, RawContract::class.java)
    } catch (e: UnsatisfiedLinkError) {
        throw PushsealSetupException.LibraryUnavailable("cannot load lib$library: ${e.message}", e)
    }
    val found = try {
        raw.pushseal_ffi_contract_version() to raw.ffi_pushseal_ffi_uniffi_contract_version()
    } catch (e: UnsatisfiedLinkError) {
        throw PushsealSetupException.ContractMismatch(expected, null, "lib$library predates the contract check", e)
    }
    if (found.first != expected) {
        throw PushsealSetupException.ContractMismatch(
            expected, found.first, "lib$library has contract ${found.first}, these bindings expect $expected",
        )
    }
    if (found.second != expectedUniffi) {
        throw PushsealSetupException.ContractMismatch(
            expected, found.first,
            "lib$library was built with uniffi contract ${found.second}, these bindings expect $expectedUniffi",
        )
    }
}

/**
 * Runs [block], which uses the generated bindings, turning a library that
 * fails to load or to pass uniffi's checksums into a [PushsealSetupException].
 */
internal inline fun <T> loaded(block: () -> T): T =
    try {
        block()
    } catch (e: UnsatisfiedLinkError) {
        throw PushsealSetupException.LibraryUnavailable("cannot load lib${Contract.libraryName}: ${e.message}", e)
    } catch (e: ExceptionInInitializerError) {
        throw setupFailure(e.cause ?: e)
    } catch (e: NoClassDefFoundError) {
        // The JVM reports a class whose initialiser failed once like this afterwards.
        throw PushsealSetupException.LibraryUnavailable("lib${Contract.libraryName} failed to initialise earlier", e)
    }

internal fun setupFailure(cause: Throwable): PushsealSetupException {
    val message = cause.message.orEmpty()
    return if ("checksum" in message || "contract version" in message) {
        PushsealSetupException.ContractMismatch(Contract.CONTRACT_VERSION, null, message, cause)
    } else {
        PushsealSetupException.LibraryUnavailable("lib${Contract.libraryName} failed to initialise: $message", cause)
    }
}
