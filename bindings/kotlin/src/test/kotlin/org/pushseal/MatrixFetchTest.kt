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
import org.pushseal.support.MatrixVectors
import org.pushseal.support.messageIndex
import org.pushseal.support.str
import org.pushseal.support.timeoutsByDeadline
import java.io.File
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/**
 * Matrix fetch on receipt through the Decryptor, against the fake homeserver
 * (tests/fake-server/fake_homeserver.py) on 127.0.0.1 serving the Matrix
 * vectors' events and key backup. The store is a real SQLCipher file.
 */
class MatrixFetchTest {
    @TempDir
    lateinit var dir: File

    private val server = FakeServer.homeserver()

    @AfterEach
    fun stop() = server.close()

    /** Bob's account on the fake homeserver, logged in, with the host app's sessions. */
    private fun store(token: String = FakeServer.MATRIX_TOKEN, name: String = "store.db"): PushStore {
        val a = MatrixVectors.account
        val store = Pushseal.openStore(File(dir, name), Pushseal.generateStoreKey(), StoreMode.READ_WRITE)
        store.setMatrixAccount(server.url, a.str("user_id")!!, a.str("device_id")!!, token)
        store.importMatrixSessions(server.url, MatrixVectors.storeSessions)
        return store
    }

    /** The ciphertext of the event a push stands for, which must never be shown. */
    private fun ciphertext(pushId: String): String {
        val event = MatrixVectors.push(pushId).str("event")!!
        val content = MatrixVectors.all["events"]!!.jsonObject[event]!!.jsonObject["event"]!!.jsonObject["content"]!!.jsonObject
        return content.str("ciphertext")!!
    }

    @Test
    fun `an event-id-only push is decrypted with the event fetched from the homeserver`() {
        store().use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                for (id in listOf("apns-id-only-text", "fcm-id-only-text")) {
                    val want = MatrixVectors.expected(id, "expected_after_fetch")
                    val payload = MatrixVectors.payload(id)
                    for (result in listOf(
                        runBlocking { decryptor.decrypt(payload, 20.seconds) },
                        decryptor.decryptBlocking(payload, 20.seconds),
                    )) {
                        assertTrue(result is DecryptResult.Decrypted, "$id: $result")
                        assertEquals(want.str("title"), result.displayTitle, id)
                        assertEquals(want.str("body"), result.exposeBody(), id)
                        val f = result.notificationFields
                        assertTrue(f.fetched && !f.roomKeyFetched, "$id: $f")
                        assertEquals(ChatProtocol.MATRIX, f.chatProtocol)
                        assertEquals(want.str("message_id"), f.messageId)
                        assertEquals(want.str("sender_username"), f.senderUsername)
                        assertEquals(want.str("key_id"), f.keyId)
                        assertEquals(want.messageIndex(), f.messageIndex)
                    }
                }
                // One GET /event per push, nothing else.
                assertEquals(mapOf("event" to 4), server.requestCounts())
            }
        }
    }

    @Test
    fun `a room key only in the key backup is fetched once and kept`() {
        val id = "fcm-v1-no-room-key"
        store().use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val payload = MatrixVectors.payload(id)
                // Without the backup key there is nothing to ask the server.
                val before = runBlocking { decryptor.decrypt(payload, 20.seconds) }
                assertEquals(MatrixVectors.expected(id).str("reason"), before.failureCode)
                assertEquals(emptyMap<String, Int>(), server.requestCounts())

                val b = MatrixVectors.backup
                store.setMatrixBackupKey(server.url, b["version"]!!.toString(), b.str("backup_key_base64")!!)
                val want = MatrixVectors.expected(id, "expected_after_backup")
                val result = runBlocking { decryptor.decrypt(payload, 20.seconds) }
                assertTrue(result is DecryptResult.Decrypted, "$result")
                assertEquals(want.str("title"), result.displayTitle)
                assertEquals(want.str("body"), result.exposeBody())
                val f = result.notificationFields
                assertTrue(f.roomKeyFetched && !f.fetched, "$f")
                assertEquals(want.str("key_id"), f.keyId)
                assertEquals(want.messageIndex(), f.messageIndex)
                assertEquals(mapOf("backup_session" to 1), server.requestCounts())
                // The app's writable store kept the session: offline now, no further GET.
                val offline = decryptor.decryptOffline(payload)
                assertEquals(want.str("body"), offline.exposeBody())
                assertFalse(offline.notificationFields.roomKeyFetched)
                assertEquals(mapOf("backup_session" to 1), server.requestCounts())
            }
        }
    }

    @Test
    fun `404 and 401 from the homeserver are typed failures with safe fallback text`() {
        store().use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val cases = listOf(
                    Triple("not_found", "apns-id-only-text", "not_found"),
                    Triple("unauthorized", "fcm-v1-long-cut", "unauthorized"),
                )
                for ((mode, id, code) in cases) {
                    server.control("""{"clear_log": true, "mode": "$mode", "count": 1, "path": "event"}""")
                    val result = decryptor.decryptBlocking(MatrixVectors.payload(id), 20.seconds)
                    assertTrue(result is DecryptResult.Failed, "$id: $result")
                    assertEquals(code, result.failureCode, "$id: $result")
                    assertTrue(result.displayTitle.isNotBlank() && result.exposeBody().isNotBlank(), "$result")
                    assertFalse(ciphertext(id).take(16) in result.exposeBody() + result.displayTitle)
                    assertEquals(ChatProtocol.MATRIX, result.notificationFields.chatProtocol)
                    assertEquals(null, result.notificationFields.messageIndex)
                    // Neither answer is retried.
                    assertEquals(mapOf("event" to 1), server.requestCounts(), id)
                }
            }
        }
        // A token the homeserver does not know: the same typed failure, from its own check.
        store(token = "not-the-token", name = "other.db").use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                server.control("""{"clear_log": true}""")
                val result = runBlocking { decryptor.decrypt(MatrixVectors.payload("apns-id-only-text"), 20.seconds) }
                assertEquals("unauthorized", result.failureCode, "$result")
                assertTrue(result.exposeBody().isNotBlank())
                assertEquals(mapOf("event" to 1), server.requestCounts())
            }
        }
    }

    @Test
    fun `a stalled homeserver gives timeout with fallback text by the deadline`() {
        store().use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                server.control("""{"mode": "stall", "delay_ms": 30000}""")
                val payload = MatrixVectors.payload("apns-id-only-text")
                for (result in timeoutsByDeadline(decryptor, payload, 1500.milliseconds)) {
                    assertFalse(result.notificationFields.fetched)
                }
                assertEquals(mapOf("event" to 2), server.requestCounts())
            }
        }
    }
}
