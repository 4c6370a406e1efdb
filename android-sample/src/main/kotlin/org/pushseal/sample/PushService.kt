package org.pushseal.sample

import android.app.NotificationChannel
import android.app.NotificationManager
import android.os.Build
import android.util.Log
import androidx.annotation.RequiresApi
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.app.Person
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import org.pushseal.AndroidTls
import org.pushseal.DecryptResult
import org.pushseal.LogLevel
import org.pushseal.Pushseal
import org.pushseal.PushsealException
import org.pushseal.PushsealSetupException
import org.pushseal.RoomKind
import org.pushseal.decryptFcmBlocking
import org.pushseal.displayTitle
import org.pushseal.exposeBody
import org.pushseal.notificationFields
import java.io.File
import kotlin.time.Duration.Companion.seconds

/**
 * Decrypts Rocket.Chat e2e pushes and Matrix (Megolm) pushes inside
 * onMessageReceived, which Android lets run for about 10 s: pushseal gets 8
 * of them, fetch included, and always returns something safe to show. One
 * store holds the accounts of both protocols; pushseal tells the pushes
 * apart by their shape. A notification is posted for every
 * push, so FCM never deprioritises the app for silent pushes.
 */
class PushService : FirebaseMessagingService() {
    override fun onMessageReceived(message: RemoteMessage) {
        val result = decrypt(message.data)
        post(result, fallbackTitle = message.notification?.title)
    }

    private fun decrypt(data: Map<String, String>): DecryptResult? = try {
        Pushseal.checkContract()
        // Fetches verify TLS with Android's TrustManager, which needs the Context first.
        AndroidTls.init(applicationContext)
        Pushseal.setLogger(LogLevel.INFO) { level, record -> Log.println(priority(level), TAG, record) }
        storeKey()?.let { key ->
            // Read-write: a room key fetched for this push is kept for the next.
            val opened = try {
                Pushseal.openStore(File(noBackupFilesDir, STORE_FILE), key)
            } finally {
                key.fill(0)
            }
            opened.use { store ->
                try {
                    Pushseal.decryptor(store).use { it.decryptFcmBlocking(data, 8.seconds) }
                } finally {
                    store.closeStore()
                }
            }
        }
    } catch (e: PushsealSetupException) {
        Log.e(TAG, "pushseal unavailable: ${e.message}")
        null
    } catch (e: PushsealException) {
        // No store yet (not logged in), wrong key, store locked: show a generic notification.
        Log.w(TAG, "pushseal store: ${e.javaClass.simpleName}")
        null
    }

    /**
     * The store key, or null when the Keystore cannot give it: locked before
     * the first unlock, the wrapping key lost (a restored backup, a wiped
     * Keystore), or a vendor's Keystore bug. Those come as checked
     * exceptions (KeyStoreException, AEADBadTagException, IOException) and
     * unchecked ones (ProviderException), and none may crash the handler.
     */
    private fun storeKey(): ByteArray? = try {
        StoreKey.load(this)
    } catch (e: Exception) {
        Log.w(TAG, "store key unavailable: ${e.javaClass.simpleName}")
        null
    }

    private fun post(result: DecryptResult?, fallbackTitle: String?) {
        val manager = NotificationManagerCompat.from(this)
        if (!manager.areNotificationsEnabled()) return
        // Channels exist from Android 8 (API 26) on; minSdk is 24.
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.O) createChannel(manager)
        val fields = result?.notificationFields
        val sender = Person.Builder().setName(fields?.senderName ?: fields?.senderUsername ?: "").build()
        val title = result?.displayTitle ?: fallbackTitle ?: "New message"
        val style = NotificationCompat.MessagingStyle(Person.Builder().setName("me").build())
            .setConversationTitle(title)
            .setGroupConversation(fields?.roomKind != null && fields.roomKind !is RoomKind.Direct)
            .addMessage(result?.exposeBody() ?: "You have a new message", System.currentTimeMillis(), sender)
        val notification = NotificationCompat.Builder(this, CHANNEL)
            .setSmallIcon(android.R.drawable.stat_notify_chat)
            .setContentTitle(title)
            .setStyle(style)
            .setGroup(fields?.roomId)
            .setAutoCancel(true)
            .build()
        // notId is constant per room: a room's notifications replace each other.
        val id = fields?.notificationId?.toInt() ?: fields?.roomId.hashCode()
        try {
            manager.notify(id, notification)
        } catch (e: SecurityException) {
            Log.w(TAG, "no notification permission")
        }
    }

    @RequiresApi(Build.VERSION_CODES.O)
    private fun createChannel(manager: NotificationManagerCompat) {
        manager.createNotificationChannel(NotificationChannel(CHANNEL, "Messages", NotificationManager.IMPORTANCE_HIGH))
    }

    private fun priority(level: LogLevel) = when (level) {
        LogLevel.ERROR -> Log.ERROR
        LogLevel.WARN -> Log.WARN
        LogLevel.INFO -> Log.INFO
        LogLevel.DEBUG -> Log.DEBUG
    }

    companion object {
        const val STORE_FILE = "pushseal.db"
        const val CHANNEL = "messages"
        private const val TAG = "pushseal"
    }
}
