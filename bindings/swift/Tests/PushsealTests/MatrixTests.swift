import Foundation
import Pushseal
import XCTest

/// tests/vectors/matrix/ (see its README).
enum MatrixVectors {
    static let all: [String: Any] = Vectors.object(try! Data(contentsOf: file("matrix.json")))
    static var export: String { try! String(contentsOf: file("export.txt"), encoding: .utf8) }
    static var account: [String: Any] { all["account"] as! [String: Any] }
    static var homeserver: String { account.str("homeserver")! }
    static var keyExport: [String: Any] { all["key_export"] as! [String: Any] }
    static var passphrase: String { keyExport.str("passphrase")! }
    static var backup: [String: Any] { all["backup"] as! [String: Any] }

    static func push(_ id: String) -> [String: Any] {
        (all["pushes"] as! [[String: Any]]).first { $0.str("id") == id }!
    }

    static func payload(_ id: String) -> String { Vectors.json(push(id)["payload"]!) }

    static var pushes: [[String: Any]] { all["pushes"] as! [[String: Any]] }

    /// The host app's sessions, as the JSON list `importMatrixSessions` takes.
    static var storeSessions: String { Vectors.json(all["store_sessions"]!) }

    /// A push's `expected` object, or another one (`expected_after_fetch`, `expected_after_backup`).
    static func expected(_ id: String, _ which: String = "expected") -> [String: Any] {
        push(id)[which] as! [String: Any]
    }

    /// An expected object's Megolm message index, or nil when it names none.
    static func messageIndex(_ expected: [String: Any]) -> UInt32? {
        (expected["message_index"] as? Int).map { UInt32($0) }
    }

    static func file(_ name: String) -> URL { Vectors.file("matrix/\(name)") }
}

/// Matrix through the bindings: a real SQLCipher store, the Matrix vectors, the same decrypt calls.
final class MatrixTests: XCTestCase {
    private var hs: String { MatrixVectors.homeserver }

    private func matrixStore() throws -> PushStore {
        let dir = try temporaryDirectory(self)
        let store = try Pushseal.openStore(path: dir.appendingPathComponent("store.db").path, key: generateStoreKey())
        let a = MatrixVectors.account
        try store.setMatrixAccount(homeserver: hs, userId: a.str("user_id")!, deviceId: a.str("device_id")!, accessToken: nil)
        addTeardownBlock { try? store.close() }
        return store
    }

    func testAnExportImportsThenAMatrixPushDecryptsThroughDecrypt() async throws {
        let store = try matrixStore()
        let summary = try store.importMatrixExport(homeserver: hs, armoured: MatrixVectors.export, passphrase: MatrixVectors.passphrase)
        let want = MatrixVectors.keyExport["summary"] as! [String: Any]
        XCTAssertEqual(summary.sessions, UInt32(want["imported"] as! Int))
        XCTAssertEqual(summary.rooms, UInt32(want["rooms"] as! Int))
        XCTAssertEqual(summary.skipped, UInt32(want["skipped"] as! Int))
        XCTAssertEqual(summary.stored, summary.sessions)
        XCTAssertEqual(try store.accounts().map(\.roomKeys), [summary.sessions])

        let expected = MatrixVectors.push("fcm-data-text")["expected"] as! [String: Any]
        let decryptor = try Pushseal.decryptor(store: store)
        let payload = MatrixVectors.payload("fcm-data-text")
        for result in [decryptor.decryptOffline(payload: payload), await decryptor.decrypt(payload: payload, deadline: 10)] {
            guard case .decrypted = result else { return XCTFail("not decrypted: \(result.status)") }
            XCTAssertEqual(result.displayTitle, expected.str("title"))
            XCTAssertEqual(result.exposeBody(), expected.str("body"))
            XCTAssertFalse(String(describing: result).contains(expected.str("body")!))
            let f = result.notificationFields
            XCTAssertEqual(f.chatProtocol, .matrix)
            XCTAssertEqual(f.roomId, expected.str("rid"))
            XCTAssertEqual(f.messageId, expected.str("message_id"))
            XCTAssertEqual(f.senderUsername, expected.str("sender_username"))
            XCTAssertEqual(f.keyId, expected.str("key_id"))
            XCTAssertEqual(f.algorithm, expected.str("algorithm"))
            XCTAssertEqual(f.messageIndex, MatrixVectors.messageIndex(expected))
        }
    }

    func testEveryMatrixVectorPushGivesItsExpectedStatusAndMessageIndexOffline() throws {
        // A fresh store per push, as core/tests/matrix_vectors.rs: a replay
        // only fails after the pushes its `after` names.
        var wrong: [String] = []
        var decrypted = 0
        let a = MatrixVectors.account
        for p in MatrixVectors.pushes {
            let id = p.str("id")!
            let want = p["expected"] as! [String: Any]
            let dir = try temporaryDirectory(self)
            let store = try Pushseal.openStore(path: dir.appendingPathComponent("store.db").path, key: generateStoreKey())
            try store.setMatrixAccount(homeserver: hs, userId: a.str("user_id")!, deviceId: a.str("device_id")!, accessToken: nil)
            _ = try store.importMatrixSessions(homeserver: hs, sessionsJson: MatrixVectors.storeSessions)
            let decryptor = try Pushseal.decryptor(store: store)
            for before in p["after"] as? [String] ?? [] {
                _ = decryptor.decryptOffline(payload: MatrixVectors.payload(before))
            }
            let result = decryptor.decryptOffline(payload: Vectors.json(p["payload"]!))
            let f = result.notificationFields
            if case .decrypted = result { decrypted += 1 }
            if result.status != want.str("status") {
                wrong.append("\(id): status \(result.status), want \(want.str("status") ?? "nil")")
            } else if f.messageIndex != MatrixVectors.messageIndex(want) {
                wrong.append("\(id): message index \(String(describing: f.messageIndex)), want \(String(describing: MatrixVectors.messageIndex(want)))")
            } else if f.chatProtocol != .matrix {
                wrong.append("\(id): protocol \(String(describing: f.chatProtocol))")
            }
            try store.close()
        }
        XCTAssert(wrong.isEmpty, wrong.joined(separator: "\n"))
        // Not only index 0: the vectors cross the ratchet's 2^8 reseed.
        let indices = Set(MatrixVectors.pushes.compactMap { MatrixVectors.messageIndex($0["expected"] as! [String: Any]) })
        XCTAssert(indices.count > 5 && indices.contains(256), "\(indices)")
        XCTAssertEqual(decrypted, MatrixVectors.pushes.filter { ($0["expected"] as! [String: Any]).str("status") == "decrypted" }.count)
    }

