package org.pushseal

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.MatrixVectors
import org.pushseal.support.messageIndex
import org.pushseal.support.str
import java.io.File
import java.util.Collections
import kotlin.time.Duration.Companion.seconds

/** Matrix through the bindings: a real SQLCipher store, the Matrix vectors, the same decrypt calls. */
class MatrixTest {
    @TempDir
    lateinit var dir: File

    private val hs get() = MatrixVectors.homeserver

    private fun matrixStore(): PushStore {
        val a = MatrixVectors.account
        val store = Pushseal.openStore(File(dir, "store.db"), Pushseal.generateStoreKey(), StoreMode.READ_WRITE)
        store.setMatrixAccount(hs, a.str("user_id")!!, a.str("device_id")!!, null)
        return store
    }

    private fun payload(id: String) = MatrixVectors.push(id)["payload"].toString()

    @Test
    fun `an Element export imports with its passphrase, then a Matrix push decrypts through decrypt`() {
        matrixStore().use { store ->
            val summary = store.importMatrixExport(hs, MatrixVectors.export, MatrixVectors.passphrase)
            val want = MatrixVectors.keyExport["summary"]!!.jsonObject
            assertEquals(want.str("imported")!!.toUInt(), summary.sessions)
            assertEquals(want.str("rooms")!!.toUInt(), summary.rooms)
            assertEquals(want.str("skipped")!!.toUInt(), summary.skipped)
            assertEquals(summary.sessions, summary.stored)
            val account = store.accounts().single()
            assertEquals(hs, account.server)
            assertEquals(summary.sessions, account.roomKeys)

            val expected = MatrixVectors.push("fcm-data-text")["expected"]!!.jsonObject
            Pushseal.decryptor(store).use { decryptor ->
                val results = listOf(
                    decryptor.decryptOffline(payload("fcm-data-text")),
                    decryptor.decryptBlocking(payload("fcm-data-text"), 10.seconds),
                    runBlocking { decryptor.decrypt(payload("fcm-data-text"), 10.seconds) },
                )
                for (result in results) {
                    assertTrue(result is DecryptResult.Decrypted, result.status)
                    assertEquals(expected.str("title"), result.displayTitle)
                    assertEquals(expected.str("body"), result.exposeBody())
                    assertFalse(expected.str("body")!! in result.toString())
                    val f = result.notificationFields
                    assertEquals(ChatProtocol.MATRIX, f.chatProtocol)
                    assertEquals(expected.str("rid"), f.roomId)
                    assertEquals(expected.str("message_id"), f.messageId)
                    assertEquals(expected.str("sender_username"), f.senderUsername)
                    assertEquals(expected.str("key_id"), f.keyId)
                    assertEquals(expected.str("algorithm"), f.algorithm)
                    assertEquals(expected.messageIndex(), f.messageIndex)
                }
            }
        }
    }

