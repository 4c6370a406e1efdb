import Foundation

/// A fake server of tests/fake-server as a child process on 127.0.0.1: the
/// Rocket.Chat one (`FakeServer()`) or the Matrix homeserver
/// (`FakeServer.homeserver()`). It exits when its stdin closes.
final class FakeServer {
    static let token = "fake-auth-token"
    /// The homeserver's access token (`Authorization: Bearer`).
    static let matrixToken = "fake-access-token"

    /// fake_homeserver.py serving tests/vectors/matrix/matrix.json.
    static func homeserver(_ extra: [String] = []) throws -> FakeServer {
        try FakeServer(extra, script: "fake_homeserver.py", fixtures: "matrix/matrix.json", token: matrixToken)
    }

    let port: Int
    let url: String
    private let process: Process
    private let stdin: Pipe

    init(tls: Bool = false, _ extra: [String] = [], script: String = "fake_rocketchat.py",
         fixtures: String = "rocketchat.json", token: String = FakeServer.token) throws {
        let repo = Vectors.repo
        let python = ProcessInfo.processInfo.environment["PUSHSEAL_PYTHON"] ?? "python3"
        var args = [python, repo.appendingPathComponent("tests/fake-server/\(script)").path,
                    "--port", "0", "--token", token, "--max-seconds", "300",
                    "--fixtures", Vectors.file(fixtures).path] + extra
        if tls { args += ["--tls", FakeServer.tlsFile("server.pem").path, FakeServer.tlsFile("server.key").path] }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = args
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        let line = FakeServer.readLine(stdout.fileHandleForReading)
        guard line.hasPrefix("READY "), let port = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw NSError(domain: "FakeServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(script) did not start: \(line)"])
        }
        self.port = port
        url = "\(tls ? "https" : "http")://127.0.0.1:\(port)"
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }

    /// POST /_control: switch faults (plain-http servers only).
    @discardableResult
    func control(_ json: String) throws -> String { try request("POST", json) }

    /// How many requests an endpoint got.
    func requests(_ endpoint: String) throws -> Int {
        try requestCounts()[endpoint] ?? 0
    }

    /// Every endpoint's request count, as the server reports it (GET /_control).
    func requestCounts() throws -> [String: Int] {
        let state = Vectors.object(Data(try request("GET", nil).utf8))
        return (state["requests"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    /// Plain HTTP/1.1 over a socket: the tests need nothing from URLSession.
    private func request(_ method: String, _ body: String?) throws -> String {
        let body = body ?? ""
        let head = "\(method) /_control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let answer = try exchange(port: port, Data((head + body).utf8))
        guard let split = answer.range(of: "\r\n\r\n") else { return "" }
        return String(answer[split.upperBound...])
    }

    static func tlsFile(_ name: String) -> URL {
        Vectors.repo.appendingPathComponent("tests/fake-server/tls/\(name)")
    }

    private static func readLine(_ handle: FileHandle) -> String {
        var bytes = Data()
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#else
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// Sends `request` to 127.0.0.1:`port` and reads until the server closes.
private func exchange(port: Int, _ request: Data) throws -> String {
    let fd = socket(AF_INET, streamSocket, 0)
    guard fd >= 0 else { throw NSError(domain: "socket", code: Int(errno)) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw NSError(domain: "connect", code: Int(errno)) }
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var answer = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        answer.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: answer, as: UTF8.self)
}
