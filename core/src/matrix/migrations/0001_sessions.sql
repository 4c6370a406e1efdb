-- Matrix component, version 1: the account's Matrix details, Megolm
-- sessions (vodozemac pickles, encrypted again under a key derived from
-- the store key), the (session, index) -> event record for replay
-- detection, and room names for titles.

CREATE TABLE matrix_accounts (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    device_id      TEXT    NOT NULL,
    client_secret  TEXT,              -- Element X Android's `cs`, secret
    backup_key     BLOB,              -- backup decryption key (32 bytes), secret
    backup_version TEXT
) STRICT;

CREATE TABLE matrix_sessions (
    account_id        INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    room_id           TEXT    NOT NULL,
    session_id        TEXT    NOT NULL,
    pickle            TEXT    NOT NULL,  -- under the pickle key of the store key
    pickle_next       TEXT,              -- under the next store key, during a rekey
    first_known_index INTEGER NOT NULL,
    sender_key        TEXT,
    forwarded         INTEGER NOT NULL DEFAULT 0 CHECK (forwarded IN (0, 1)),
    created_at        INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at        INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (account_id, room_id, session_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE matrix_seen (
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    room_id       TEXT    NOT NULL,
    session_id    TEXT    NOT NULL,
    message_index INTEGER NOT NULL,
    event_id      TEXT    NOT NULL,
    created_at    INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (account_id, room_id, session_id, message_index)
) STRICT, WITHOUT ROWID;

CREATE TABLE matrix_rooms (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    room_id    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (account_id, room_id)
) STRICT, WITHOUT ROWID;
