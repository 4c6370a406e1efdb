package org.pushseal

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.FakeServer
import org.pushseal.support.Vectors
import org.pushseal.support.str
import org.pushseal.support.vectorStore
import java.io.File
import kotlin.time.Duration.Companion.seconds

/** Fetch on receipt and key sync against the fake Rocket.Chat server on 127.0.0.1. */
class FetchTest {
    @TempDir
    lateinit var dir: File

    private val servers = mutableListOf<FakeServer>()

    private fun server(tls: Boolean = false) = FakeServer.start(tls).also { servers += it }

    @AfterEach
    fun stop() = servers.forEach { it.close() }

    @Test
    fun `id-only pushes are fetched and decrypted, in every container`() {
        val server = server()
        vectorStore(dir, server.url, loggedIn = true).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val idOnly = Vectors.pushes.filter { it.str("mode") == "message-id-only" && it.str("message_id") != null }
                assertTrue(idOnly.size >= 4)
                for (p in idOnly) {
                    val payload = Vectors.withHost(p["payload"]!!, server.url)
                    val result = runBlocking { decryptor.decrypt(payload, 20.seconds) }
                    assertTrue(result is DecryptResult.Decrypted, "${p.str("id")}: $result")
                    assertEquals(Vectors.expectedBody(p.str("message_id")!!), result.exposeBody(), p.str("id"))
                    assertTrue(result.notificationFields.fetched && !result.notificationFields.roomKeyFetched)
                }
                assertEquals(idOnly.size, server.requests("push.get"))
            }
        }
    }

    @Test
    fun `the blocking call fetches too`() {
        val server = server()
        vectorStore(dir, server.url, loggedIn = true).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val p = Vectors.push("p35-fcm-data-idonly-rc.v1")
                val result = decryptor.decryptBlocking(Vectors.withHost(p["payload"]!!, server.url), 20.seconds)
                assertEquals(Vectors.expectedBody(p.str("message_id")!!), result.exposeBody())
                assertTrue(result.notificationFields.fetched)
            }
        }
    }

    @Test
    fun `an unknown room key is fetched once and kept`() {
        val server = server()
        val rid = "GrpProjectX0000a1"
        vectorStore(dir, server.url, loggedIn = true, keep = { it != rid }).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val p = Vectors.push("p01-apns-rc.v2-gcm-m01")
                val payload = Vectors.withHost(p["payload"]!!, server.url)
                val result = runBlocking { decryptor.decrypt(payload, 20.seconds) }
                assertEquals(p["expected"]!!.jsonObject.str("body"), result.exposeBody())
                assertTrue(result.notificationFields.roomKeyFetched && !result.notificationFields.fetched)
                // Kept in the store: offline now.
                assertEquals("decrypted", decryptor.decryptOffline(payload).status)
                assertEquals(1, server.requests("subscriptions.getOne"))
            }
        }
    }

    @Test
    fun `an account is unlocked with the E2E password and its keys synced from the server`() {
        val server = server()
        Pushseal.openStore(File(dir, "store.db"), Pushseal.generateStoreKey()).use { store ->
            store.setAccount(server.url, Vectors.all["device_user"]!!.jsonObject.str("user_id")!!)
            store.setAuthToken(server.url, FakeServer.TOKEN)
            Pushseal.decryptor(store).use { decryptor ->
                runBlocking { decryptor.unlock(server.url, Vectors.password, 30.seconds) }
                assertTrue(store.accounts().single().hasPrivateKey)
                val sync = runBlocking { decryptor.syncKeys(server.url, 30.seconds) }
                assertEquals(Vectors.rooms.toUInt(), sync.subscriptions, "$sync")
                assertEquals(Vectors.deviceRoomKeys.toUInt(), sync.import.keys, "$sync")
                val p = Vectors.push("p12-fcm-v1-rc.v1-m11")
                val result = decryptor.decryptOffline(Vectors.withHost(p["payload"]!!, server.url))
                assertEquals(p["expected"]!!.jsonObject.str("body"), result.exposeBody())
            }
            // The blocking forms do the same.
            Pushseal.decryptor(store).use { decryptor ->
                decryptor.unlockBlocking(server.url, Vectors.password, 30_000uL)
                assertTrue(decryptor.syncKeysBlocking(server.url, 30_000uL).import.rooms >= 4u)
            }
        }
    }

    @Test
    fun `HTTPS works with the server's private CA, and fails typed without it`() {
        val server = server(tls = true)
        vectorStore(dir, server.url, loggedIn = true).use { store ->
            val payload = Vectors.withHost(Vectors.push("p34-apns-idonly-rc.v2-gcm")["payload"]!!, server.url)
            val ca = FakeServer.tlsFile("ca.pem").readText()
            Pushseal.decryptor(store, NetworkConfig(extraCaPem = ca)).use { decryptor ->
                val result = runBlocking { decryptor.decrypt(payload, 20.seconds) }
                assertEquals("decrypted", result.status, "$result")
            }
            Pushseal.decryptor(store).use { decryptor ->
                val result = runBlocking { decryptor.decrypt(payload, 20.seconds) }
                assertEquals("tls", result.failureCode, "$result")
                assertFalse(result.exposeBody().isEmpty())
            }
        }
    }
}
