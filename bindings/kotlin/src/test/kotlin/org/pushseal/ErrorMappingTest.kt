package org.pushseal

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.FakeServer
import org.pushseal.support.Vectors
import org.pushseal.support.str
import org.pushseal.support.vectorStore
import java.io.File
import kotlin.time.Duration.Companion.seconds

/** Core errors reach Kotlin as the small public enum, and push failures as typed results. */
class ErrorMappingTest {
    @TempDir
    lateinit var dir: File

    private val server = FakeServer.start()

    @AfterEach
    fun stop() = server.close()

    private fun loggedInWithoutKey(token: String = FakeServer.TOKEN): PushStore {
        val store = Pushseal.openStore(File(dir, "store.db"), Pushseal.generateStoreKey())
        store.setAccount(server.url, Vectors.all["device_user"]!!.jsonObject.str("user_id")!!)
        store.setAuthToken(server.url, token)
        return store
    }

    @Test
    fun `account calls throw typed exceptions`() {
        loggedInWithoutKey().use { store ->
            Pushseal.decryptor(store).use { d ->
                assertThrows(PushsealException.WrongPassword::class.java) {
                    runBlocking { d.unlock(server.url, "not the password", 30.seconds) }
                }
                assertThrows(PushsealException.NotLoggedIn::class.java) {
                    runBlocking { d.syncKeys("https://other.example.org", 10.seconds) }
                }
                server.control("""{"mode": "server_error", "count": 8}""")
                assertThrows(PushsealException.Server::class.java) { runBlocking { d.syncKeys(server.url, 10.seconds) } }
            }
        }
    }

    @Test
    fun `a refused token is Unauthorized, as an exception and as a push result`() {
        loggedInWithoutKey(token = "revoked").use { store ->
            Pushseal.decryptor(store).use { d ->
                assertThrows(PushsealException.Unauthorized::class.java) { d.syncKeysBlocking(server.url, 10_000uL) }
                val payload = Vectors.withHost(Vectors.push("p35-fcm-data-idonly-rc.v1")["payload"]!!, server.url)
                val result = runBlocking { d.decrypt(payload, 10.seconds) }
                assertEquals("unauthorized", result.failureCode, "$result")
            }
        }
    }

    @Test
    fun `the extension's read-only store refuses account calls before any request`() {
        val key = Pushseal.generateStoreKey()
        vectorStore(dir, server.url, loggedIn = true, key = key).use { it.closeStore() }
        Pushseal.openStore(File(dir, "store.db"), key, StoreMode.READ_ONLY).use { nse ->
            Pushseal.decryptor(nse).use { d ->
                assertThrows(PushsealException.StoreReadOnly::class.java) { runBlocking { d.syncKeys(server.url, 10.seconds) } }
                assertThrows(PushsealException.StoreReadOnly::class.java) { d.unlockBlocking(server.url, Vectors.password, 10_000uL) }
            }
        }
        assertEquals(0, server.requests("subscriptions.get"))
    }

    @Test
    fun `bad network settings are InvalidInput, and a closed store fails pushes typed`() {
        vectorStore(dir).use { store ->
            assertThrows(PushsealException.InvalidInput::class.java) {
                Pushseal.decryptor(store, NetworkConfig(extraCaPem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"))
            }
            Pushseal.decryptor(store).use { d ->
                store.closeStore()
                val result = d.decryptOffline(Vectors.push("p01-apns-rc.v2-gcm-m01")["payload"].toString())
                assertEquals("store_error", result.failureCode, "$result")
            }
        }
    }
}
