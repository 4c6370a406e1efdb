import Foundation
import Pushseal

/// The case name of a thrown error (`WrongKey`, `Timeout`, …), or nil when nothing was thrown.
func errorKind<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return kind(error)
    }
}

func errorKind<T>(_ body: () async throws -> T) async -> String? {
    do {
        _ = try await body()
        return nil
    } catch {
        return kind(error)
    }
}

func kind(_ error: Error) -> String {
    guard error is PushsealError else { return "not a PushsealError: \(error)" }
    return String(String(describing: error).prefix { $0 != "(" })
}
