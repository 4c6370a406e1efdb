package org.pushseal.support

import org.pushseal.PushStore
import org.pushseal.Pushseal
import org.pushseal.StoreMode
import java.io.File

/**
 * A store in [dir] holding the vectors' keys for [server]; with [loggedIn],
 * also the fake server's auth token. Without one, nothing can reach a network.
 */
fun vectorStore(
    dir: File,
    server: String = Vectors.server,
    loggedIn: Boolean = false,
    key: ByteArray = Pushseal.generateStoreKey(),
    keep: (String) -> Boolean = { true },
): PushStore {
    val store = Pushseal.openStore(File(dir, "store.db"), key, StoreMode.READ_WRITE)
    store.importKeys(Vectors.keysFor(server, jwk = true, keep = keep), null)
    if (loggedIn) store.setAuthToken(server, FakeServer.TOKEN)
    return store
}
