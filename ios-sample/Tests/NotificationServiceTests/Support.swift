import Foundation

/// The repository's test vectors (tests/vectors, see its README).
enum Vectors {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../..").standardizedFileURL

    static var server: String { all()["server"] as! String }

    static func push(_ id: String) -> [String: Any] {
        (all()["pushes"] as! [[String: Any]]).first { $0["id"] as? String == id }!
    }

    /// keys-jwk.json for another server URL (the fake server's).
    static func keys(for server: String) -> String {
        var keys = object(try! Data(contentsOf: file("keys-jwk.json")))
        keys["server"] = server
        return json(keys)
    }

    /// A push's payload (APNs: ejson at the top level) with its `host` pointed at `server`.
    static func withHost(_ payload: Any, _ server: String) -> String {
        var p = payload as! [String: Any]
        var ejson = object(Data((p["ejson"] as! String).utf8))
        ejson["host"] = "\(server)/"
        p["ejson"] = json(ejson)
        return json(p)
    }

    static func object(_ data: Data) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    private static func all() -> [String: Any] { object(try! Data(contentsOf: file("rocketchat.json"))) }

    private static func json(_ value: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: value), as: UTF8.self)
    }

    static func file(_ name: String) -> URL { repo.appendingPathComponent("tests/vectors/\(name)") }
}

/// tests/vectors/matrix/matrix.json (see its README): Megolm sessions and
/// pushes made with libolm.
enum MatrixVectors {
    static func push(_ id: String) -> [String: Any] {
        (all()["pushes"] as! [[String: Any]]).first { $0["id"] as? String == id }!
    }

    static var account: [String: Any] { all()["account"] as! [String: Any] }

    /// The sessions a host app hands over, as `importMatrixSessions` takes them.
    static var storeSessions: String {
        String(decoding: try! JSONSerialization.data(withJSONObject: all()["store_sessions"]!), as: UTF8.self)
    }

    private static func all() -> [String: Any] { Vectors.object(try! Data(contentsOf: Vectors.file("matrix/matrix.json"))) }
}

/// A fake server as a child process on 127.0.0.1: Rocket.Chat
/// (tests/fake-server/fake_rocketchat.py) or, with `homeserver()`, a Matrix
/// homeserver (fake_homeserver.py). It exits when its stdin closes.
final class FakeServer {
    static let token = "fake-auth-token"

    let url: String
    private let process = Process()
    private let stdin = Pipe()

    /// The fake homeserver serving the Matrix vectors' events, with `token`.
    static func homeserver(_ extra: [String] = []) throws -> FakeServer {
        try FakeServer(extra, script: "fake_homeserver.py", fixtures: "matrix/matrix.json")
    }

    init(_ extra: [String] = [], script: String = "fake_rocketchat.py", fixtures: String = "rocketchat.json") throws {
        let python = ProcessInfo.processInfo.environment["PUSHSEAL_PYTHON"] ?? "python3"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, Vectors.repo.appendingPathComponent("tests/fake-server/\(script)").path,
                             "--port", "0", "--token", FakeServer.token, "--max-seconds", "300",
                             "--fixtures", Vectors.file(fixtures).path] + extra
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while let byte = try stdout.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line += byte
        }
        let ready = String(decoding: line, as: UTF8.self)
        guard ready.hasPrefix("READY "), let port = Int(ready.dropFirst(6).trimmingCharacters(in: .whitespaces)) else {
            process.terminate()
            throw NSError(domain: "FakeServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "did not start: \(ready)"])
        }
        url = "http://127.0.0.1:\(port)"
    }

    deinit {
        try? stdin.fileHandleForWriting.close()
        process.terminate()
        process.waitUntilExit()
    }
}
