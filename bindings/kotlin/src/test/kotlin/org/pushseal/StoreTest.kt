package org.pushseal

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.Vectors
import org.pushseal.support.vectorStore
import java.io.File

/** The SQLCipher store through the bindings: a real file on disk. */
class StoreTest {
    @TempDir
    lateinit var dir: File

    private val path get() = File(dir, "store.db")

    @Test
    fun `a store opens read-write, then read-only with the same key`() {
        val key = Pushseal.generateStoreKey()
        assertEquals(32, key.size)
        assertFalse(key.contentEquals(Pushseal.generateStoreKey()))
        vectorStore(dir, key = key).use { it.closeStore() }
        assertTrue(path.length() > 0)
        Pushseal.openStore(path, key, StoreMode.READ_ONLY).use { nse ->
            assertEquals(StoreMode.READ_ONLY, nse.mode())
            val account = nse.accounts().single()
            assertEquals(Vectors.server, account.server)
            assertTrue(account.hasPrivateKey && !account.hasAuthToken)
            assertEquals(Vectors.deviceRoomKeys.toUInt(), account.roomKeys)
            nse.closeStore()
        }
    }

    @Test
    fun `a wrong key is WrongKey, and the file is not touched`() {
        vectorStore(dir).use { it.closeStore() }
        val before = path.readBytes()
        for (mode in StoreMode.values()) {
            assertThrows(PushsealException.WrongKey::class.java) { Pushseal.openStore(path, Pushseal.generateStoreKey(), mode) }
        }
        assertArrayEquals(before, path.readBytes())
    }

    @Test
    fun `opening errors are typed`() {
        assertThrows(PushsealException.StoreNotFound::class.java) {
            Pushseal.openStore(path, Pushseal.generateStoreKey(), StoreMode.READ_ONLY)
        }
        assertThrows(PushsealException.InvalidInput::class.java) { Pushseal.openStore(path, ByteArray(31), StoreMode.READ_WRITE) }
        File(dir, "garbage.db").writeBytes(ByteArray(8192) { it.toByte() })
        assertThrows(PushsealException::class.java) {
            Pushseal.openStore(File(dir, "garbage.db"), Pushseal.generateStoreKey(), StoreMode.READ_WRITE)
        }
    }

    @Test
    fun `a read-only store refuses writes`() {
        val key = Pushseal.generateStoreKey()
        vectorStore(dir, key = key).use { it.closeStore() }
        Pushseal.openStore(path, key, StoreMode.READ_ONLY).use { nse ->
            assertThrows(PushsealException.StoreReadOnly::class.java) { nse.setAuthToken(Vectors.server, "token") }
            assertThrows(PushsealException.StoreReadOnly::class.java) { nse.importKeys(Vectors.keysJwkJson, null) }
        }
    }

    @Test
    fun `pause releases the store and the next call reopens it, close ends it`() {
        vectorStore(dir).use { store ->
            store.pause()
            assertEquals(1, store.accounts().size)
            store.closeStore()
            assertThrows(PushsealException.StoreClosed::class.java) { store.accounts() }
            store.closeStore() // twice is fine
        }
    }

    @Test
    fun `keys import with the E2E password from KEYS json, and a wrong one is WrongPassword`() {
        Pushseal.openStore(path, Pushseal.generateStoreKey()).use { store ->
            assertThrows(PushsealException.WrongPassword::class.java) { store.importKeys(Vectors.keysJson, Vectors.password + "x") }
            assertTrue(store.accounts().isEmpty(), "nothing is written when unlocking fails")
            val summary = store.importKeys(Vectors.keysJson, null)
            assertEquals(Vectors.deviceRoomKeys.toUInt(), summary.keys, "$summary")
            assertEquals(1u, summary.skipped, "the room wrapped for another user")
            assertTrue(store.accounts().single().hasPrivateKey)
            assertThrows(PushsealException.InvalidInput::class.java) { store.importKeys("{not json", null) }
            assertTrue(store.removeAccount(Vectors.server))
            assertTrue(store.accounts().isEmpty())
        }
    }
}
