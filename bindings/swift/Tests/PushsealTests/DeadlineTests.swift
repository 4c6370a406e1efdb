import Foundation
import Pushseal
import XCTest

/// A server that never answers must not hold the extension past its
/// deadline. The bound is loose on purpose: it catches a hang, not slowness.
final class DeadlineTests: XCTestCase {
    func testAStalledServerGivesATimeoutWithFallbackTextByTheDeadline() async throws {
        let server = try FakeServer(["--fault", "stall"])
        let decryptor = try Pushseal.decryptor(store: try vectorStore(self, server: server.url, loggedIn: true))
        let payload = Vectors.withHost(Vectors.push("p34-apns-idonly-rc.v2-gcm")["payload"]!, server.url)
        let userInfo = Vectors.object(Data(payload.utf8))
        _ = await timeoutsByDeadline(decryptor, payload: payload, userInfo: userInfo, deadline: 1.5)
        try server.control(#"{"mode": "normal"}"#)
        let result = await decryptor.decrypt(payload: payload, deadline: 20)
        XCTAssertEqual(result.status, "decrypted")
    }
}
