import Foundation
import Pushseal
import Security
import UserNotifications

/// The Notification Service Extension: decrypts a Rocket.Chat e2e push or a
/// Matrix (Megolm) push with pushseal before iOS shows it; one store holds
/// the accounts of both, and pushseal tells them apart by the push's shape. iOS gives the extension about 30 s and
/// 24 MB; pushseal gets 25 s for everything, fetch included.
///
/// iOS calls `didReceive` and `serviceExtensionTimeWillExpire` on threads of
/// its choosing while decryption runs in a `Task`, so the instance is shared
/// across threads: it is `Sendable` because every stored `var` is read and
/// written only under `lock` (`@unchecked`: an `NSLock` is what iOS 15 has;
/// `Mutex` needs iOS 18).
final class NotificationService: UNNotificationServiceExtension, @unchecked Sendable {
    /// Shared with the app: the app group holding the store, and the
    /// Keychain access group holding its key.
    static let appGroup = "group.org.example.chat"
    static let keychainGroup = "TEAMID.org.example.chat.shared"
    static let keyService = "pushseal.store-key"

    private let lock = NSLock()
    private var contentHandler: ((UNNotificationContent) -> Void)?
    private var bestAttempt: UNMutableNotificationContent?
    private var store: PushStore?

    override func didReceive(_ request: UNNotificationRequest,
                             withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void) {
        let content = request.content.mutableCopy() as! UNMutableNotificationContent
        lock.sync {
            self.contentHandler = contentHandler
            bestAttempt = content
        }
        // The task takes only `self`: the push (content, userInfo) stays
        // behind the lock instead of being shared with this thread.
        Task { await self.decryptAndDeliver() }
    }

    private func decryptAndDeliver() async {
        guard let content = lock.sync({ bestAttempt }) else { return }
        guard let result = await decrypt(content.userInfo) else { return deliver(content) }
        // A copy: serviceExtensionTimeWillExpire may be delivering the original.
        let decrypted = content.mutableCopy() as! UNMutableNotificationContent
        apply(result, to: decrypted)
        deliver(decrypted)
    }

    /// iOS is about to kill the extension: show what we have, which is the
    /// push's own text unless decryption already finished.
    override func serviceExtensionTimeWillExpire() {
        let content = lock.sync { bestAttempt }
        if let content { deliver(content) }
    }

    private func decrypt(_ userInfo: [AnyHashable: Any]) async -> DecryptResult? {
        do {
            try Pushseal.checkContract()
            guard let key = Self.storeKey(),
                  let dir = FileManager.default.containerURL(forSecurityApplicationGroupIdentifier: Self.appGroup)
            else { return nil }
            // Read-only: the extension never writes, so it never holds a
            // write lock the app could be killed for (0xdead10cc).
            let store = try Pushseal.openStore(path: dir.appendingPathComponent("pushseal.db").path,
                                               key: key, mode: .readOnly)
            lock.sync { self.store = store }
            let decryptor = try Pushseal.decryptor(store: store)
            return await decryptor.decrypt(userInfo: userInfo, deadline: 25)
        } catch {
            // Setup or store failure (not logged in, locked before first
            // unlock): keep the push's own text.
            return nil
        }
    }

    private func apply(_ result: DecryptResult, to content: UNMutableNotificationContent) {
        let fields = result.notificationFields
        content.title = result.displayTitle
        content.body = result.exposeBody()
        if let room = fields.roomId { content.threadIdentifier = room }
    }

    /// Hands the content to iOS once, after closing the store: a suspended
    /// extension must not keep the database open.
    private func deliver(_ content: UNNotificationContent) {
        let (handler, store) = lock.sync { () -> (((UNNotificationContent) -> Void)?, PushStore?) in
            defer { contentHandler = nil; self.store = nil }
            return (contentHandler, self.store)
        }
        // Closed even when the content went already (the time expired
        // first): the store this late decryption opened must not stay open.
        try? store?.close()
        guard let handler else { return }
        handler(content)
    }

    /// The store key the app saved in the shared Keychain group, with
    /// kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly so the extension can
    /// read it while the device is locked.
    private static func storeKey() -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: keyService,
            kSecAttrAccessGroup as String: keychainGroup,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess else { return nil }
        return item as? Data
    }
}

private extension NSLock {
    /// `withLock` needs iOS 16; the extension supports iOS 15.
    func sync<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
