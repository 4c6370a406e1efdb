-- Schema 3: the user's private key leaves `accounts` for a table of its
-- own, read only when an RSA unwrap needs it. Every key lookup reads the
-- account row; with the JWK in it, the page holding the private key sat
-- decrypted in SQLite's page cache whenever a push was decrypted.
-- (The opener turns secure_delete on, so the dropped column's bytes are
-- overwritten, not left in free space.)

CREATE TABLE private_keys (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    jwk        TEXT    NOT NULL,  -- UserPrivateKey::to_jwk()
    created_at INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;

INSERT INTO private_keys (account_id, jwk)
    SELECT id, private_jwk FROM accounts WHERE private_jwk IS NOT NULL;

ALTER TABLE accounts ADD COLUMN has_private_key INTEGER NOT NULL DEFAULT 0
    CHECK (has_private_key IN (0, 1));

UPDATE accounts SET has_private_key = (private_jwk IS NOT NULL);

ALTER TABLE accounts DROP COLUMN private_jwk;
