import Foundation
import XCTest

/// The repository's test vectors (tests/vectors, see its README).
enum Vectors {
    static let repo = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../../..").standardizedFileURL

    static let all: [String: Any] = object(try! Data(contentsOf: file("rocketchat.json")))
    static var server: String { all["server"] as! String }
    static var password: String { (all["device_user"] as! [String: Any])["password"] as! String }
    static var pushes: [[String: Any]] { all["pushes"] as! [[String: Any]] }
    static var keysJSON: String { try! String(contentsOf: file("keys.json"), encoding: .utf8) }

    static func push(_ id: String) -> [String: Any] {
        pushes.first { $0["id"] as? String == id }!
    }

    static func expectedBody(messageId: String) -> String {
        let messages = all["messages"] as! [[String: Any]]
        return messages.first { $0["id"] as? String == messageId }!["expected_body"] as! String
    }

    /// keys.json (or keys-jwk.json) for another server URL (the fake server's).
    static func keys(for server: String, jwk: Bool = true) -> String {
        var keys = object(try! Data(contentsOf: file(jwk ? "keys-jwk.json" : "keys.json")))
        keys["server"] = server
        return json(keys)
    }

    /// A push's payload with its `host` pointed at `server`, in whichever container it comes.
    static func withHost(_ payload: Any, _ server: String) -> String {
        func retarget(_ ejson: Any) -> Any {
            if let text = ejson as? String { return json(retarget(object(Data(text.utf8)))) }
            var ejson = ejson as! [String: Any]
            ejson["host"] = "\(server)/"
            return ejson
        }
        var p = payload as! [String: Any]
        if var message = p["message"] as? [String: Any], var data = message["data"] as? [String: Any] {
            data["ejson"] = retarget(data["ejson"]!)
            message["data"] = data
            p["message"] = message
        } else if let ejson = p["ejson"] {
            p["ejson"] = retarget(ejson)
        } else {
            p = retarget(p) as! [String: Any]
        }
        return json(p)
    }

    static func object(_ data: Data) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// JSON text of any vector value, including the one payload that is a bare string.
    static func json(_ value: Any) -> String {
        let data = try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    static func file(_ name: String) -> URL {
        repo.appendingPathComponent("tests/vectors/\(name)")
    }
}

/// A fresh directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pushseal-swift-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

extension Dictionary where Key == String, Value == Any {
    func str(_ key: String) -> String? { self[key] as? String }
}
