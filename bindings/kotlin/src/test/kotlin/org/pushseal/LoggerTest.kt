package org.pushseal

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.FakeServer
import org.pushseal.support.Vectors
import org.pushseal.support.str
import kotlinx.serialization.json.jsonObject
import java.io.File
import java.util.Collections
import kotlin.time.Duration.Companion.seconds

/** The logger callback gets records of what happened, and never a secret. */
class LoggerTest {
    @TempDir
    lateinit var dir: File

    private val server = FakeServer.start()

    @AfterEach
    fun stop() {
        Pushseal.setLogger(log = null)
        server.close()
    }

    @Test
    fun `records name outcomes and store events, never passwords, tokens, keys or text`() {
        val records = Collections.synchronizedList(mutableListOf<Pair<LogLevel, String>>())
        Pushseal.setLogger(LogLevel.DEBUG) { level, message -> records += level to message }

        val key = Pushseal.generateStoreKey()
        val token = FakeServer.TOKEN
        val bodies = mutableListOf<String>()
        Pushseal.openStore(File(dir, "store.db"), key).use { store ->
            store.importKeys(Vectors.keysFor(server.url), Vectors.password)
            store.setAuthToken(server.url, token)
            Pushseal.decryptor(store).use { d ->
                for (id in listOf("p01-apns-rc.v2-gcm-m01", "p34-apns-idonly-rc.v2-gcm", "p41-apns-gcm-tampered-ct")) {
                    val p = Vectors.push(id)
                    val result = runBlocking { d.decrypt(Vectors.withHost(p["payload"]!!, server.url), 20.seconds) }
                    if (result is DecryptResult.Decrypted) bodies += result.exposeBody()
                }
            }
            store.pause()
            store.closeStore()
        }
        // The fetched push authenticated with the token, so the token really passed through.
        assertTrue(server.requests("push.get") == 1 && bodies.size == 2, "$bodies\n$records")

        val text = records.joinToString("\n") { it.second }
        for (expected in listOf("store opened", "keys imported", "push decrypted", "push failed", "bad_auth_tag", "store paused", "store closed")) {
            assertTrue(expected in text, "no \"$expected\" in:\n$text")
        }
        assertTrue(records.any { it.first == LogLevel.WARN })
        val privateExponent = Vectors.all["device_user"]!!.jsonObject["private_jwk"]!!.jsonObject.str("d")!!
        val secrets = bodies + listOf(Vectors.password, token, key.joinToString("") { "%02x".format(it) }, privateExponent)
        for (secret in secrets) assertFalse(secret in text, "a record contains a secret:\n$text")

        Pushseal.setLogger(log = null)
        val before = records.size
        Pushseal.openStore(File(dir, "other.db"), Pushseal.generateStoreKey()).use { it.closeStore() }
        assertTrue(records.size == before, "records after the logger was removed")
    }

    @Test
    fun `a logger that throws does not break the call`() {
        Pushseal.setLogger(LogLevel.DEBUG) { _, _ -> throw IllegalStateException("logger down") }
        Pushseal.openStore(File(dir, "store.db"), Pushseal.generateStoreKey()).use { store ->
            store.importKeys(Vectors.keysJwkJson, null)
            Pushseal.decryptor(store).use { d ->
                assertTrue(d.decryptOffline(Vectors.push("p01-apns-rc.v2-gcm-m01")["payload"].toString()) is DecryptResult.Decrypted)
            }
            store.closeStore()
        }
    }
}
