package org.pushseal.support

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.HttpURLConnection
import java.net.URI
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * The fake Rocket.Chat server (tests/fake-server/fake_rocketchat.py) as a
 * child process on 127.0.0.1. It exits when its stdin closes, so a test
 * JVM that dies leaves nothing behind.
 */
class FakeServer private constructor(private val process: Process, val port: Int, tls: Boolean) : AutoCloseable {
    val url = "${if (tls) "https" else "http"}://127.0.0.1:$port"

    /** POST /_control: switch faults (plain-http servers only). */
    fun control(json: String): String = request("POST", json)

    /** How many requests an endpoint got. */
    fun requests(endpoint: String): Int =
        Regex("\"${Regex.escape(endpoint)}\": (\\d+)").find(request("GET", null))?.groupValues?.get(1)?.toInt() ?: 0

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

        fun start(tls: Boolean = false, vararg extra: String): FakeServer {
            val repo = Vectors.repo
            val cmd = mutableListOf(
                System.getenv("PUSHSEAL_PYTHON") ?: "python3",
                File(repo, "tests/fake-server/fake_rocketchat.py").path,
                "--port", "0", "--token", TOKEN, "--max-seconds", "300",
                "--fixtures", File(repo, "tests/vectors/rocketchat.json").path,
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
                error("fake server did not start: $ready")
            }
            return FakeServer(process, port, tls)
        }

        fun tlsFile(name: String) = File(Vectors.repo, "tests/fake-server/tls/$name")
    }
}
