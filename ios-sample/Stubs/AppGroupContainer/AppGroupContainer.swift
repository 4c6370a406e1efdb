// Stand-in for the app-group container: on iOS,
// FileManager.containerURL(forSecurityApplicationGroupIdentifier:) (in
// Foundation) returns the directory the app and its extensions share. Here
// it returns the directory a test registered for the group, or nil, as iOS
// does for a group the app is not entitled to.
import Foundation

extension FileManager {
    public func containerURL(forSecurityApplicationGroupIdentifier groupIdentifier: String) -> URL? {
        AppGroups.shared.directory(groupIdentifier)
    }
}

/// The stand-in's registry (not an Apple API).
public final class AppGroups: @unchecked Sendable {
    public static let shared = AppGroups()
    private let lock = NSLock()
    private var directories: [String: URL] = [:]

    public func register(_ group: String, at directory: URL?) {
        lock.lock()
        defer { lock.unlock() }
        directories[group] = directory
    }

    func directory(_ group: String) -> URL? {
        lock.lock()
        defer { lock.unlock() }
        return directories[group]
    }
}
