import Foundation
import Pushseal
import XCTest

/// Every push of tests/vectors/rocketchat.json through the real library, compared with its `expected`.
final class VectorTests: XCTestCase {
    func testEveryVectorPushGivesItsExpectedOutcomeOffline() throws {
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self))
        var wrong: [String] = []
        for p in Vectors.pushes {
            let result = decryptor.decryptOffline(payload: Vectors.json(p["payload"]!))
            if let why = mismatch(result, p["expected"] as! [String: Any]) { wrong.append("\(p.str("id")!): \(why)") }
        }
        XCTAssert(wrong.isEmpty, "\(wrong.count) of \(Vectors.pushes.count) pushes wrong:\n" + wrong.joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(Vectors.pushes.count, 70)
    }

    func testAPNsUserInfoDecryptsThroughTheIdiomaticLayer() async throws {
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self))
        let apns = Vectors.pushes.filter { $0.str("container") == "apns" && !needsServer($0) }
        XCTAssertGreaterThanOrEqual(apns.count, 10)
        for p in apns {
            let userInfo = p["payload"] as! [AnyHashable: Any]
            let expected = p["expected"] as! [String: Any]
            let result = await decryptor.decrypt(userInfo: userInfo, deadline: 10)
            XCTAssertNil(mismatch(result, expected), p.str("id")!)
            XCTAssertNil(mismatch(decryptor.decryptBlocking(userInfo: userInfo, deadline: 10), expected), p.str("id")!)
        }
    }

    func testOtherContainersDecryptThroughTheAsyncCall() async throws {
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self))
        let pushes = Vectors.pushes.filter { ["fcm-data", "fcm-v1", "ejson"].contains($0.str("container")!) && !needsServer($0) }
        for p in pushes {
            let result = await decryptor.decrypt(payload: Vectors.json(p["payload"]!), deadline: 10)
            XCTAssertNil(mismatch(result, p["expected"] as! [String: Any]), p.str("id")!)
        }
    }

    func testAResultNeverShowsTheDecryptedText() throws {
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self))
        let p = Vectors.push("p01-apns-rc.v2-gcm-m01")
        let body = (p["expected"] as! [String: Any]).str("body")!
        let result = decryptor.decryptOffline(payload: Vectors.json(p["payload"]!))
        XCTAssertEqual(result.exposeBody(), body)
        for shown in [String(describing: result), String(reflecting: result), "\(result)", dumped(result)] {
            XCTAssertFalse(shown.contains(body), shown)
        }
        guard case let .decrypted(_, secret, _) = result else { return XCTFail("\(result.status)") }
        XCTAssert(secret.description.contains("redacted"))
    }

    func testAUserInfoThatIsNotJSONIsAMalformedPayload() throws {
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self))
        let result = decryptor.decryptBlocking(userInfo: ["ejson": Date()], deadline: 5)
        XCTAssertEqual(result.failureCode, "malformed_payload")
        XCTAssertFalse(result.exposeBody().isEmpty)
    }
}

private func dumped(_ value: Any) -> String {
    var out = ""
    dump(value, to: &out)
    return out
}

func needsServer(_ p: [String: Any]) -> Bool {
    let expected = p["expected"] as! [String: Any]
    return expected.str("status") == "needs_fetch" || expected.str("reason") == "no_room_key"
}

/// What differs from the vector's `expected`, or nil. Mirrors core/tests/vectors.rs.
func mismatch(_ result: DecryptResult, _ want: [String: Any]) -> String? {
    let f = result.notificationFields
    let decrypted: Bool
    if case .decrypted = result { decrypted = true } else { decrypted = false }
    var shown = decrypted
    if case .notEncrypted = result { shown = true }
    var got: [(String, String?)] = [
        ("status", result.status), ("rid", f.roomId), ("message_id", f.messageId), ("thread_id", f.threadId),
        ("sender_username", f.senderUsername), ("key_id", decrypted ? f.keyId : nil),
        ("algorithm", decrypted ? f.algorithm : nil), ("reason", result.failureCode),
        // Rocket.Chat has no message index: always nil (the vectors name none).
        ("message_index", f.messageIndex.map { String($0) }),
    ]
    if want.str("title") != nil { got.append(("title", result.displayTitle)) }
    if shown && want.str("body") != nil { got.append(("body", result.exposeBody())) }
    var wrong = got.compactMap { key, value -> String? in
        let optionalAbsent = want.str(key) == nil && ["rid", "message_id", "sender_username"].contains(key)
        return value == want.str(key) || optionalAbsent ? nil : "\(key): got \(value ?? "nil"), want \(want.str(key) ?? "nil")"
    }
    if !shown && (result.displayTitle.isEmpty || result.exposeBody().isEmpty) { wrong.append("empty fallback text") }
    if f.chatProtocol != .rocketChat { wrong.append("protocol: got \(String(describing: f.chatProtocol)), want rocketChat") }
    return wrong.isEmpty ? nil : wrong.joined(separator: "; ")
}
