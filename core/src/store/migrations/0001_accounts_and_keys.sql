-- Schema 1: accounts, their unwrapped room keys, and wrapped keys that
-- wait for the account's private key. The whole file is encrypted by
-- SQLCipher, so secrets are stored as they are.

-- One account per server: Rocket.Chat apps log in to a server as one user.
CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    server      TEXT    NOT NULL UNIQUE,  -- normalised URL
    user_id     TEXT    NOT NULL,
    auth_token  TEXT,                     -- X-Auth-Token for fetch-on-receipt
    private_jwk TEXT,                     -- UserPrivateKey::to_jwk()
    created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at  INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;

-- Rocket.Chat 6.x gives every key of a room the same key id, so a key is
-- told apart by a fingerprint of its bytes, and every key of a kid is kept.
CREATE TABLE room_keys (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    rid         TEXT    NOT NULL,
    kid         TEXT    NOT NULL,
    fingerprint BLOB    NOT NULL,  -- SHA-256 of the raw key, first 16 bytes
    algorithm   TEXT    NOT NULL CHECK (algorithm IN ('A128CBC', 'A256GCM')),
    raw_key     BLOB    NOT NULL,
    current     INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1)),
    created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    UNIQUE (account_id, rid, fingerprint)
) STRICT;

-- At most one current key per room.
CREATE UNIQUE INDEX room_keys_current ON room_keys (account_id, rid) WHERE current = 1;

-- Wrapped keys imported before the private key was known; unwrapped and
-- deleted when it is set.
CREATE TABLE pending_keys (
    id          INTEGER PRIMARY KEY,  -- import order
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    rid         TEXT    NOT NULL,
    listed_kid  TEXT,                 -- the id oldRoomKeys gives, if any
    e2e_key     TEXT    NOT NULL,
    current     INTEGER NOT NULL CHECK (current IN (0, 1)),
    created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    UNIQUE (account_id, rid, e2e_key)
) STRICT;
