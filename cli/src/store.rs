//! The CLI's key store: where it lives, where its key comes from, and the
//! `import` and `store info` commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use pushseal::rocketchat::store::AccountInfo;
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use serde_json::json;
use zeroize::Zeroizing;

use crate::input::{read_keys, warn_skipped};

/// The store key as 64 hex digits; wins over the key file.
pub const STORE_KEY_ENV: &str = "PUSHSEAL_STORE_KEY";

/// Where the store and its key are, from the global options.
pub struct Location {
    pub store: PathBuf,
    pub key_file: PathBuf,
}

impl Location {
    pub fn new(store: Option<PathBuf>, key_file: Option<PathBuf>) -> Result<Self, String> {
        let store = match store {
            Some(path) => path,
            None => default_store()?,
        };
        // Beside the store by default, so that --store alone moves both.
        let key_file = key_file.unwrap_or_else(|| store.with_extension("key"));
        Ok(Self { store, key_file })
    }

    /// Opens the store. A read-write open creates it, and its key file,
    /// when there is no store yet; a key file is never made for a store
    /// that exists, since a new key cannot open it.
    pub fn open(&self, mode: OpenMode) -> Result<Store, String> {
        let state = self.state()?;
        let read_write = mode == OpenMode::ReadWrite;
        match state {
            State::Missing if !read_write => {
                return Err(format!(
                    "no key store at {}: create one with `pushseal import --keys KEYS.json` \
                     or `pushseal login --server URL --user-id ID`",
                    self.store.display()
                ))
            }
            State::Empty if !read_write => {
                return Err(format!(
                    "the key store {} is empty (0 bytes) and holds no keys: \
                     run `pushseal store migrate` to set it up, then `pushseal import` or `pushseal login`",
                    self.store.display()
                ))
            }
            _ => {}
        }
        let key = self.key(read_write && state != State::Exists)?;
        if read_write {
            if let Some(folder) = self.store.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_private_dir(folder)?;
            }
            if state == State::Empty {
                // Nothing was ever written to it; start it afresh rather
                // than ask SQLite to read a file with no header.
                std::fs::remove_file(&self.store)
                    .map_err(|e| format!("cannot replace {}: {e}", self.store.display()))?;
            }
        }
        Store::open(&self.store, &key, mode).map_err(|e| self.explain(e))
    }

    /// A store error as the user can act on it: what is wrong and the
    /// command or setting that fixes it.
    pub fn explain(&self, e: StoreError) -> String {
        let store = self.store.display();
        let key_source = match std::env::var_os(STORE_KEY_ENV) {
            Some(_) => format!("${STORE_KEY_ENV}"),
            None => format!("key file {}", self.key_file.display()),
        };
        match e {
            StoreError::NotFound => format!(
                "no key store at {store}: create one with `pushseal import --keys KEYS.json`"
            ),
            StoreError::WrongKey => format!("wrong store key for {store} (from {key_source})"),
            StoreError::Corrupt(detail) => format!(
                "the key store {store} is damaged ({detail}); the store key is NOT the problem, \
                 so keep it: restore the store from a backup, or move it away and build a \
                 new one with `pushseal import` or `pushseal login`, `unlock` and `sync`"
            ),
            StoreError::NotMigrated { found, supported } => format!(
                "the key store {store} has schema {found} and this pushseal reads {supported}: \
                 run `pushseal store migrate` once to upgrade it"
            ),
            other => format!("{store}: {other}"),
        }
    }

    fn state(&self) -> Result<State, String> {
        match std::fs::metadata(&self.store) {
            Ok(meta) if meta.len() == 0 => Ok(State::Empty),
            Ok(_) => Ok(State::Exists),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::Missing),
            Err(e) => Err(format!("cannot read {}: {e}", self.store.display())),
        }
    }

    /// The store key; `create` makes a new key file when there is none.
    fn key(&self, create: bool) -> Result<StoreKey, String> {
        if let Ok(hex) = std::env::var(STORE_KEY_ENV) {
            let hex = Zeroizing::new(hex);
            return StoreKey::from_hex(&hex).map_err(|e| format!("${STORE_KEY_ENV}: {e}"));
        }
        match std::fs::read_to_string(&self.key_file) {
            Ok(hex) => {
                let hex = Zeroizing::new(hex);
                warn_if_shared(&self.key_file);
                StoreKey::from_hex(&hex).map_err(|e| format!("{}: {e}", self.key_file.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => self.create_key(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
                "the key store {} exists but its key file {} is missing: restore that file \
                 (or pass --store-key-file), or set ${STORE_KEY_ENV} to the store's key; \
                 a new key cannot open this store, so none is made",
                self.store.display(),
                self.key_file.display()
            )),
            Err(e) => Err(format!("cannot read {}: {e}", self.key_file.display())),
        }
    }

    /// A fresh random key in a file only the user can read.
    fn create_key(&self) -> Result<StoreKey, String> {
        if let Some(folder) = self.key_file.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(folder)?;
        }
        let key = StoreKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options.open(&self.key_file).and_then(|mut f| {
            f.write_all(key.to_hex().expose().as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        });
        written.map_err(|e| format!("cannot create key file {}: {e}", self.key_file.display()))?;
        errln!(
            "pushseal: created a new store key in {}",
            self.key_file.display()
        );
        Ok(key)
    }
}

/// What is at the store path before opening it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Missing,
    /// 0 bytes: created, never written (an import that stopped early).
    Empty,
    Exists,
}