    func testAWrongPassphraseIsWrongPasswordAndStoresNothing() throws {
        let store = try matrixStore()
        XCTAssertEqual(errorKind { try store.importMatrixExport(homeserver: hs, armoured: MatrixVectors.export, passphrase: MatrixVectors.passphrase + "x") }, "WrongPassword")
        let damaged = MatrixVectors.export.replacingOccurrences(of: "-----BEGIN", with: "-----BOGUS")
        XCTAssertEqual(errorKind { try store.importMatrixExport(homeserver: hs, armoured: damaged, passphrase: MatrixVectors.passphrase) }, "InvalidInput")
        XCTAssertEqual(try store.accounts().map(\.roomKeys), [0])
        let result = try Pushseal.decryptor(store: store).decryptOffline(payload: MatrixVectors.payload("fcm-data-text"))
        XCTAssertEqual(result.failureCode, "no_room_key")
    }

    func testAPushForAnUnknownSessionFailsWithSafeText() async throws {
        let store = try matrixStore()
        _ = try store.importMatrixExport(homeserver: hs, armoured: MatrixVectors.export, passphrase: MatrixVectors.passphrase)
        let decryptor = try Pushseal.decryptor(store: store)
        let expected = MatrixVectors.push("event-unknown-session")["expected"] as! [String: Any]
        let result = await decryptor.decrypt(payload: MatrixVectors.payload("event-unknown-session"), deadline: 10)
        XCTAssertEqual(result.status, "failed")
        XCTAssertEqual(result.failureCode, "no_room_key")
        XCTAssertEqual(result.displayTitle, expected.str("title"))
        XCTAssertFalse(result.exposeBody().isEmpty)
        XCTAssertEqual(result.notificationFields.chatProtocol, .matrix)
        XCTAssertEqual(result.notificationFields.keyId, expected.str("key_id"))
        let idOnly = decryptor.decryptOffline(payload: MatrixVectors.payload("fcm-id-only-text"))
        XCTAssertEqual(idOnly.status, "needs_fetch")
        XCTAssertFalse(idOnly.displayTitle.isEmpty || idOnly.exposeBody().isEmpty)
    }

    func testTheHostAppsSessionsImportAsAJSONList() throws {
        let store = try matrixStore()
        let list = MatrixVectors.all["store_sessions"] as! [Any]
        let summary = try store.importMatrixSessions(homeserver: hs, sessionsJson: Vectors.json(list))
        XCTAssertEqual(Int(summary.sessions + summary.skipped), list.count)
        XCTAssertGreaterThan(summary.sessions, 0)
        XCTAssertEqual(summary.stored, summary.sessions)
        XCTAssertEqual(try store.importMatrixSessions(homeserver: hs, sessionsJson: Vectors.json(list)).stored, 0)
        let result = try Pushseal.decryptor(store: store).decryptOffline(payload: MatrixVectors.payload("fcm-data-text"))
        XCTAssertEqual(result.exposeBody(), "Hi Bob, the build is green ✅")
        XCTAssertEqual(errorKind { try store.importMatrixSessions(homeserver: hs, sessionsJson: "{\"not\": \"a list\"}") }, "InvalidInput")
    }

    func testTheRecoveryKeyUnlocksTheBackup() throws {
        let store = try matrixStore()
        let b = MatrixVectors.backup
        let version = Vectors.json(b["version"]!)
        XCTAssertEqual(errorKind { try store.unlockMatrixBackup(homeserver: hs, versionJson: version, recoveryKey: b.str("secret_storage_recovery_key")!, secretStorageJson: nil) }, "WrongPassword")
        XCTAssertEqual(errorKind { try store.unlockMatrixBackup(homeserver: hs, versionJson: version, recoveryKey: "not a recovery key", secretStorageJson: nil) }, "InvalidInput")
        XCTAssertEqual(try store.accounts().map(\.hasPrivateKey), [false])
        let unlocked = try store.unlockMatrixBackup(homeserver: hs, versionJson: version, recoveryKey: b.str("recovery_key")!, secretStorageJson: nil)
        XCTAssertEqual(unlocked.version, (b["version"] as! [String: Any]).str("version"))
        XCTAssertEqual(try store.accounts().map(\.hasPrivateKey), [true])
        let data = Vectors.json(b["account_data"]!)
        let viaSecretStorage = try store.unlockMatrixBackup(homeserver: hs, versionJson: version, recoveryKey: b.str("secret_storage_recovery_key")!, secretStorageJson: data)
        XCTAssertEqual(viaSecretStorage, unlocked)
    }
}
