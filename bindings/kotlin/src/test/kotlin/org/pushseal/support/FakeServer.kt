package org.pushseal.support

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.HttpURLConnection
import java.net.URI
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * A fake server of tests/fake-server as a child process on 127.0.0.1: the
 * Rocket.Chat one ([start]) or the Matrix homeserver ([homeserver]). It
 * exits when its stdin closes, so a test JVM that dies leaves nothing behind.
 */
class FakeServer private constructor(private val process: Process, val port: Int, tls: Boolean) : AutoCloseable {
    val url = "${if (tls) "https" else "http"}://127.0.0.1:$port"

    /** POST /_control: switch faults (plain-http servers only). */
    fun control(json: String): String = request("POST", json)

    /** How many requests an endpoint got. */
    fun requests(endpoint: String): Int =
        Regex("\"${Regex.escape(endpoint)}\": (\\d+)").find(request("GET", null))?.groupValues?.get(1)?.toInt() ?: 0

    /** Every endpoint's request count, as the server reports it (GET /_control). */
    fun requestCounts(): Map<String, Int> =
        Json.parseToJsonElement(request("GET", null)).jsonObject["requests"]!!.jsonObject
            .mapValues { it.value.jsonPrimitive.int }

    private fun request(method: String, body: String?): String {
        val conn = URI("http://127.0.0.1:$port/_control").toURL().openConnection() as HttpURLConnection
        conn.requestMethod = method
        if (body != null) {
            conn.doOutput = true
            conn.setRequestProperty("Content-Type", "application/json")
            conn.outputStream.use { it.write(body.toByteArray()) }
        }
        return conn.inputStream.use { it.readBytes().decodeToString() }
    }

    override fun close() {
        process.outputStream.close()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }

    companion object {
        const val TOKEN = "fake-auth-token"

        /** The homeserver's access token (`Authorization: Bearer`). */
        const val MATRIX_TOKEN = "fake-access-token"

        fun start(tls: Boolean = false, vararg extra: String): FakeServer =
            launch("fake_rocketchat.py", "rocketchat.json", TOKEN, tls, extra.toList())

        /** fake_homeserver.py serving tests/vectors/matrix/matrix.json. */
        fun homeserver(vararg extra: String): FakeServer =
            launch("fake_homeserver.py", "matrix/matrix.json", MATRIX_TOKEN, false, extra.toList())

        private fun launch(script: String, fixtures: String, token: String, tls: Boolean, extra: List<String>): FakeServer {
            val repo = Vectors.repo
            val cmd = mutableListOf(
                System.getenv("PUSHSEAL_PYTHON") ?: "python3",
                File(repo, "tests/fake-server/$script").path,
                "--port", "0", "--token", token, "--max-seconds", "300",
                "--fixtures", File(repo, "tests/vectors/$fixtures").path,
            )
            cmd += extra
            if (tls) cmd += listOf("--tls", tlsFile("server.pem").path, tlsFile("server.key").path)
            val process = ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            val lines = LinkedBlockingQueue<String>()
            Thread {
                val line = BufferedReader(InputStreamReader(process.inputStream)).readLine()
                lines.put(line ?: "EOF")
            }.apply { isDaemon = true }.start()
            val ready = lines.poll(30, TimeUnit.SECONDS)
            val port = ready?.removePrefix("READY ")?.trim()?.toIntOrNull()
            if (port == null) {
                process.destroyForcibly()
                error("$script did not start: $ready")
            }
            return FakeServer(process, port, tls)
        }

        fun tlsFile(name: String) = File(Vectors.repo, "tests/fake-server/tls/$name")
    }
}
