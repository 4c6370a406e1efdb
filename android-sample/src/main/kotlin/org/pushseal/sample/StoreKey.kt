package org.pushseal.sample

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import org.pushseal.Pushseal
import java.io.File
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The store's 32-byte key, kept wrapped by an AES key that lives in the
 * Android Keystore (hardware-backed where the device has it) and never
 * leaves it. The wrapped key (IV + ciphertext) sits in noBackupFilesDir, so
 * it is neither backed up nor restored onto another device, where the
 * Keystore key would be missing anyway.
 *
 * No user authentication is required: FCM pushes arrive while the screen is
 * locked. Before the first unlock after a reboot, credential-encrypted
 * storage is unreadable and [load] throws; the service then shows a generic
 * notification.
 */
object StoreKey {
    private const val ALIAS = "pushseal-store-key-wrap"
    private const val FILE = "pushseal.key"
    private const val IV_BYTES = 12

    /** The store key; created on first use. The caller zeroes it when done. */
    @Synchronized
    fun load(context: Context): ByteArray {
        val file = File(context.noBackupFilesDir, FILE)
        if (!file.exists()) {
            val key = Pushseal.generateStoreKey()
            val cipher = Cipher.getInstance("AES/GCM/NoPadding").apply { init(Cipher.ENCRYPT_MODE, wrappingKey()) }
            val tmp = File(file.path + ".tmp")
            tmp.writeBytes(cipher.iv + cipher.doFinal(key))
            check(tmp.renameTo(file)) { "cannot store the wrapped key" }
            return key
        }
        val blob = file.readBytes()
        val cipher = Cipher.getInstance("AES/GCM/NoPadding").apply {
            init(Cipher.DECRYPT_MODE, wrappingKey(), GCMParameterSpec(128, blob, 0, IV_BYTES))
        }
        return cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES)
    }

    private fun wrappingKey(): SecretKey {
        val keystore = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (keystore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val spec = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore").apply { init(spec) }.generateKey()
    }
}