    @Test
    fun `every Matrix vector push gives its expected status and message index offline`() {
        // A fresh store per push, as core/tests/matrix_vectors.rs: a replay
        // only fails after the pushes its `after` names.
        var decrypted = 0
        val wrong = MatrixVectors.pushes.mapIndexedNotNull { i, p ->
            val id = p.str("id")!!
            val want = p["expected"]!!.jsonObject
            val store = Pushseal.openStore(File(dir, "store-$i.db"), Pushseal.generateStoreKey(), StoreMode.READ_WRITE)
            store.use {
                store.setMatrixAccount(hs, MatrixVectors.account.str("user_id")!!, MatrixVectors.account.str("device_id")!!, null)
                store.importMatrixSessions(hs, MatrixVectors.storeSessions)
                Pushseal.decryptor(store).use { decryptor ->
                    for (before in p["after"]?.jsonArray.orEmpty()) {
                        decryptor.decryptOffline(MatrixVectors.payload(before.jsonPrimitive.content))
                    }
                    val result = decryptor.decryptOffline(p["payload"].toString())
                    val f = result.notificationFields
                    if (result is DecryptResult.Decrypted) decrypted++
                    when {
                        result.status != want.str("status") -> "$id: status ${result.status}, want ${want.str("status")}"
                        f.messageIndex != want.messageIndex() -> "$id: message index ${f.messageIndex}, want ${want.messageIndex()}"
                        f.chatProtocol != ChatProtocol.MATRIX -> "$id: protocol ${f.chatProtocol}"
                        else -> null
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), wrong.joinToString("\n"))
        // Not only index 0: the vectors cross the ratchet's 2^8 reseed.
        val indices = MatrixVectors.pushes.mapNotNull { it["expected"]!!.jsonObject.messageIndex() }.toSet()
        assertTrue(indices.size > 5 && 256u in indices, "$indices")
        assertEquals(MatrixVectors.pushes.count { it["expected"]!!.jsonObject.str("status") == "decrypted" }, decrypted)
    }

    @Test
    fun `a wrong passphrase is WrongPassword and leaves the store without sessions`() {
        matrixStore().use { store ->
            assertThrows(PushsealException.WrongPassword::class.java) {
                store.importMatrixExport(hs, MatrixVectors.export, MatrixVectors.passphrase + "x")
            }
            assertThrows(PushsealException.InvalidInput::class.java) {
                store.importMatrixExport(hs, MatrixVectors.export.replace("-----BEGIN", "-----BOGUS"), MatrixVectors.passphrase)
            }
            assertEquals(0u, store.accounts().single().roomKeys)
            Pushseal.decryptor(store).use { decryptor ->
                val result = decryptor.decryptOffline(payload("fcm-data-text"))
                assertEquals("no_room_key", result.failureCode)
            }
        }
    }

    @Test
    fun `a push for an unknown session fails with safe fallback text`() {
        matrixStore().use { store ->
            store.importMatrixExport(hs, MatrixVectors.export, MatrixVectors.passphrase)
            Pushseal.decryptor(store).use { decryptor ->
                val p = MatrixVectors.push("event-unknown-session")
                val expected = p["expected"]!!.jsonObject
                val result = runBlocking { decryptor.decrypt(p["payload"].toString(), 10.seconds) }
                assertTrue(result is DecryptResult.Failed, result.status)
                assertEquals("no_room_key", result.failureCode)
                assertEquals(expected.str("title"), result.displayTitle)
                assertTrue(result.exposeBody().isNotBlank())
                assertEquals(ChatProtocol.MATRIX, result.notificationFields.chatProtocol)
                assertEquals(expected.str("key_id"), result.notificationFields.keyId)
                // An id-only push has nothing to decrypt offline: the host must fetch.
                val idOnly = decryptor.decryptOffline(payload("fcm-id-only-text"))
                assertTrue(idOnly is DecryptResult.NeedsFetch, idOnly.status)
                assertTrue(idOnly.displayTitle.isNotBlank() && idOnly.exposeBody().isNotBlank())
            }
        }
    }

    @Test
    fun `the host app's sessions import as a JSON list`() {
        matrixStore().use { store ->
            val list = MatrixVectors.all["store_sessions"]!!.jsonArray
            val summary = store.importMatrixSessions(hs, list.toString())
            assertEquals(list.size.toUInt(), summary.sessions + summary.skipped)
            assertTrue(summary.sessions > 0u)
            assertEquals(summary.sessions, summary.stored)
            // The same list again stores nothing new.
            assertEquals(0u, store.importMatrixSessions(hs, list.toString()).stored)
            Pushseal.decryptor(store).use { decryptor ->
                assertEquals("Hi Bob, the build is green ✅", decryptor.decryptOffline(payload("fcm-data-text")).exposeBody())
            }
            assertThrows(PushsealException.InvalidInput::class.java) { store.importMatrixSessions(hs, "{\"not\": \"a list\"}") }
        }
    }

    @Test
    fun `the recovery key unlocks the backup, a wrong one is refused`() {
        matrixStore().use { store ->
            val b = MatrixVectors.backup
            val version = b["version"]!!.toString()
            assertThrows(PushsealException.WrongPassword::class.java) {
                store.unlockMatrixBackup(hs, version, b.str("secret_storage_recovery_key")!!, null)
            }
            assertThrows(PushsealException.InvalidInput::class.java) {
                store.unlockMatrixBackup(hs, version, "not a recovery key", null)
            }
            assertFalse(store.accounts().single().hasPrivateKey)
            val unlocked = store.unlockMatrixBackup(hs, version, b.str("recovery_key")!!, null)
            assertEquals(b["version"]!!.jsonObject.str("version"), unlocked.version)
            assertTrue(store.accounts().single().hasPrivateKey)
            assertEquals(unlocked, store.setMatrixBackupKey(hs, version, b.str("backup_key_base64")!!))
            // Element's recovery key is the secret-storage key: it needs the account data.
            val data = b["account_data"]!!.toString()
            assertEquals(unlocked, store.unlockMatrixBackup(hs, version, b.str("secret_storage_recovery_key")!!, data))
        }
    }

    @Test
    fun `log records name the Matrix imports, never the passphrase, keys, token or text`() {
        val records = Collections.synchronizedList(mutableListOf<String>())
        Pushseal.setLogger(LogLevel.DEBUG) { _, message -> records += message }
        val b = MatrixVectors.backup
        val token = "syt_matrix_access_token_secret"
        var body = ""
        try {
            matrixStore().use { store ->
                store.setMatrixAccount(hs, MatrixVectors.account.str("user_id")!!, "DEV", token)
                assertThrows(PushsealException.WrongPassword::class.java) {
                    store.importMatrixExport(hs, MatrixVectors.export, "wrong " + MatrixVectors.passphrase)
                }
                store.importMatrixExport(hs, MatrixVectors.export, MatrixVectors.passphrase)
                store.unlockMatrixBackup(hs, b["version"]!!.toString(), b.str("recovery_key")!!, null)
                Pushseal.decryptor(store).use { body = it.decryptOffline(payload("fcm-data-text")).exposeBody() }
                assertTrue(store.accounts().single().hasAuthToken)
            }
        } finally {
            Pushseal.setLogger(log = null)
        }
        assertEquals("Hi Bob, the build is green ✅", body)
        val text = records.joinToString("\n")
        for (expected in listOf("Matrix sessions imported", "Matrix key backup version 7 unlocked")) {
            assertTrue(expected in text, "no \"$expected\" in:\n$text")
        }
        val recovery = b.str("recovery_key")!!
        val secrets = listOf(MatrixVectors.passphrase, recovery, recovery.replace(" ", ""), b.str("backup_key_base64")!!, token, body)
        for (secret in secrets) assertFalse(secret in text, "a secret in the log:\n$text")
    }
}
