package org.pushseal

import java.io.File

/**
 * Entry point of the Kotlin layer. Call [checkContract] once at start-up (for
 * example in `Application.onCreate` or before the first push); it throws a
 * [PushsealSetupException] instead of crashing when the native library is
 * missing or does not match these bindings.
 *
 * ```
 * Pushseal.checkContract()
 * val store = Pushseal.openStore(File(context.noBackupFilesDir, "pushseal.db"), key, StoreMode.READ_ONLY)
 * val decryptor = Pushseal.decryptor(store)
 * val result = decryptor.decryptFcmBlocking(remoteMessage.data, 8.seconds)
 * ```
 */
object Pushseal {
    /** The contract version these bindings expect. */
    const val CONTRACT_VERSION: Int = Contract.CONTRACT_VERSION

    /** Loads the library and checks it matches these bindings. */
    @Throws(PushsealSetupException::class)
    fun checkContract() {
        checkContract(Contract.libraryName, Contract.CONTRACT_VERSION, Contract.UNIFFI_CONTRACT_VERSION)
        // Runs uniffi's own checksum check now, while its failure is still typed.
        loaded { org.pushseal.contractVersion() }
    }

    /** The native library's version, e.g. `0.1.0`. */
    fun libraryVersion(): String = loaded { org.pushseal.libraryVersion() }

    /** A new random 32-byte store key; keep it in the Android Keystore. */
    fun generateStoreKey(): ByteArray = loaded { org.pushseal.generateStoreKey() }

    /**
     * Opens the key store. The app opens [StoreMode.READ_WRITE]; the FCM
     * handler may open [StoreMode.READ_ONLY] when it never writes.
     */
    @Throws(PushsealException::class, PushsealSetupException::class)
    fun openStore(path: File, key: ByteArray, mode: StoreMode = StoreMode.READ_WRITE): PushStore =
        loaded { PushStore.open(path.path, key, mode) }

    /** A decryptor over [store]; [config] sets trust and timeouts. */
    @Throws(PushsealException::class, PushsealSetupException::class)
    fun decryptor(store: PushStore, config: NetworkConfig = NetworkConfig()): Decryptor =
        loaded { Decryptor.withConfig(store, config) }

    /**
     * Sends pushseal's log records up to [maxLevel] to [log] (e.g. Logcat);
     * null stops logging. Records never contain message text, tokens,
     * passwords or keys. [log] runs on pushseal's threads too.
     */
    fun setLogger(maxLevel: LogLevel = LogLevel.INFO, log: ((LogLevel, String) -> Unit)?) = loaded {
        val logger = log?.let { f ->
            object : PushsealLogger {
                override fun log(level: LogLevel, message: String) = f(level, message)
            }
        }
        org.pushseal.setLogger(logger, maxLevel)
    }
}
