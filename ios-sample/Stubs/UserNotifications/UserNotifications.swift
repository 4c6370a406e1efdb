// Stand-in for Apple's UserNotifications framework (iOS only), for the
// Linux check of the sample extension: only the classes and members
// NotificationService.swift uses, with the same names and shapes. No
// behaviour beyond holding values; iOS does the rest.
import Foundation

open class UNNotificationContent: NSObject, NSMutableCopying {
    public internal(set) var title = ""
    public internal(set) var body = ""
    public internal(set) var threadIdentifier = ""
    public internal(set) var userInfo: [AnyHashable: Any] = [:]

    override public init() {}

    public func mutableCopy(with zone: NSZone? = nil) -> Any {
        let copy = UNMutableNotificationContent()
        copy.title = title
        copy.body = body
        copy.threadIdentifier = threadIdentifier
        copy.userInfo = userInfo
        return copy
    }

    override open func mutableCopy() -> Any { mutableCopy(with: nil) }
}

open class UNMutableNotificationContent: UNNotificationContent {
    override public var title: String { get { super.title } set { super.title = newValue } }
    override public var body: String { get { super.body } set { super.body = newValue } }
    override public var threadIdentifier: String { get { super.threadIdentifier } set { super.threadIdentifier = newValue } }
    override public var userInfo: [AnyHashable: Any] { get { super.userInfo } set { super.userInfo = newValue } }
}

open class UNNotificationRequest: NSObject {
    public let identifier: String
    public let content: UNNotificationContent

    /// iOS takes a trigger too; pushes have none.
    public init(identifier: String, content: UNNotificationContent) {
        self.identifier = identifier
        self.content = content.mutableCopy() as! UNNotificationContent
    }
}

open class UNNotificationServiceExtension: NSObject {
    override public init() {}

    open func didReceive(_ request: UNNotificationRequest,
                         withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void) {
        contentHandler(request.content)
    }

    open func serviceExtensionTimeWillExpire() {}
}
