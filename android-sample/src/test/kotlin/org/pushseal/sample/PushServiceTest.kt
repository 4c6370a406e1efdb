package org.pushseal.sample

import android.app.Application
import android.app.Notification
import android.app.NotificationManager
import androidx.core.app.NotificationCompat
import com.google.firebase.messaging.RemoteMessage
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.pushseal.DecryptResult
import org.pushseal.PushStore
import org.pushseal.Pushseal
import org.pushseal.decryptFcmBlocking
import org.pushseal.displayTitle
import org.pushseal.exposeBody
import org.pushseal.status
import org.pushseal.support.FakeServer
import org.pushseal.support.MatrixVectors
import org.pushseal.support.Vectors
import org.pushseal.support.str
import org.robolectric.Robolectric
import org.robolectric.RuntimeEnvironment
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config
import java.io.File
import kotlin.time.Duration.Companion.seconds

/**
 * Real vectors through the real PushService (with the real libpushseal_ffi,
 * loaded by JNA) on Robolectric's Android framework: what comes out is the
 * notification the user would see.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [35])
class PushServiceTest {
    private val context: Application = RuntimeEnvironment.getApplication()
    private val manager get() = checkNotNull(context.getSystemService(NotificationManager::class.java))
    private val notifications get() = shadowOf(manager)
    private val servers = mutableListOf<FakeServer>()

    @Before
    fun keystore() = FakeAndroidKeyStore.install()

    @After
    fun cleanUp() {
        servers.forEach { it.close() }
        FakeAndroidKeyStore.uninstall()
    }

    @Test
    fun `a push is decrypted into one messaging notification`() {
        writeStore(Vectors.server)
        for ((id, group) in listOf("p02-fcm-data-rc.v2-gcm-m01" to true, "p18-fcm-data-legacy-msg-m17" to false)) {
            val push = Vectors.push(id)
            val expected = push["expected"]!!.jsonObject
            manager.cancelAll()
            val n = receive(dataOf(push["payload"]!!)).single()
            val style = messaging(n)
            assertEquals(id, expected.str("title"), style.conversationTitle)
            assertEquals(id, expected.str("body"), style.messages.single().text)
            val sender = Json.parseToJsonElement(push["payload"]!!.jsonObject.str("ejson")!!).jsonObject["sender"]!!.jsonObject
            assertEquals(id, sender.str("name"), style.messages.single().person?.name)
            assertEquals(id, group, style.isGroupConversation)
            assertEquals(PushService.CHANNEL, n.channelId)
            assertEquals(expected.str("rid"), n.group)
        }
        assertNotNull(manager.getNotificationChannel(PushService.CHANNEL))
    }

    @Test
    fun `without a store the user gets pushseal's safe fallback`() {
        val push = Vectors.push("p02-fcm-data-rc.v2-gcm-m01")
        val data = dataOf(push["payload"]!!)
        val n = receive(data).single()
        // What the library itself falls back to without keys.
        val fallback = libraryResult("empty", data) {}
        assertEquals("failed", fallback.status)
        val style = messaging(n)
        assertEquals(fallback.displayTitle, style.conversationTitle)
        assertEquals(fallback.exposeBody(), style.messages.single().text)
        assertNotEquals(push["expected"]!!.jsonObject.str("body"), style.messages.single().text)
    }

    @Test
    fun `a Keystore that fails gives a generic notification, not a crash`() {
        writeStore(Vectors.server)
        FakeAndroidKeyStore.uninstall() // KeyStore.getInstance("AndroidKeyStore") now throws KeyStoreException
        val n = receive(dataOf(Vectors.push("p02-fcm-data-rc.v2-gcm-m01")["payload"]!!)).single()
        assertGeneric(n)
    }

    @Test
    fun `a lost wrapping key gives a generic notification, not a crash`() {
        writeStore(Vectors.server)
        FakeAndroidKeyStore.forgetKeys() // the wrapped key on disk no longer opens (AEADBadTagException)
        val n = receive(dataOf(Vectors.push("p02-fcm-data-rc.v2-gcm-m01")["payload"]!!)).single()
        assertGeneric(n)
    }

    @Test
    fun `an id-only push is fetched from the server and decrypted`() {
        val server = FakeServer.start().also { servers += it }
        writeStore(server.url, loggedIn = true)
        val push = Vectors.push("p35-fcm-data-idonly-rc.v1")
        val n = receive(dataOf(Json.parseToJsonElement(Vectors.withHost(push["payload"]!!, server.url)))).single()
        assertEquals(Vectors.expectedBody(push.str("message_id")!!), messaging(n).messages.single().text)
        assertEquals(1, server.requests("push.get"))
    }

    @Test
    fun `a Matrix push is decrypted beside a Rocket-Chat account in the same store`() {
        writeStore(Vectors.server, matrix = MatrixVectors.homeserver)
        // Sygnal's FCM data map: `content` arrives as JSON text, as Android hands it over.
        for (id in listOf("fcm-data-text", "fcm-data-thread")) {
            val expected = MatrixVectors.expected(id)
            manager.cancelAll()
            val n = receive(dataOf(MatrixVectors.push(id)["payload"]!!)).single()
            val style = messaging(n)
            assertEquals(id, expected.str("title"), style.conversationTitle)
            assertEquals(id, expected.str("body"), style.messages.single().text)
            assertEquals(id, expected.str("rid"), n.group)
        }
        manager.cancelAll()
        val rc = Vectors.push("p02-fcm-data-rc.v2-gcm-m01")
        val n = receive(dataOf(rc["payload"]!!)).single()
        assertEquals(rc["expected"]!!.jsonObject.str("body"), messaging(n).messages.single().text)
    }

    @Test
    fun `a Matrix push without its room session shows the safe fallback`() {
        writeStore(Vectors.server, matrix = MatrixVectors.homeserver, matrixSessions = false)
        val push = MatrixVectors.push("fcm-data-text")
        val data = dataOf(push["payload"]!!)
        val n = receive(data).single()
        val fallback = libraryResult("matrix-empty", data) { store ->
            val account = MatrixVectors.account
            store.setMatrixAccount(MatrixVectors.homeserver, account.str("user_id")!!, account.str("device_id")!!, null)
        }
        assertEquals("failed", fallback.status)
        val text = messaging(n).messages.single().text.toString()
        assertEquals(fallback.exposeBody(), text)
        assertTrue(text.isNotBlank())
        assertNotEquals(MatrixVectors.expected("fcm-data-text").str("body"), text)
        assertFalse("no ciphertext is shown", text.contains("AwgAEp"))
    }

    /**
     * The store PushService opens, filled the way the app would after login;
     * with [matrix], also signed in to that homeserver with its Megolm
     * sessions handed over (unless [matrixSessions] is false).
     */
    private fun writeStore(server: String, loggedIn: Boolean = false, matrix: String? = null, matrixSessions: Boolean = true) {
        val key = StoreKey.load(context)
        Pushseal.openStore(File(context.noBackupFilesDir, PushService.STORE_FILE), key).use { store ->
            key.fill(0)
            store.importKeys(Vectors.keysFor(server, jwk = true), null)
            if (loggedIn) store.setAuthToken(server, FakeServer.TOKEN)
            if (matrix != null) {
                val account = MatrixVectors.account
                store.setMatrixAccount(matrix, account.str("user_id")!!, account.str("device_id")!!, null)
                if (matrixSessions) store.importMatrixSessions(matrix, MatrixVectors.storeSessions)
            }
            store.closeStore()
        }
    }

    /** What the library returns for [data] from a fresh store that [fill] prepared, outside PushService. */
    private fun libraryResult(name: String, data: Map<String, String>, fill: (PushStore) -> Unit): DecryptResult {
        val dir = File(context.cacheDir, name).also { it.mkdirs() }
        return Pushseal.openStore(File(dir, "store.db"), Pushseal.generateStoreKey()).use { store ->
            fill(store)
            Pushseal.decryptor(store).use { it.decryptFcmBlocking(data, 5.seconds) }
        }
    }

    /** Delivers one push the way FCM does and returns every notification posted so far. */
    private fun receive(data: Map<String, String>): List<Notification> {
        val service = Robolectric.setupService(PushService::class.java)
        service.onMessageReceived(RemoteMessage.Builder("fcm@example").setData(data).build())
        return notifications.allNotifications
    }

    /** An FCM data map: every value a string, nested objects as JSON text. */
    private fun dataOf(payload: JsonElement): Map<String, String> =
        payload.jsonObject.mapValues { (_, v) -> if (v is JsonPrimitive) v.content else v.toString() }

    private fun messaging(n: Notification): NotificationCompat.MessagingStyle =
        checkNotNull(NotificationCompat.MessagingStyle.extractMessagingStyleFromNotification(n)) { "not a MessagingStyle notification" }

    private fun assertGeneric(n: Notification) {
        val style = messaging(n)
        assertEquals("New message", style.conversationTitle)
        assertEquals("You have a new message", style.messages.single().text)
        assertFalse(style.isGroupConversation)
        assertTrue(File(context.noBackupFilesDir, PushService.STORE_FILE).exists())
    }
}
