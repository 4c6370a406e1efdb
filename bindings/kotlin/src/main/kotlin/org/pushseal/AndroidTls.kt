package org.pushseal

/**
 * Android only: hands the app's `Context` to the TLS verifier, so that fetches trust
 * what the phone trusts (system, user-installed and MDM CAs). Call it once before the
 * first fetch, e.g. in `Application.onCreate` or `FirebaseMessagingService.onCreate`;
 * without it, every fetch fails with a typed error. It does nothing on other platforms.
 *
 * The app must also ship rustls-platform-verifier's small Android component
 * (docs/packaging.md).
 */
object AndroidTls {
    @Volatile
    private var initialised = false

    /** [context] is an `android.content.Context`; typed `Any` so this layer builds on the JVM. */
    @JvmStatic
    @Synchronized
    fun init(context: Any) {
        if (initialised) return
        loaded {
            // JNA's loading does not register the library for JNI lookups; the JVM's does.
            System.loadLibrary(Contract.libraryName)
        }
        try {
            nativeInit(context)
        } catch (e: UnsatisfiedLinkError) {
            throw PushsealSetupException.LibraryUnavailable("lib${Contract.libraryName} has no TLS init: ${e.message}", e)
        } catch (e: RuntimeException) {
            throw PushsealSetupException.LibraryUnavailable("TLS verifier set-up failed: ${e.message}", e)
        }
        initialised = true
    }

    @JvmStatic
    private external fun nativeInit(context: Any)
}
