package org.pushseal.sample

import android.security.keystore.KeyGenParameterSpec
import java.io.InputStream
import java.io.OutputStream
import java.security.Key
import java.security.KeyStoreSpi
import java.security.Provider
import java.security.SecureRandom
import java.security.Security
import java.security.cert.Certificate
import java.security.spec.AlgorithmParameterSpec
import java.util.Collections
import java.util.Date
import java.util.Enumeration
import java.util.concurrent.ConcurrentHashMap
import javax.crypto.KeyGenerator
import javax.crypto.KeyGeneratorSpi
import javax.crypto.SecretKey

/**
 * Stands in for the Android Keystore, which Robolectric does not have: a JCA
 * provider named "AndroidKeyStore" with an in-memory KeyStore and an AES
 * KeyGenerator that files each key under its KeyGenParameterSpec alias.
 * StoreKey runs unchanged against it; without it installed,
 * KeyStore.getInstance("AndroidKeyStore") throws KeyStoreException, as on a
 * device whose Keystore is broken.
 */
class FakeAndroidKeyStore : Provider(NAME, "1.0", "test stand-in for the Android Keystore") {
    init {
        put("KeyStore.$NAME", Store::class.java.name)
        put("KeyGenerator.AES", AesGenerator::class.java.name)
    }

    class Store : KeyStoreSpi() {
        override fun engineGetKey(alias: String, password: CharArray?): Key? = keys[alias]
        override fun engineContainsAlias(alias: String) = keys.containsKey(alias)
        override fun engineDeleteEntry(alias: String) { keys.remove(alias) }
        override fun engineAliases(): Enumeration<String> = Collections.enumeration(keys.keys)
        override fun engineSize() = keys.size
        override fun engineIsKeyEntry(alias: String) = keys.containsKey(alias)
        override fun engineLoad(stream: InputStream?, password: CharArray?) = Unit
        override fun engineGetCertificateChain(alias: String): Array<Certificate>? = null
        override fun engineGetCertificate(alias: String): Certificate? = null
        override fun engineGetCreationDate(alias: String): Date? = null
        override fun engineIsCertificateEntry(alias: String) = false
        override fun engineGetCertificateAlias(cert: Certificate): String? = null
        override fun engineSetKeyEntry(alias: String, key: Key, password: CharArray?, chain: Array<Certificate>?) =
            throw UnsupportedOperationException("keys are generated inside the Keystore")
        override fun engineSetKeyEntry(alias: String, key: ByteArray, chain: Array<Certificate>?) =
            throw UnsupportedOperationException("keys are generated inside the Keystore")
        override fun engineSetCertificateEntry(alias: String, cert: Certificate) = throw UnsupportedOperationException()
        override fun engineStore(stream: OutputStream, password: CharArray?) = throw UnsupportedOperationException()
    }

    class AesGenerator : KeyGeneratorSpi() {
        private var spec: KeyGenParameterSpec? = null

        override fun engineInit(params: AlgorithmParameterSpec, random: SecureRandom?) {
            spec = params as KeyGenParameterSpec
        }

        override fun engineInit(random: SecureRandom?) = throw UnsupportedOperationException("needs a KeyGenParameterSpec")
        override fun engineInit(keysize: Int, random: SecureRandom?) = throw UnsupportedOperationException("needs a KeyGenParameterSpec")

        override fun engineGenerateKey(): SecretKey {
            val spec = checkNotNull(spec) { "not initialised" }
            // A plain JCE key: the real one never leaves secure hardware.
            val key = KeyGenerator.getInstance("AES", "SunJCE").apply { init(spec.keySize) }.generateKey()
            keys[spec.keystoreAlias] = key
            return key
        }
    }

    companion object {
        const val NAME = "AndroidKeyStore"
        private val keys = ConcurrentHashMap<String, Key>()

        fun install() {
            keys.clear()
            Security.removeProvider(NAME)
            Security.addProvider(FakeAndroidKeyStore())
        }

        fun uninstall() {
            keys.clear()
            Security.removeProvider(NAME)
        }

        /** The wrapping key is gone, as after a Keystore wipe; the wrapped store key stays on disk. */
        fun forgetKeys() = keys.clear()
    }
}