/// `$XDG_DATA_HOME/pushseal/store.db`, else `~/.local/share/pushseal/store.db`.
fn default_store() -> Result<PathBuf, String> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    let data = std::env::var_os("XDG_DATA_HOME")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".local/share"))
        })
        .ok_or("cannot find a data folder: set --store, XDG_DATA_HOME or HOME")?;
    Ok(data.join("pushseal").join("store.db"))
}

fn create_private_dir(folder: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            errln!(
                "pushseal: warning: {} is readable by other users (chmod 600 it)",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// `pushseal import --keys KEYS.json`.
pub fn import(location: &Location, keys: &Path) -> Result<(), String> {
    let checked = read_keys(keys)?;
    let (server, user) = (checked.file.server.clone(), checked.file.user_id.clone());
    let store = location.open(OpenMode::ReadWrite)?;
    let report = store
        .import_keys_file(checked.file, checked.password)
        .map_err(|e| match e {
            StoreError::Invalid(inner) => checked.context.error(&inner),
            other => location.explain(other),
        })?;
    warn_skipped(&report);
    outln!(
        "imported {} new room keys from {} rooms for {user} on {server} into {}",
        report.keys,
        report.rooms,
        location.store.display()
    );
    store.close().map_err(|e| location.explain(e))
}

/// `pushseal store migrate`: a read-write open upgrades the schema.
pub fn migrate(location: &Location) -> Result<(), String> {
    let store = location.open(OpenMode::ReadWrite)?;
    store.close().map_err(|e| location.explain(e))?;
    outln!("the key store {} is up to date", location.store.display());
    Ok(())
}

/// `pushseal store info`: accounts, rooms and key counts; never a secret.
pub fn info(location: &Location, as_json: bool) -> Result<(), String> {
    let store = location.open(OpenMode::ReadOnly)?;
    let accounts = store.info().map_err(|e| location.explain(e))?;
    store.close().map_err(|e| location.explain(e))?;
    if as_json {
        let accounts: Vec<_> = accounts.iter().map(account_json).collect();
        outln!("{}", json!({"store": location.store, "accounts": accounts}));
        return Ok(());
    }
    outln!("store: {}", location.store.display());
    if accounts.is_empty() {
        outln!("no accounts");
    }
    for a in &accounts {
        let keys: usize = a.rooms.iter().map(|r| r.keys).sum();
        outln!(
            "{}  user {}  private key: {}  auth token: {}  rooms: {}  keys: {}  pending: {}",
            a.server,
            a.user_id,
            yes(a.has_private_key),
            yes(a.has_auth_token),
            a.rooms.len(),
            keys,
            a.pending_keys
        );
        for r in &a.rooms {
            let current = r.current_kid.as_deref().unwrap_or("(none)");
            outln!("  {}  {} keys  current {current}", r.rid, r.keys);
        }
        if a.pending_keys > 0 && !a.has_private_key {
            outln!(
                "  {} room keys are pending until `pushseal unlock --server {}`",
                a.pending_keys,
                a.server
            );
        }
    }
    Ok(())
}

fn account_json(a: &AccountInfo) -> serde_json::Value {
    let rooms: Vec<_> = a
        .rooms
        .iter()
        .map(|r| json!({"rid": r.rid, "keys": r.keys, "current_kid": r.current_kid}))
        .collect();
    json!({
        "server": a.server, "user_id": a.user_id, "has_private_key": a.has_private_key,
        "has_auth_token": a.has_auth_token, "pending_keys": a.pending_keys, "rooms": rooms,
    })
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location() -> Location {
        Location::new(Some(PathBuf::from("/tmp/s.db")), None).unwrap()
    }

    /// A store from an older build cannot be made in the CLI tests without
    /// SQLCipher's internals, so the advice is checked here; the tests in
    /// cli/tests/store_errors.rs run `pushseal store migrate` itself.
    #[test]
    fn an_unmigrated_store_names_the_command_that_fixes_it() {
        let text = location().explain(StoreError::NotMigrated {
            found: 1,
            supported: 3,
        });
        assert!(text.contains("`pushseal store migrate`"), "{text}");
        assert!(text.contains("schema 1"), "{text}");
    }

    #[test]
    fn damage_is_never_blamed_on_the_key() {
        let text = location().explain(StoreError::Corrupt("page 3".into()));
        assert!(text.contains("damaged"), "{text}");
        assert!(text.contains("NOT the problem"), "{text}");
        assert!(!text.contains("wrong store key"), "{text}");
    }
}
