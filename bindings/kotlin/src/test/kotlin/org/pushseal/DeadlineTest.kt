package org.pushseal

import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import org.pushseal.support.FakeServer
import org.pushseal.support.Vectors
import org.pushseal.support.timeoutsByDeadline
import org.pushseal.support.vectorStore
import java.io.File
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * A server that never answers must not hold the push handler past its
 * deadline. The bounds are loose on purpose: they catch a hang, not slowness.
 */
class DeadlineTest {
    @TempDir
    lateinit var dir: File

    private val server = FakeServer.start(false, "--fault", "stall")

    @AfterEach
    fun stop() = server.close()

    private val payload get() = Vectors.withHost(Vectors.push("p34-apns-idonly-rc.v2-gcm")["payload"]!!, server.url)

    @Test
    fun `a stalled server gives a timeout with fallback text by the deadline`() {
        vectorStore(dir, server.url, loggedIn = true).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                timeoutsByDeadline(decryptor, payload, 1500.milliseconds)
            }
        }
    }

    @Test
    fun `cancelling the coroutine returns at once, and the decryptor still works`() {
        vectorStore(dir, server.url, loggedIn = true).use { store ->
            Pushseal.decryptor(store).use { decryptor ->
                val push = payload
                val started = TimeSource.Monotonic.markNow()
                val result = runBlocking { withTimeoutOrNull(300.milliseconds) { decryptor.decrypt(push, 60.seconds) } }
                assertNull(result)
                assertTrue(started.elapsedNow() < 10.seconds, "cancel took ${started.elapsedNow()}")
                server.control("""{"mode": "normal"}""")
                assertEquals("decrypted", runBlocking { decryptor.decrypt(payload, 20.seconds) }.status)
            }
        }
    }
}
