package org.pushseal

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.Vectors
import org.pushseal.support.asFcmData
import org.pushseal.support.str
import org.pushseal.support.vectorStore
import java.io.File
import kotlin.time.Duration.Companion.seconds

/** Every push of tests/vectors/rocketchat.json through the real library, compared with its `expected`. */
class VectorsTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `every vector push gives its expected outcome offline`() {
        vectorStore(dir).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val wrong = Vectors.pushes.mapNotNull { p ->
                    val result = decryptor.decryptOffline(p["payload"].toString())
                    mismatch(result, p["expected"]!!.jsonObject)?.let { "${p.str("id")}: $it" }
                }
                assertTrue(wrong.isEmpty(), "${wrong.size} of ${Vectors.pushes.size} pushes wrong:\n${wrong.joinToString("\n")}")
                assertTrue(Vectors.pushes.size >= 70)
            }
        }
    }

    @Test
    fun `FCM data maps decrypt through the idiomatic layer, blocking and suspending`() {
        vectorStore(dir).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                // Pushes that would need the server are covered by FetchTest.
                val fcm = Vectors.pushes.filter { it.str("container") == "fcm-data" && !needsServer(it) }
                assertTrue(fcm.size >= 10)
                for (p in fcm) {
                    val data = p["payload"]!!.asFcmData()
                    val expected = p["expected"]!!.jsonObject
                    val blocking = decryptor.decryptFcmBlocking(data, 10.seconds)
                    assertEquals(null, mismatch(blocking, expected), p.str("id"))
                    val suspending = runBlocking { decryptor.decryptFcm(data, 10.seconds) }
                    assertEquals(null, mismatch(suspending, expected), p.str("id"))
                }
            }
        }
    }

    @Test
    fun `APNs and FCM v1 payloads decrypt through the async call`() {
        vectorStore(dir).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val pushes = Vectors.pushes.filter { it.str("container") in setOf("apns", "fcm-v1", "ejson") && !needsServer(it) }
                val results = runBlocking { pushes.map { decryptor.decrypt(it["payload"].toString(), 10.seconds) } }
                for ((p, result) in pushes.zip(results)) {
                    assertEquals(null, mismatch(result, p["expected"]!!.jsonObject), p.str("id"))
                }
            }
        }
    }

    @Test
    fun `a result never shows the decrypted text in toString`() {
        vectorStore(dir).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val p = Vectors.push("p01-apns-rc.v2-gcm-m01")
                val result = decryptor.decryptOffline(p["payload"].toString())
                val body = p["expected"]!!.jsonObject.str("body")!!
                assertEquals(body, result.exposeBody())
                assertFalse(body in result.toString(), result.toString())
                assertTrue("redacted" in (result as DecryptResult.Decrypted).body.toString())
            }
        }
    }

    private fun needsServer(p: JsonObject): Boolean {
        val expected = p["expected"]!!.jsonObject
        return expected.str("status") == "needs_fetch" || expected.str("reason") == "no_room_key"
    }

    /** What differs from the vector's `expected`, or null. Mirrors core/tests/vectors.rs. */
    private fun mismatch(result: DecryptResult, want: JsonObject): String? {
        val f = result.notificationFields
        val decrypted = result is DecryptResult.Decrypted
        val got = mutableMapOf(
            "status" to result.status,
            "rid" to f.roomId,
            "message_id" to f.messageId,
            "thread_id" to f.threadId,
            "sender_username" to f.senderUsername,
            "key_id" to f.keyId.takeIf { decrypted },
            "algorithm" to f.algorithm.takeIf { decrypted },
            "reason" to result.failureCode,
            // Rocket.Chat has no message index: always null (the vectors name none).
            "message_index" to f.messageIndex?.toString(),
        )
        if (want.str("title") != null) got["title"] = result.displayTitle
        val shown = result is DecryptResult.Decrypted || result is DecryptResult.NotEncrypted
        if (shown && want.str("body") != null) got["body"] = result.exposeBody()
        val wrong = got.filter { (k, v) ->
            val optionalAbsent = want.str(k) == null && k in setOf("rid", "message_id", "sender_username")
            v != want.str(k) && !optionalAbsent
        }.map { (k, v) -> "$k: got $v, want ${want.str(k)}" }.toMutableList()
        if (!shown && (result.displayTitle.isEmpty() || result.exposeBody().isEmpty())) wrong += "empty fallback text"
        if (f.chatProtocol != ChatProtocol.ROCKET_CHAT) wrong += "protocol: got ${f.chatProtocol}, want ROCKET_CHAT"
        return wrong.takeIf { it.isNotEmpty() }?.joinToString("; ")
    }
}
