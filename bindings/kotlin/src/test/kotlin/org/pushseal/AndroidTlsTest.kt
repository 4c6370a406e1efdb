package org.pushseal

import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertDoesNotThrow

/** Calls the real JNI entry point: a renamed class or symbol fails here, not on a phone. */
class AndroidTlsTest {
    @Test
    fun `init reaches the native entry point and is harmless off Android`() {
        assertDoesNotThrow { AndroidTls.init(Any()) }
        assertDoesNotThrow { AndroidTls.init(Any()) } // idempotent
    }
}
