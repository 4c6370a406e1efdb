import Foundation

// Idiomatic calls on the generated Decryptor: APNs userInfo dictionaries,
// TimeInterval deadlines, and accessors that work on every DecryptResult case.

extension Decryptor {
    /// Decrypts an APNs `userInfo` (`request.content.userInfo`), fetching if
    /// needed, and returns within `deadline` seconds. Always has text to show.
    public func decrypt(userInfo: [AnyHashable: Any], deadline: TimeInterval) async -> DecryptResult {
        await decrypt(payload: jsonPayload(userInfo), timeoutMs: timeoutMs(deadline))
    }

    /// `decrypt(userInfo:deadline:)` on the calling thread.
    public func decryptBlocking(userInfo: [AnyHashable: Any], deadline: TimeInterval) -> DecryptResult {
        decryptBlocking(payload: jsonPayload(userInfo), timeoutMs: timeoutMs(deadline))
    }

    /// Decrypts a push given as JSON (any container pushseal reads).
    public func decrypt(payload: String, deadline: TimeInterval) async -> DecryptResult {
        await decrypt(payload: payload, timeoutMs: timeoutMs(deadline))
    }

    /// Unlocks the account's private key with the E2E password.
    public func unlock(server: String, password: String, deadline: TimeInterval) async throws {
        try await unlock(server: server, password: password, timeoutMs: timeoutMs(deadline))
    }

    /// Imports every room key of the account from the server.
    public func syncKeys(server: String, deadline: TimeInterval) async throws -> SyncSummary {
        try await syncKeys(server: server, timeoutMs: timeoutMs(deadline))
    }
}

extension DecryptResult {
    /// `decrypted`, `not_encrypted`, `needs_fetch` or `failed`.
    public var status: String {
        switch self {
        case .decrypted: return "decrypted"
        case .notEncrypted: return "not_encrypted"
        case .needsFetch: return "needs_fetch"
        case .failed: return "failed"
        }
    }

    /// The title to show, whatever the case.
    public var displayTitle: String {
        switch self {
        case let .decrypted(title, _, _), let .notEncrypted(title, _, _): return title
        case let .needsFetch(_, title, _, _), let .failed(_, _, title, _, _): return title
        }
    }

    /// The body to show: the message text, or the safe fallback. Never log it.
    public func exposeBody() -> String {
        switch self {
        case let .decrypted(_, body, _), let .notEncrypted(_, body, _): return body.expose()
        case let .needsFetch(_, _, body, _), let .failed(_, _, _, body, _): return body
        }
    }

    public var notificationFields: NotificationFields {
        switch self {
        case let .decrypted(_, _, fields), let .notEncrypted(_, _, fields),
             let .needsFetch(_, _, _, fields), let .failed(_, _, _, _, fields):
            return fields
        }
    }

    /// The failure's stable snake_case code (`bad_auth_tag`, `timeout`, …), or nil.
    public var failureCode: String? {
        if case let .failed(reason, _, _, _, _) = self { return reason.code() }
        return nil
    }
}

/// The push as JSON. A dictionary that is not JSON (APNs never sends one)
/// goes in empty, which the core reports as `malformed_payload` with its
/// usual fallback text.
func jsonPayload(_ userInfo: [AnyHashable: Any]) -> String {
    var object: [String: Any] = [:]
    for (key, value) in userInfo {
        object[key as? String ?? String(describing: key)] = value
    }
    guard JSONSerialization.isValidJSONObject(object),
          let data = try? JSONSerialization.data(withJSONObject: object)
    else { return "" }
    return String(decoding: data, as: UTF8.self)
}

/// Seconds to whole milliseconds; negative or NaN is 0, infinite is the longest budget.
func timeoutMs(_ seconds: TimeInterval) -> UInt64 {
    guard seconds.isFinite else { return seconds > 0 ? UInt64.max : 0 }
    return UInt64(max(0, (seconds * 1000).rounded()).clamped(to: 0...Double(UInt32.max)))
}

private extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
