import Foundation

/// Entry point of the Swift layer.
///
/// ```swift
/// try Pushseal.checkContract()
/// let store = try Pushseal.openStore(path: dbPath, key: keyFromKeychain, mode: .readOnly)
/// let decryptor = try Pushseal.decryptor(store: store)
/// let result = await decryptor.decrypt(userInfo: request.content.userInfo, deadline: 25)
/// ```
///
/// The module is also named `Pushseal`: refer to its other types unqualified
/// (`PushStore`, not `Pushseal.PushStore`).
public enum Pushseal {
    /// Opens the key store. The app opens `.readWrite`; the notification
    /// extension opens `.readOnly`.
    public static func openStore(path: String, key: Data, mode: StoreMode = .readWrite) throws -> PushStore {
        try PushStore.open(path: path, key: key, mode: mode)
    }

    /// A decryptor over `store`; `config` sets trust and timeouts.
    public static func decryptor(store: PushStore, config: NetworkConfig = NetworkConfig()) throws -> Decryptor {
        try Decryptor.withConfig(store: store, config: config)
    }

    /// Sends pushseal's log records up to `maxLevel` to `log` (e.g. os_log);
    /// nil stops logging. Records never contain message text, tokens,
    /// passwords or keys. `log` is called on pushseal's threads too.
    public static func setLogger(maxLevel: LogLevel = .info, _ log: (@Sendable (LogLevel, String) -> Void)?) {
        installLogger(log.map(ClosureLogger.init), maxLevel)
    }
}

// At file scope: inside `Pushseal`, the name `setLogger` means the method above.
private func installLogger(_ logger: PushsealLogger?, _ maxLevel: LogLevel) {
    setLogger(logger: logger, maxLevel: maxLevel)
}

private final class ClosureLogger: PushsealLogger {
    let sink: @Sendable (LogLevel, String) -> Void

    init(_ sink: @escaping @Sendable (LogLevel, String) -> Void) {
        self.sink = sink
    }

    func log(level: LogLevel, message: String) {
        sink(level, message)
    }
}
