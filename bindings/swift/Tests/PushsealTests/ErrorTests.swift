import Foundation
import Pushseal
import XCTest

/// Core errors reach Swift as the small public enum, and push failures as typed results.
final class ErrorTests: XCTestCase {
    func testAccountCallsThrowTypedErrors() async throws {
        let server = try FakeServer()
        let d = try Pushseal.decryptor(store: try loggedInStore(self, server))
        let wrong = await errorKind { try await d.unlock(server: server.url, password: "not the password", deadline: 30) }
        XCTAssertEqual(wrong, "WrongPassword")
        let other = await errorKind { try await d.syncKeys(server: "https://other.example.org", deadline: 10) }
        XCTAssertEqual(other, "NotLoggedIn")
        try server.control(#"{"mode": "server_error", "count": 8}"#)
        let failing = await errorKind { try await d.syncKeys(server: server.url, deadline: 10) }
        XCTAssertEqual(failing, "Server")
    }

    func testARefusedTokenIsUnauthorizedAsAnErrorAndAsAPushResult() async throws {
        let server = try FakeServer()
        let d = try Pushseal.decryptor(store: try loggedInStore(self, server, token: "revoked"))
        XCTAssertEqual(errorKind { try d.syncKeysBlocking(server: server.url, timeoutMs: 10_000) }, "Unauthorized")
        let payload = Vectors.withHost(Vectors.push("p35-fcm-data-idonly-rc.v1")["payload"]!, server.url)
        let result = await d.decrypt(payload: payload, deadline: 10)
        XCTAssertEqual(result.failureCode, "unauthorized")
    }

    func testTheExtensionsReadOnlyStoreRefusesAccountCallsBeforeAnyRequest() async throws {
        let server = try FakeServer()
        let dir = try temporaryDirectory(self)
        let path = dir.appendingPathComponent("store.db").path
        let key = generateStoreKey()
        let app = try Pushseal.openStore(path: path, key: key)
        _ = try app.importKeys(keysJson: Vectors.keys(for: server.url), password: nil)
        try app.close()
        let d = try Pushseal.decryptor(store: try Pushseal.openStore(path: path, key: key, mode: .readOnly))
        let sync = await errorKind { try await d.syncKeys(server: server.url, deadline: 10) }
        XCTAssertEqual(sync, "StoreReadOnly")
        XCTAssertEqual(errorKind { try d.unlockBlocking(server: server.url, password: Vectors.password, timeoutMs: 10_000) }, "StoreReadOnly")
        XCTAssertEqual(try server.requests("subscriptions.get"), 0)
    }

    func testBadNetworkSettingsAreInvalidInputAndAClosedStoreFailsPushesTyped() throws {
        let store = try vectorStore(self)
        let pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
        XCTAssertEqual(errorKind { try Pushseal.decryptor(store: store, config: NetworkConfig(extraCaPem: pem)) }, "InvalidInput")
        let d = try Pushseal.decryptor(store: store)
        try store.close()
        let result = d.decryptOffline(payload: Vectors.json(Vectors.push("p01-apns-rc.v2-gcm-m01")["payload"]!))
        XCTAssertEqual(result.failureCode, "store_error")
    }
}
