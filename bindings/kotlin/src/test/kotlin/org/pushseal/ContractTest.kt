package org.pushseal

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

/** The contract check against the real library: passes as built, typed errors otherwise. */
class ContractTest {
    @Test
    fun `the built library matches these bindings`() {
        Pushseal.checkContract()
        assertEquals(Contract.CONTRACT_VERSION.toUInt(), contractVersion())
        assertTrue(Regex("""\d+\.\d+\.\d+.*""").matches(Pushseal.libraryVersion()), Pushseal.libraryVersion())
    }

    @Test
    fun `a library with another contract is a typed mismatch`() {
        val wanted = Contract.CONTRACT_VERSION + 1
        val e = assertThrows(PushsealSetupException.ContractMismatch::class.java) {
            checkContract(Contract.libraryName, wanted, Contract.UNIFFI_CONTRACT_VERSION)
        }
        assertEquals(wanted, e.expected)
        assertEquals(Contract.CONTRACT_VERSION, e.found)
    }

    @Test
    fun `a library built with another uniffi is a typed mismatch`() {
        val e = assertThrows(PushsealSetupException.ContractMismatch::class.java) {
            checkContract(Contract.libraryName, Contract.CONTRACT_VERSION, Contract.UNIFFI_CONTRACT_VERSION - 1)
        }
        assertTrue("uniffi contract" in e.message!!, e.message)
    }

    @Test
    fun `a library without the contract symbol is a typed mismatch`() {
        // A real library that is not pushseal (the JDK's zip library): it loads, the lookup fails.
        val other = File(System.getProperty("java.home"), "lib").listFiles()!!.first { it.name.startsWith("libzip.") }
        val e = assertThrows(PushsealSetupException.ContractMismatch::class.java) {
            checkContract(other.path, Contract.CONTRACT_VERSION, Contract.UNIFFI_CONTRACT_VERSION)
        }
        assertNull(e.found)
    }

    @Test
    fun `a missing library is typed, not an UnsatisfiedLinkError`() {
        assertThrows(PushsealSetupException.LibraryUnavailable::class.java) {
            checkContract("pushseal_ffi_not_installed", Contract.CONTRACT_VERSION, Contract.UNIFFI_CONTRACT_VERSION)
        }
    }

    @Test
    fun `uniffi's initialisation failures become setup exceptions`() {
        // The messages uniffi's generated Kotlin throws from its initialiser.
        val checksum = RuntimeException("UniFFI API checksum mismatch: try cleaning and rebuilding your project")
        assertTrue(setupFailure(checksum) is PushsealSetupException.ContractMismatch)
        assertThrows(PushsealSetupException.ContractMismatch::class.java) { loaded { throw ExceptionInInitializerError(checksum) } }
        assertThrows(PushsealSetupException.LibraryUnavailable::class.java) { loaded { throw UnsatisfiedLinkError("no pushseal_ffi") } }
        assertThrows(PushsealSetupException.LibraryUnavailable::class.java) { loaded { throw NoClassDefFoundError("org/pushseal/UniffiLib") } }
    }
}
