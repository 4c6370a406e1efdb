package org.pushseal.support

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import java.io.File

/** tests/vectors/matrix/ (see its README). */
object MatrixVectors {
    val all: JsonObject by lazy { Json.parseToJsonElement(file("matrix.json").readText()).jsonObject }
    val export: String by lazy { file("export.txt").readText() }
    val account: JsonObject get() = all["account"]!!.jsonObject
    val homeserver: String get() = account.str("homeserver")!!
    val keyExport: JsonObject get() = all["key_export"]!!.jsonObject
    val passphrase: String get() = keyExport.str("passphrase")!!
    val backup: JsonObject get() = all["backup"]!!.jsonObject
    val pushes: List<JsonObject> get() = all["pushes"]!!.jsonArray.map { it.jsonObject }

    /** The host app's sessions, as the JSON list `importMatrixSessions` takes. */
    val storeSessions: String get() = all["store_sessions"]!!.toString()

    fun push(id: String): JsonObject = pushes.first { it.str("id") == id }
    fun payload(id: String): String = push(id)["payload"].toString()

    /** A push's `expected` object, or another one (`expected_after_fetch`, `expected_after_backup`). */
    fun expected(id: String, which: String = "expected"): JsonObject = push(id)[which]!!.jsonObject

    private fun file(name: String) = File(Vectors.repo, "tests/vectors/matrix/$name")
}

/** A vector's expected Megolm message index, or null when it names none. */
fun JsonObject.messageIndex(): UInt? = (this["message_index"] as? JsonPrimitive)?.intOrNull?.toUInt()
