import Foundation
import Pushseal
import XCTest

/// Decrypts `userInfo` (the same push as `payload`) through the async call
/// and then the blocking one while the server does not answer: each must
/// come back as `timeout`, with text to show, within `deadline` plus a
/// margin wide enough for a loaded machine. Each clock starts at its call,
/// after the caller's set-up. Returns both results for further checks.
func timeoutsByDeadline(_ decryptor: Decryptor, payload: String, userInfo: [String: Any],
                        deadline: TimeInterval, file: StaticString = #filePath,
                        line: UInt = #line) async -> [DecryptResult] {
    var results: [DecryptResult] = []
    for blocking in [false, true] {
        let started = Date()
        let result = blocking
            ? decryptor.decryptBlocking(userInfo: userInfo, deadline: deadline)
            : await decryptor.decrypt(payload: payload, deadline: deadline)
        let took = Date().timeIntervalSince(started)
        XCTAssertEqual(result.failureCode, "timeout", file: file, line: line)
        XCTAssertFalse(result.displayTitle.isEmpty || result.exposeBody().isEmpty, file: file, line: line)
        XCTAssertLessThan(took, deadline + 5, "returned after \(took) s", file: file, line: line)
        results.append(result)
    }
    return results
}
