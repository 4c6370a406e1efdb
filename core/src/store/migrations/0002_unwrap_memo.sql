-- Schema 2: remembers which wrapped E2EKey strings were already unwrapped,
-- so a re-import or a sync runs RSA only for keys it has not seen.
-- Keys stored under schema 1 get their entry at their next import.

CREATE TABLE unwrapped_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    rid          TEXT    NOT NULL,
    wrapped_hash BLOB    NOT NULL,  -- SHA-256 of the E2EKey string
    room_key_id  INTEGER NOT NULL REFERENCES room_keys (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (account_id, rid, wrapped_hash)
) STRICT, WITHOUT ROWID;

CREATE INDEX unwrapped_keys_room_key ON unwrapped_keys (room_key_id);
