// Stand-in for Apple's Security framework (the Keychain), for the Linux
// check of the sample extension: the generic-password lookup
// NotificationService.swift makes, with the same names, answered from an
// in-memory keychain the tests fill. CF types are their Swift counterparts.
import Foundation

public typealias OSStatus = Int32
public typealias CFString = String
public typealias CFDictionary = [String: Any]
public typealias CFTypeRef = AnyObject

public let errSecSuccess: OSStatus = 0
public let errSecItemNotFound: OSStatus = -25300

public let kSecClass: CFString = "class"
public let kSecClassGenericPassword: CFString = "genp"
public let kSecAttrService: CFString = "svce"
public let kSecAttrAccessGroup: CFString = "agrp"
public let kSecReturnData: CFString = "r_Data"
public let kSecMatchLimit: CFString = "m_Limit"
public let kSecMatchLimitOne: CFString = "m_LimitOne"

/// Finds one generic password by service and access group, as the sample asks.
public func SecItemCopyMatching(_ query: CFDictionary, _ result: UnsafeMutablePointer<CFTypeRef?>?) -> OSStatus {
    guard query[kSecClass] as? String == kSecClassGenericPassword,
          let service = query[kSecAttrService] as? String,
          let group = query[kSecAttrAccessGroup] as? String,
          let data = Keychain.shared.item(service: service, group: group)
    else { return errSecItemNotFound }
    if query[kSecReturnData] as? Bool == true { result?.pointee = data as NSData }
    return errSecSuccess
}

/// The stand-in's keychain (not an Apple API): what the app would have saved.
public final class Keychain: @unchecked Sendable {
    public static let shared = Keychain()
    private let lock = NSLock()
    private var items: [String: Data] = [:]

    public func set(_ data: Data?, service: String, group: String) {
        lock.lock()
        defer { lock.unlock() }
        items["\(group)/\(service)"] = data
    }

    func item(service: String, group: String) -> Data? {
        lock.lock()
        defer { lock.unlock() }
        return items["\(group)/\(service)"]
    }
}
