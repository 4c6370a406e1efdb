import Foundation
import Pushseal
import XCTest

/// The logger callback gets records of what happened, and never a secret.
final class LoggerTests: XCTestCase {
    override func tearDown() {
        Pushseal.setLogger(nil)
    }

    func testRecordsNameOutcomesAndStoreEventsNeverSecrets() async throws {
        let records = Records()
        Pushseal.setLogger(maxLevel: .debug) { level, message in records.add(level, message) }
        let server = try FakeServer()
        let dir = try temporaryDirectory(self)
        let key = generateStoreKey()
        let store = try Pushseal.openStore(path: dir.appendingPathComponent("store.db").path, key: key)
        _ = try store.importKeys(keysJson: Vectors.keys(for: server.url, jwk: false), password: Vectors.password)
        try store.setAuthToken(server: server.url, token: FakeServer.token)
        let d = try Pushseal.decryptor(store: store)
        var bodies: [String] = []
        for id in ["p01-apns-rc.v2-gcm-m01", "p34-apns-idonly-rc.v2-gcm", "p41-apns-gcm-tampered-ct"] {
            let result = await d.decrypt(payload: Vectors.withHost(Vectors.push(id)["payload"]!, server.url), deadline: 20)
            if case .decrypted = result { bodies.append(result.exposeBody()) }
        }
        try store.pause()
        try store.close()
        XCTAssertEqual(bodies.count, 2)
        XCTAssertEqual(try server.requests("push.get"), 1)

        let text = records.all.map(\.1).joined(separator: "\n")
        for expected in ["store opened", "keys imported", "push decrypted", "push failed", "bad_auth_tag", "store paused", "store closed"] {
            XCTAssert(text.contains(expected), "no \"\(expected)\" in:\n\(text)")
        }
        XCTAssert(records.all.contains { $0.0 == .warn })
        let jwk = (Vectors.all["device_user"] as! [String: Any])["private_jwk"] as! [String: Any]
        let hexKey = key.map { String(format: "%02x", $0) }.joined()
        for secret in bodies + [Vectors.password, FakeServer.token, hexKey, jwk.str("d")!] {
            XCTAssertFalse(text.contains(secret), "a record contains a secret:\n\(text)")
        }

        Pushseal.setLogger(nil)
        let before = records.all.count
        try Pushseal.openStore(path: dir.appendingPathComponent("other.db").path, key: generateStoreKey()).close()
        XCTAssertEqual(records.all.count, before, "records after the logger was removed")
    }
}

/// Thread-safe: pushseal logs from its own threads too.
private final class Records: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(LogLevel, String)] = []

    func add(_ level: LogLevel, _ message: String) {
        lock.lock()
        defer { lock.unlock() }
        items.append((level, message))
    }

    var all: [(LogLevel, String)] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}
