import Foundation
import Pushseal
import XCTest

/// Matrix fetch on receipt through the Decryptor, against the fake homeserver
/// (tests/fake-server/fake_homeserver.py) on 127.0.0.1 serving the Matrix
/// vectors' events and key backup. The store is a real SQLCipher file.
final class MatrixFetchTests: XCTestCase {
    /// Bob's account on the fake homeserver, logged in, with the host app's sessions.
    private func store(_ server: FakeServer, token: String = FakeServer.matrixToken) throws -> PushStore {
        let dir = try temporaryDirectory(self)
        let store = try Pushseal.openStore(path: dir.appendingPathComponent("store.db").path, key: generateStoreKey())
        let a = MatrixVectors.account
        try store.setMatrixAccount(homeserver: server.url, userId: a.str("user_id")!, deviceId: a.str("device_id")!, accessToken: token)
        _ = try store.importMatrixSessions(homeserver: server.url, sessionsJson: MatrixVectors.storeSessions)
        addTeardownBlock { try? store.close() }
        return store
    }

    /// The ciphertext of the event a push stands for, which must never be shown.
    private func ciphertext(_ pushId: String) -> String {
        let events = MatrixVectors.all["events"] as! [String: Any]
        let entry = events[MatrixVectors.push(pushId).str("event")!] as! [String: Any]
        let content = (entry["event"] as! [String: Any])["content"] as! [String: Any]
        return content.str("ciphertext")!
    }

    func testAnEventIdOnlyPushIsDecryptedWithTheEventFetchedFromTheHomeserver() async throws {
        let server = try FakeServer.homeserver()
        let decryptor = try Pushseal.decryptor(store: try store(server))
        for id in ["apns-id-only-text", "fcm-id-only-text"] {
            let want = MatrixVectors.expected(id, "expected_after_fetch")
            let payload = MatrixVectors.payload(id)
            let userInfo = Vectors.object(Data(payload.utf8)) as [AnyHashable: Any]
            let results = [
                await decryptor.decrypt(payload: payload, deadline: 20),
                decryptor.decryptBlocking(userInfo: userInfo, deadline: 20),
            ]
            for result in results {
                guard case .decrypted = result else { return XCTFail("\(id): \(result.status) \(result.failureCode ?? "")") }
                XCTAssertEqual(result.displayTitle, want.str("title"), id)
                XCTAssertEqual(result.exposeBody(), want.str("body"), id)
                let f = result.notificationFields
                XCTAssert(f.fetched && !f.roomKeyFetched, id)
                XCTAssertEqual(f.chatProtocol, .matrix)
                XCTAssertEqual(f.messageId, want.str("message_id"))
                XCTAssertEqual(f.senderUsername, want.str("sender_username"))
                XCTAssertEqual(f.keyId, want.str("key_id"))
                XCTAssertEqual(f.messageIndex, MatrixVectors.messageIndex(want))
            }
        }
        // One GET /event per push, nothing else.
        XCTAssertEqual(try server.requestCounts(), ["event": 4])
    }

    func testARoomKeyOnlyInTheKeyBackupIsFetchedOnceAndKept() async throws {
        let id = "fcm-v1-no-room-key"
        let server = try FakeServer.homeserver()
        let store = try store(server)
        let decryptor = try Pushseal.decryptor(store: store)
        let payload = MatrixVectors.payload(id)
        // Without the backup key there is nothing to ask the server.
        let before = await decryptor.decrypt(payload: payload, deadline: 20)
        XCTAssertEqual(before.failureCode, MatrixVectors.expected(id).str("reason"))
        XCTAssertEqual(try server.requestCounts(), [:])

        let b = MatrixVectors.backup
        _ = try store.setMatrixBackupKey(homeserver: server.url, versionJson: Vectors.json(b["version"]!), backupKeyBase64: b.str("backup_key_base64")!)
        let want = MatrixVectors.expected(id, "expected_after_backup")
        let result = await decryptor.decrypt(payload: payload, deadline: 20)
        guard case .decrypted = result else { return XCTFail("\(result.status) \(result.failureCode ?? "")") }
        XCTAssertEqual(result.displayTitle, want.str("title"))
        XCTAssertEqual(result.exposeBody(), want.str("body"))
        let f = result.notificationFields
        XCTAssert(f.roomKeyFetched && !f.fetched)
        XCTAssertEqual(f.keyId, want.str("key_id"))
        XCTAssertEqual(f.messageIndex, MatrixVectors.messageIndex(want))
        XCTAssertEqual(try server.requestCounts(), ["backup_session": 1])
        // The app's writable store kept the session: offline now, no further GET.
        let offline = decryptor.decryptOffline(payload: payload)
        XCTAssertEqual(offline.exposeBody(), want.str("body"))
        XCTAssertFalse(offline.notificationFields.roomKeyFetched)
        XCTAssertEqual(try server.requestCounts(), ["backup_session": 1])
    }

    func testNotFoundAndUnauthorizedAreTypedFailuresWithSafeText() async throws {
        let server = try FakeServer.homeserver()
        let decryptor = try Pushseal.decryptor(store: try store(server))
        for (mode, id) in [("not_found", "apns-id-only-text"), ("unauthorized", "fcm-v1-long-cut")] {
            try server.control(#"{"clear_log": true, "mode": "\#(mode)", "count": 1, "path": "event"}"#)
            let result = decryptor.decryptBlocking(userInfo: Vectors.object(Data(MatrixVectors.payload(id).utf8)), deadline: 20)
            XCTAssertEqual(result.status, "failed", id)
            XCTAssertEqual(result.failureCode, mode, id)
            XCTAssertFalse(result.displayTitle.trimmingCharacters(in: .whitespaces).isEmpty, id)
            XCTAssertFalse(result.exposeBody().trimmingCharacters(in: .whitespaces).isEmpty, id)
            XCTAssertFalse((result.displayTitle + result.exposeBody()).contains(String(ciphertext(id).prefix(16))), id)
            XCTAssertEqual(result.notificationFields.chatProtocol, .matrix)
            XCTAssertNil(result.notificationFields.messageIndex)
            // Neither answer is retried.
            XCTAssertEqual(try server.requestCounts(), ["event": 1], id)
        }
        // A token the homeserver does not know: the same typed failure, from its own check.
        let stranger = try Pushseal.decryptor(store: try store(server, token: "not-the-token"))
        try server.control(#"{"clear_log": true}"#)
        let result = await stranger.decrypt(payload: MatrixVectors.payload("apns-id-only-text"), deadline: 20)
        XCTAssertEqual(result.failureCode, "unauthorized")
        XCTAssertFalse(result.exposeBody().isEmpty)
        XCTAssertEqual(try server.requestCounts(), ["event": 1])
    }

    func testAStalledHomeserverGivesATimeoutWithFallbackTextByTheDeadline() async throws {
        let server = try FakeServer.homeserver()
        let decryptor = try Pushseal.decryptor(store: try store(server))
        try server.control(#"{"mode": "stall", "delay_ms": 30000}"#)
        let payload = MatrixVectors.payload("apns-id-only-text")
        let userInfo = Vectors.object(Data(payload.utf8))
        for result in await timeoutsByDeadline(decryptor, payload: payload, userInfo: userInfo, deadline: 1.5) {
            XCTAssertFalse(result.notificationFields.fetched)
        }
        XCTAssertEqual(try server.requestCounts(), ["event": 2])
    }
}
