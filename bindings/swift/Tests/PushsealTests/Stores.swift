import Foundation
import Pushseal
import XCTest

/// A store holding the vectors' keys for `server`; with `loggedIn`, also the
/// fake server's auth token. Without one, nothing can reach a network.
func vectorStore(_ test: XCTestCase, server: String = Vectors.server, loggedIn: Bool = false) throws -> PushStore {
    let dir = try temporaryDirectory(test)
    let store = try Pushseal.openStore(path: dir.appendingPathComponent("store.db").path, key: generateStoreKey())
    _ = try store.importKeys(keysJson: Vectors.keys(for: server), password: nil)
    if loggedIn { try store.setAuthToken(server: server, token: FakeServer.token) }
    test.addTeardownBlock { try? store.close() }
    return store
}

/// A store with the device user's account on `server` and the fake server's
/// token, but no keys: what the app has right after login.
func loggedInStore(_ test: XCTestCase, _ server: FakeServer, token: String = FakeServer.token) throws -> PushStore {
    let dir = try temporaryDirectory(test)
    let store = try Pushseal.openStore(path: dir.appendingPathComponent("store.db").path, key: generateStoreKey())
    try store.setAccount(server: server.url, userId: deviceUserId())
    try store.setAuthToken(server: server.url, token: token)
    test.addTeardownBlock { try? store.close() }
    return store
}
