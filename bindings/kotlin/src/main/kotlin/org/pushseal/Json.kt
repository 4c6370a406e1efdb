package org.pushseal

/** A JSON object of string members: all an FCM data map needs, without a JSON library. */
internal fun jsonObject(members: Map<String, String>): String = buildString {
    append('{')
    for ((i, member) in members.entries.withIndex()) {
        if (i > 0) append(',')
        appendJsonString(member.key)
        append(':')
        appendJsonString(member.value)
    }
    append('}')
}

private fun StringBuilder.appendJsonString(s: String) {
    append('"')
    for (c in s) {
        when {
            c == '"' -> append("\\\"")
            c == '\\' -> append("\\\\")
            c < ' ' -> append("\\u").append(c.code.toString(16).padStart(4, '0'))
            else -> append(c)
        }
    }
    append('"')
}
