import Foundation
import Pushseal
import XCTest

/// Fetch on receipt and key sync against the fake Rocket.Chat server on 127.0.0.1.
final class FetchTests: XCTestCase {
    func testIdOnlyPushesAreFetchedAndDecryptedInEveryContainer() async throws {
        let server = try FakeServer()
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self, server: server.url, loggedIn: true))
        let idOnly = Vectors.pushes.filter { $0.str("mode") == "message-id-only" && $0.str("message_id") != nil }
        XCTAssertGreaterThanOrEqual(idOnly.count, 4)
        for p in idOnly {
            let result = await decryptor.decrypt(payload: Vectors.withHost(p["payload"]!, server.url), deadline: 20)
            XCTAssertEqual(result.status, "decrypted", "\(p.str("id")!): \(result.failureCode ?? "")")
            XCTAssertEqual(result.exposeBody(), Vectors.expectedBody(messageId: p.str("message_id")!))
            XCTAssert(result.notificationFields.fetched && !result.notificationFields.roomKeyFetched)
        }
        XCTAssertEqual(try server.requests("push.get"), idOnly.count)
    }

    func testAPNsUserInfoIsFetchedThroughTheIdiomaticLayer() async throws {
        let server = try FakeServer()
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self, server: server.url, loggedIn: true))
        let p = Vectors.push("p34-apns-idonly-rc.v2-gcm")
        let userInfo = Vectors.object(Data(Vectors.withHost(p["payload"]!, server.url).utf8)) as [AnyHashable: Any]
        let result = await decryptor.decrypt(userInfo: userInfo, deadline: 20)
        XCTAssertEqual(result.exposeBody(), Vectors.expectedBody(messageId: p.str("message_id")!))
        let blocking = decryptor.decryptBlocking(userInfo: userInfo, deadline: 20)
        XCTAssertEqual(blocking.status, "decrypted")
        XCTAssert(blocking.notificationFields.fetched)
    }

    func testAnUnknownRoomKeyIsFetchedOnceAndKept() async throws {
        let server = try FakeServer()
        let store = try loggedInStore(self, server)
        let decryptor = try Pushseal.decryptor(store: store)
        // Unlock (e2e.fetchMyKeys) but import no rooms: every room key is unknown.
        try await decryptor.unlock(server: server.url, password: Vectors.password, deadline: 30)
        let p = Vectors.push("p01-apns-rc.v2-gcm-m01")
        let payload = Vectors.withHost(p["payload"]!, server.url)
        let result = await decryptor.decrypt(payload: payload, deadline: 20)
        XCTAssertEqual(result.exposeBody(), (p["expected"] as! [String: Any]).str("body"))
        XCTAssert(result.notificationFields.roomKeyFetched && !result.notificationFields.fetched)
        XCTAssertEqual(decryptor.decryptOffline(payload: payload).status, "decrypted")
        XCTAssertEqual(try server.requests("subscriptions.getOne"), 1)
    }

    func testAnAccountIsUnlockedAndItsKeysSyncedFromTheServer() async throws {
        let server = try FakeServer()
        let store = try loggedInStore(self, server)
        let decryptor = try Pushseal.decryptor(store: store)
        try await decryptor.unlock(server: server.url, password: Vectors.password, deadline: 30)
        XCTAssert(try store.accounts().first!.hasPrivateKey)
        let sync = try await decryptor.syncKeys(server: server.url, deadline: 30)
        XCTAssertEqual(sync.subscriptions, UInt32((Vectors.all["rooms"] as! [Any]).count))
        XCTAssertEqual(sync.import.keys, UInt32(deviceRoomKeys()))
        let p = Vectors.push("p12-fcm-v1-rc.v1-m11")
        let result = decryptor.decryptOffline(payload: Vectors.withHost(p["payload"]!, server.url))
        XCTAssertEqual(result.exposeBody(), (p["expected"] as! [String: Any]).str("body"))
        try decryptor.unlockBlocking(server: server.url, password: Vectors.password, timeoutMs: 30_000)
        XCTAssertGreaterThanOrEqual(try decryptor.syncKeysBlocking(server: server.url, timeoutMs: 30_000).import.rooms, 4)
    }

    func testHTTPSWorksWithThePrivateCAAndFailsTypedWithoutIt() async throws {
        let server = try FakeServer(tls: true)
        let store = try vectorStore(self, server: server.url, loggedIn: true)
        let payload = Vectors.withHost(Vectors.push("p34-apns-idonly-rc.v2-gcm")["payload"]!, server.url)
        let ca = try String(contentsOf: FakeServer.tlsFile("ca.pem"), encoding: .utf8)
        let trusting = try Pushseal.decryptor(store: store, config: NetworkConfig(extraCaPem: ca))
        let ok = await trusting.decrypt(payload: payload, deadline: 20)
        XCTAssertEqual(ok.status, "decrypted", ok.failureCode ?? "")
        let strict = try Pushseal.decryptor(store: store)
        let refused = await strict.decrypt(payload: payload, deadline: 20)
        XCTAssertEqual(refused.failureCode, "tls")
        XCTAssertFalse(refused.exposeBody().isEmpty)
    }
}

func deviceUserId() -> String {
    (Vectors.all["device_user"] as! [String: Any]).str("user_id")!
}
