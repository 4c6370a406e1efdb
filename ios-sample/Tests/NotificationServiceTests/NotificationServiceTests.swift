import AppGroupContainer
import Foundation
@testable import NotificationService
import Pushseal
import Security
import UserNotifications
import XCTest

/// The real NotificationService over real vectors with the real library:
/// what it hands to iOS is what the user would see.
final class NotificationServiceTests: XCTestCase {
    private var container: URL!

    override func setUpWithError() throws {
        container = FileManager.default.temporaryDirectory.appendingPathComponent("pushseal-nse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: container, withIntermediateDirectories: true)
        AppGroups.shared.register(NotificationService.appGroup, at: container)
    }

    override func tearDownWithError() throws {
        Keychain.shared.set(nil, service: NotificationService.keyService, group: NotificationService.keychainGroup)
        AppGroups.shared.register(NotificationService.appGroup, at: nil)
        try FileManager.default.removeItem(at: container)
    }

    func testAPushIsDecrypted() throws {
        try writeStore(server: Vectors.server)
        for id in ["p01-apns-rc.v2-gcm-m01", "p19-apns-legacy-msg-m17"] {
            let push = Vectors.push(id)
            let expected = push["expected"] as! [String: Any]
            let delivered = try XCTUnwrap(receive(push["payload"]!).first)
            XCTAssertEqual(delivered.title, expected["title"] as? String, id)
            XCTAssertEqual(delivered.body, expected["body"] as? String, id)
            XCTAssertEqual(delivered.threadIdentifier, expected["rid"] as? String, id)
        }
    }

    func testWithoutAStoreKeyThePushsOwnTextIsShown() throws {
        try writeStore(server: Vectors.server)
        Keychain.shared.set(nil, service: NotificationService.keyService, group: NotificationService.keychainGroup)
        let push = Vectors.push("p01-apns-rc.v2-gcm-m01")
        let original = content(push["payload"]!)
        let delivered = try XCTUnwrap(receive(push["payload"]!).first)
        XCTAssertEqual(delivered.title, original.title)
        XCTAssertEqual(delivered.body, original.body)
        XCTAssertNotEqual(delivered.body, (push["expected"] as! [String: Any])["body"] as? String)
    }

    /// iOS calls serviceExtensionTimeWillExpire while a fetch is still
    /// running (the fake server answers 2 s late): the push's own text is
    /// delivered at once, and the fetch finishing later delivers nothing more.
    func testTimeWillExpireDeliversThePushsOwnTextOnce() throws {
        let server = try FakeServer(["--fault", "slow"])
        try writeStore(server: server.url, loggedIn: true)
        let push = Vectors.push("p34-apns-idonly-rc.v2-gcm")
        let payload = Vectors.object(Data(Vectors.withHost(push["payload"]!, server.url).utf8))
        let original = content(payload)

        let service = NotificationService()
        let deliveries = Deliveries()
        let first = expectation(description: "delivered")
        let second = expectation(description: "delivered again")
        second.isInverted = true
        service.didReceive(UNNotificationRequest(identifier: "push", content: original)) { content in
            (deliveries.add(content) == 1 ? first : second).fulfill()
        }
        service.serviceExtensionTimeWillExpire()
        wait(for: [first], timeout: 5)
        let delivered = try XCTUnwrap(deliveries.all.first)
        XCTAssertEqual(delivered.body, original.body)
        XCTAssertEqual(delivered.title, original.title)
        // The slow answer comes about 2 s after the fetch starts; wait well past it.
        wait(for: [second], timeout: 8)
        XCTAssertEqual(deliveries.all.count, 1)
    }

    /// A Matrix account beside the Rocket.Chat one in the same store. Element
    /// X's pushes carry only the event id, so the extension fetches the event
    /// from the homeserver and decrypts it with the session the app stored;
    /// the Rocket.Chat push still decrypts from the same store.
    func testAMatrixPushIsFetchedAndDecryptedBesideRocketChat() throws {
        let homeserver = try FakeServer.homeserver()
        try writeStore(server: Vectors.server, matrix: homeserver.url)
        let push = MatrixVectors.push("apns-id-only-text")
        let expected = push["expected_after_fetch"] as! [String: Any]
        let delivered = try XCTUnwrap(receive(push["payload"]!).first)
        XCTAssertEqual(delivered.title, expected["title"] as? String)
        XCTAssertEqual(delivered.body, expected["body"] as? String)
        XCTAssertEqual(delivered.threadIdentifier, expected["rid"] as? String)

        let rocketChat = Vectors.push("p01-apns-rc.v2-gcm-m01")
        let rcDelivered = try XCTUnwrap(receive(rocketChat["payload"]!).first)
        XCTAssertEqual(rcDelivered.body, (rocketChat["expected"] as! [String: Any])["body"] as? String)
    }

    /// A Matrix push whose room session the store lacks: the extension shows
    /// pushseal's safe fallback, never the event's ciphertext or an empty body.
    func testAMatrixPushWithoutItsSessionShowsTheSafeFallback() throws {
        let homeserver = try FakeServer.homeserver()
        try writeStore(server: Vectors.server, matrix: homeserver.url, matrixSessions: false)
        let push = MatrixVectors.push("apns-id-only-text")
        let delivered = try XCTUnwrap(receive(push["payload"]!).first)

        // What the library itself returns for this push from such a store.
        let key = generateStoreKey()
        let path = container.appendingPathComponent("alone.db").path
        let store = try Pushseal.openStore(path: path, key: key)
        let account = MatrixVectors.account
        try store.setMatrixAccount(homeserver: homeserver.url, userId: account["user_id"] as! String,
                                   deviceId: account["device_id"] as! String, accessToken: FakeServer.token)
        let decryptor = try Pushseal.decryptor(store: store)
        let fallback = decryptor.decryptBlocking(userInfo: push["payload"] as! [String: Any], deadline: 20)
        try store.close()
        XCTAssertEqual(fallback.status, "failed")
        XCTAssertEqual(delivered.title, fallback.displayTitle)
        XCTAssertEqual(delivered.body, fallback.exposeBody())
        XCTAssertFalse(delivered.body.isEmpty)
        XCTAssertNotEqual(delivered.body, (push["expected_after_fetch"] as! [String: Any])["body"] as? String)
        XCTAssertFalse(delivered.body.contains("AwgAEp"), "no ciphertext is shown")
    }

    // MARK: - helpers

    /// The store and key the app would have left: keys imported, the key in
    /// the shared Keychain group, the store in the app-group container.
    /// With `matrix`, the app has also signed in to that homeserver and
    /// handed over its Megolm sessions (unless `matrixSessions` is false).
    private func writeStore(server: String, loggedIn: Bool = false,
                            matrix homeserver: String? = nil, matrixSessions: Bool = true) throws {
        let key = generateStoreKey()
        let store = try Pushseal.openStore(path: container.appendingPathComponent("pushseal.db").path, key: key)
        _ = try store.importKeys(keysJson: Vectors.keys(for: server), password: nil)
        if loggedIn { try store.setAuthToken(server: server, token: FakeServer.token) }
        if let homeserver {
            let account = MatrixVectors.account
            try store.setMatrixAccount(homeserver: homeserver, userId: account["user_id"] as! String,
                                       deviceId: account["device_id"] as! String, accessToken: FakeServer.token)
            if matrixSessions {
                _ = try store.importMatrixSessions(homeserver: homeserver, sessionsJson: MatrixVectors.storeSessions)
            }
        }
        try store.close()
        Keychain.shared.set(key, service: NotificationService.keyService, group: NotificationService.keychainGroup)
    }

    /// What iOS hands the extension: the payload as userInfo, the alert as title and body.
    private func content(_ payload: Any) -> UNMutableNotificationContent {
        let userInfo = payload as! [String: Any]
        let content = UNMutableNotificationContent()
        content.userInfo = userInfo
        if let alert = (userInfo["aps"] as? [String: Any])?["alert"] {
            if let alert = alert as? [String: Any] {
                content.title = alert["title"] as? String ?? ""
                content.body = alert["body"] as? String ?? ""
            } else {
                content.body = alert as? String ?? ""
            }
        }
        return content
    }

    /// One push through a fresh extension instance, as iOS delivers it.
    private func receive(_ payload: Any) -> [UNNotificationContent] {
        let deliveries = Deliveries()
        let done = expectation(description: "delivered")
        NotificationService().didReceive(UNNotificationRequest(identifier: "push", content: content(payload))) {
            deliveries.add($0)
            done.fulfill()
        }
        wait(for: [done], timeout: 30)
        return deliveries.all
    }
}

/// What the extension handed to iOS, in order.
private final class Deliveries: @unchecked Sendable {
    private let lock = NSLock()
    private var contents: [UNNotificationContent] = []

    /// Returns how many deliveries there have been, this one included.
    @discardableResult
    func add(_ content: UNNotificationContent) -> Int {
        lock.lock()
        defer { lock.unlock() }
        contents.append(content)
        return contents.count
    }

    var all: [UNNotificationContent] {
        lock.lock()
        defer { lock.unlock() }
        return contents
    }
}
