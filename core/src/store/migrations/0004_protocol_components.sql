-- Schema 4: the store becomes protocol-neutral. Versions 1-3 created
-- Rocket.Chat's tables along with the accounts; from here on, each
-- protocol owns its tables and migrations, versioned per component in
-- `schema_components` (see docs/store.md, "Migrations"), and an account
-- says which protocol it belongs to.

ALTER TABLE accounts ADD COLUMN protocol TEXT NOT NULL DEFAULT 'rocketchat';

CREATE TABLE schema_components (
    name    TEXT    PRIMARY KEY,  -- e.g. 'matrix'
    version INTEGER NOT NULL      -- migrations of that component applied
) STRICT, WITHOUT ROWID;
