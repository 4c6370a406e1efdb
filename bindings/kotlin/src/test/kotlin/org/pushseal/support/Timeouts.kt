package org.pushseal.support

import kotlinx.coroutines.runBlocking
import org.pushseal.DecryptResult
import org.pushseal.Decryptor
import org.pushseal.decrypt
import org.pushseal.decryptBlocking
import org.pushseal.displayTitle
import org.pushseal.exposeBody
import org.pushseal.failureCode
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource

/**
 * Decrypts [payload] through the suspending call and then the blocking one
 * while the server does not answer: each must come back as `timeout`, with
 * text to show, within [deadline] plus a margin wide enough for a loaded
 * machine. Each clock starts at its call, after the caller's set-up.
 * Returns both results for further checks. (Plain `check`s, not JUnit's, so
 * that the Android sample's JUnit 4 build can share this file.)
 */
fun timeoutsByDeadline(decryptor: Decryptor, payload: String, deadline: Duration): List<DecryptResult> =
    listOf(false, true).map { blocking ->
        val started = TimeSource.Monotonic.markNow()
        val result = if (blocking) {
            decryptor.decryptBlocking(payload, deadline)
        } else {
            runBlocking { decryptor.decrypt(payload, deadline) }
        }
        val took = started.elapsedNow()
        check(result.failureCode == "timeout") { "not a timeout (blocking=$blocking): $result" }
        check(result.displayTitle.isNotBlank() && result.exposeBody().isNotBlank()) { "no text to show: $result" }
        check(took < deadline + 5.seconds) { "returned after $took (blocking=$blocking)" }
        result
    }
