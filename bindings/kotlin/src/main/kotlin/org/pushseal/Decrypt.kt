package org.pushseal

import kotlin.time.Duration

/*
 * Idiomatic calls on the generated Decryptor: kotlin.time.Duration budgets,
 * FCM data maps, and accessors that work on every DecryptResult case.
 */

/** Decrypts an FCM data map (`RemoteMessage.data`), fetching if needed, within [deadline]. */
suspend fun Decryptor.decryptFcm(data: Map<String, String>, deadline: Duration): DecryptResult =
    decrypt(jsonObject(data), deadline.toTimeoutMs())

/** [decryptFcm] on the calling thread, e.g. in `onMessageReceived`. */
fun Decryptor.decryptFcmBlocking(data: Map<String, String>, deadline: Duration): DecryptResult =
    decryptBlocking(jsonObject(data), deadline.toTimeoutMs())

/** Decrypts a push given as JSON (any container pushseal reads) within [deadline]. */
suspend fun Decryptor.decrypt(payload: String, deadline: Duration): DecryptResult =
    decrypt(payload, deadline.toTimeoutMs())

fun Decryptor.decryptBlocking(payload: String, deadline: Duration): DecryptResult =
    decryptBlocking(payload, deadline.toTimeoutMs())

/** Unlocks the account's private key with the E2E password. */
suspend fun Decryptor.unlock(server: String, password: String, deadline: Duration) =
    unlock(server, password, deadline.toTimeoutMs())

/** Imports every room key of the account from the server. */
suspend fun Decryptor.syncKeys(server: String, deadline: Duration): SyncSummary =
    syncKeys(server, deadline.toTimeoutMs())

/** `decrypted`, `not_encrypted`, `needs_fetch` or `failed`. */
val DecryptResult.status: String
    get() = when (this) {
        is DecryptResult.Decrypted -> "decrypted"
        is DecryptResult.NotEncrypted -> "not_encrypted"
        is DecryptResult.NeedsFetch -> "needs_fetch"
        is DecryptResult.Failed -> "failed"
    }

/** The title to show, whatever the case. */
val DecryptResult.displayTitle: String
    get() = when (this) {
        is DecryptResult.Decrypted -> title
        is DecryptResult.NotEncrypted -> title
        is DecryptResult.NeedsFetch -> fallbackTitle
        is DecryptResult.Failed -> fallbackTitle
    }

/** The body to show: the message text, or the safe fallback. Never log it. */
fun DecryptResult.exposeBody(): String = when (this) {
    is DecryptResult.Decrypted -> body.expose()
    is DecryptResult.NotEncrypted -> body.expose()
    is DecryptResult.NeedsFetch -> fallbackBody
    is DecryptResult.Failed -> fallbackBody
}

val DecryptResult.notificationFields: NotificationFields
    get() = when (this) {
        is DecryptResult.Decrypted -> fields
        is DecryptResult.NotEncrypted -> fields
        is DecryptResult.NeedsFetch -> fields
        is DecryptResult.Failed -> fields
    }

/** The failure's stable snake_case code (`bad_auth_tag`, `timeout`, …), or null. */
val DecryptResult.failureCode: String?
    get() = (this as? DecryptResult.Failed)?.reason?.code()

internal fun Duration.toTimeoutMs(): ULong = inWholeMilliseconds.coerceAtLeast(0).toULong()
