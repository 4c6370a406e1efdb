package org.pushseal.support

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.io.File

/** The repository's test vectors (tests/vectors, see its README). */
object Vectors {
    val repo: File = File(System.getProperty("pushseal.repo") ?: error("surefire sets pushseal.repo")).canonicalFile

    val all: JsonObject by lazy { Json.parseToJsonElement(file("rocketchat.json").readText()).jsonObject }
    val keysJson: String by lazy { file("keys.json").readText() }
    val keysJwkJson: String by lazy { file("keys-jwk.json").readText() }

    val server: String get() = all.str("server")!!
    val password: String get() = all["device_user"]!!.jsonObject.str("password")!!
    val pushes: List<JsonObject> get() = all["pushes"]!!.jsonArray.map { it.jsonObject }

    fun push(id: String): JsonObject = pushes.first { it.str("id") == id }

    /** Room keys the device user can unwrap: rooms wrapped for another user are skipped. */
    val deviceRoomKeys: Int
        get() = all["rooms"]!!.jsonArray.map { it.jsonObject }
            .filter { it.str("wrapped_for") == "device_user" }.sumOf { it["keys"]!!.jsonArray.size }
    val rooms: Int get() = all["rooms"]!!.jsonArray.size

    fun expectedBody(messageId: String): String =
        all["messages"]!!.jsonArray.map { it.jsonObject }.first { it.str("id") == messageId }.str("expected_body")!!

    /** keys.json for another server URL (the fake server's), with the rooms [keep] accepts. */
    fun keysFor(server: String, jwk: Boolean = false, keep: (String) -> Boolean = { true }): String {
        val keys = Json.parseToJsonElement(if (jwk) keysJwkJson else keysJson).jsonObject
        val subscriptions = JsonArray(keys["subscriptions"]!!.jsonArray.filter { keep(it.jsonObject.str("rid")!!) })
        return JsonObject(keys + ("server" to JsonPrimitive(server)) + ("subscriptions" to subscriptions)).toString()
    }

    /** A push's payload with its `host` pointed at [server], in whichever container it comes. */
    fun withHost(payload: JsonElement, server: String): String {
        fun retarget(ejson: JsonElement): JsonElement = when (ejson) {
            is JsonPrimitive -> JsonPrimitive(retarget(Json.parseToJsonElement(ejson.content)).toString())
            is JsonObject -> JsonObject(ejson + ("host" to JsonPrimitive("$server/")))
            else -> ejson
        }
        val p = payload.jsonObject
        // An FCM data map has a "message" too: a string, not the v1 envelope.
        val data = (p["message"] as? JsonObject)?.get("data") as? JsonObject
        return when {
            data != null -> {
                val message = p["message"]!!.jsonObject
                val newData = JsonObject(data + ("ejson" to retarget(data["ejson"]!!)))
                JsonObject(p + ("message" to JsonObject(message + ("data" to newData))))
            }
            p["ejson"] != null -> JsonObject(p + ("ejson" to retarget(p["ejson"]!!)))
            else -> retarget(p)
        }.toString()
    }

    private fun file(name: String) = File(repo, "tests/vectors/$name")
}

fun JsonObject.str(key: String): String? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull }?.contentOrNull

/** An FCM data map as `RemoteMessage.data` gives it: every value a string. */
fun JsonElement.asFcmData(): Map<String, String> = jsonObject.mapValues { (_, v) ->
    when (v) {
        is JsonPrimitive -> v.content
        is JsonObject, is JsonArray -> v.toString()
    }
}

fun JsonElement.json(): String = if (this is JsonPrimitive && isString) content else toString()
