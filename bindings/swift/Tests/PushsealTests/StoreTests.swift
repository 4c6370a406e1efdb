import Foundation
import Pushseal
import XCTest

/// The SQLCipher store through the bindings: a real file on disk.
final class StoreTests: XCTestCase {
    private var path = ""

    override func setUpWithError() throws {
        path = try temporaryDirectory(self).appendingPathComponent("store.db").path
    }

    private func filledStore(key: Data) throws -> PushStore {
        let store = try Pushseal.openStore(path: path, key: key)
        _ = try store.importKeys(keysJson: Vectors.keys(for: Vectors.server), password: nil)
        return store
    }

    func testAStoreOpensReadWriteThenReadOnlyWithTheSameKey() throws {
        let key = generateStoreKey()
        XCTAssertEqual(key.count, 32)
        XCTAssertNotEqual(key, generateStoreKey())
        try filledStore(key: key).close()
        let nse = try Pushseal.openStore(path: path, key: key, mode: .readOnly)
        XCTAssertEqual(nse.mode(), .readOnly)
        let accounts = try nse.accounts()
        XCTAssertEqual(accounts.count, 1)
        XCTAssertEqual(accounts.first?.server, Vectors.server)
        XCTAssertEqual(accounts.first?.roomKeys, UInt32(deviceRoomKeys()))
        XCTAssert(accounts.first!.hasPrivateKey && !accounts.first!.hasAuthToken)
        try nse.close()
    }

    func testAWrongKeyIsWrongKeyAndTheFileIsNotTouched() throws {
        try filledStore(key: generateStoreKey()).close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for mode in [StoreMode.readWrite, .readOnly] {
            XCTAssertEqual(errorKind { try Pushseal.openStore(path: path, key: generateStoreKey(), mode: mode) }, "WrongKey")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    func testOpeningErrorsAreTyped() {
        XCTAssertEqual(errorKind { try Pushseal.openStore(path: path, key: generateStoreKey(), mode: .readOnly) }, "StoreNotFound")
        XCTAssertEqual(errorKind { try Pushseal.openStore(path: path, key: Data(count: 31)) }, "InvalidInput")
    }

    func testAReadOnlyStoreRefusesWrites() throws {
        let key = generateStoreKey()
        try filledStore(key: key).close()
        let nse = try Pushseal.openStore(path: path, key: key, mode: .readOnly)
        XCTAssertEqual(errorKind { try nse.setAuthToken(server: Vectors.server, token: "token") }, "StoreReadOnly")
        XCTAssertEqual(errorKind { try nse.importKeys(keysJson: Vectors.keys(for: Vectors.server), password: nil) }, "StoreReadOnly")
    }

    func testPauseReleasesTheStoreAndCloseEndsIt() throws {
        let store = try filledStore(key: generateStoreKey())
        try store.pause()
        XCTAssertEqual(try store.accounts().count, 1)
        try store.close()
        XCTAssertEqual(errorKind { try store.accounts() }, "StoreClosed")
        try store.close()
    }

    func testKeysImportWithTheE2EPasswordAndAWrongOneIsWrongPassword() throws {
        let store = try Pushseal.openStore(path: path, key: generateStoreKey())
        XCTAssertEqual(errorKind { try store.importKeys(keysJson: Vectors.keysJSON, password: Vectors.password + "x") }, "WrongPassword")
        XCTAssertEqual(try store.accounts().count, 0, "nothing is written when unlocking fails")
        let summary = try store.importKeys(keysJson: Vectors.keysJSON, password: nil)
        XCTAssertEqual(summary.keys, UInt32(deviceRoomKeys()))
        XCTAssertEqual(summary.skipped, 1, "the room wrapped for another user")
        XCTAssertEqual(errorKind { try store.importKeys(keysJson: "{not json", password: nil) }, "InvalidInput")
        XCTAssertTrue(try store.removeAccount(server: Vectors.server))
        try store.close()
    }
}

/// Room keys the device user can unwrap: rooms wrapped for another user are skipped.
func deviceRoomKeys() -> Int {
    (Vectors.all["rooms"] as! [[String: Any]])
        .filter { $0.str("wrapped_for") == "device_user" }
        .map { ($0["keys"] as! [Any]).count }
        .reduce(0, +)
}
