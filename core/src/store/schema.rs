//! Schema versions: plain SQL files applied in order. The neutral schema's
//! version is `PRAGMA user_version` (versions 1-3 also hold Rocket.Chat's
//! first tables, from before the split); each protocol's own tables are a
//! [`Component`] with its version in `schema_components`. A file, once
//! released, never changes; a change is a new file.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::error::StoreError;

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_accounts_and_keys.sql"),
    include_str!("migrations/0002_unwrap_memo.sql"),
    include_str!("migrations/0003_private_key_table.sql"),
    include_str!("migrations/0004_protocol_components.sql"),
];

/// A protocol's tables: its migrations, applied in order after the
/// neutral ones, its version kept under `name` in `schema_components`.
/// Registered in [`crate::protocols::STORE_COMPONENTS`].
#[derive(Debug)]
pub struct Component {
    pub name: &'static str,
    /// Migration `i` takes the component from version `i` to `i + 1`.
    pub migrations: &'static [&'static str],
}

impl Component {
    fn version(&self) -> u32 {
        self.migrations.len() as u32
    }
}

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt("negative schema version".into()))
}

/// Brings the store to [`SCHEMA_VERSION`] in one write transaction, so a
/// crash leaves it at the old version, never in between.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, SCHEMA_VERSION)
}

pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    let components = crate::protocols::STORE_COMPONENTS;
    // Components need the neutral schema at its latest version.
    let with_components = target == SCHEMA_VERSION;
    let found = user_version(conn)?;
    if found == target && (!with_components || components_current(conn, components)?) {
        return Ok(());
    }
    too_new(found)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    let found = user_version(&tx)?;
    too_new(found)?;
    for (version, sql) in (1..=target).zip(MIGRATIONS).skip(found as usize) {
        tx.execute_batch(sql).map_err(|e| StoreError::Migration {
            version,
            detail: e.to_string(),
        })?;
    }
    if found < target {
        tx.pragma_update(None, "user_version", target)?;
    }
    if with_components {
        for component in components {
            migrate_component(&tx, component)?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn component_version(conn: &Connection, name: &str) -> Result<u32, StoreError> {
    let v: Option<i64> = conn
        .query_row(
            "SELECT version FROM schema_components WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    u32::try_from(v.unwrap_or(0))
        .map_err(|_| StoreError::Corrupt(format!("negative {name} schema version")))
}

fn components_current(conn: &Connection, components: &[Component]) -> Result<bool, StoreError> {
    for c in components {
        if component_version(conn, c.name)? != c.version() {
            return Ok(false);
        }
    }
    Ok(true)
}

fn migrate_component(conn: &Connection, component: &Component) -> Result<(), StoreError> {
    let found = component_version(conn, component.name)?;
    component_too_new(component, found)?;
    for (version, sql) in (1..).zip(component.migrations).skip(found as usize) {
        conn.execute_batch(sql).map_err(|e| StoreError::Migration {
            version,
            detail: format!("{}: {e}", component.name),
        })?;
    }
    if found < component.version() {
        conn.execute(
            "INSERT INTO schema_components (name, version) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET version = excluded.version",
            rusqlite::params![component.name, component.version()],
        )?;
    }
    Ok(())
}

fn component_too_new(component: &Component, found: u32) -> Result<(), StoreError> {
    if found > component.version() {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: component.version(),
        });
    }
    Ok(())
}

/// A read-only connection cannot migrate; it needs the current schema.
pub(super) fn check(conn: &Connection) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    too_new(found)?;
    if found < SCHEMA_VERSION {
        return Err(StoreError::NotMigrated {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for component in crate::protocols::STORE_COMPONENTS {
        let found = component_version(conn, component.name)?;
        component_too_new(component, found)?;
        if found < component.version() {
            return Err(StoreError::NotMigrated {
                found,
                supported: component.version(),
            });
        }
    }
    Ok(())
}

fn too_new(found: u32) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
