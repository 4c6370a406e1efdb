//! The CLI's key store: where it lives, where its key comes from, and the
//! `import` and `store info` commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use pushseal::rocketchat::KeysFile;
use pushseal::store::{AccountInfo, OpenMode, Store, StoreError, StoreKey};
use serde_json::json;
use zeroize::Zeroizing;

use crate::input::{password_from_env, warn_skipped};

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

    /// Opens the store; a read-write open creates it, and its key file, when
    /// they do not exist yet.
    pub fn open(&self, mode: OpenMode) -> Result<Store, String> {
        let key = self.key(mode == OpenMode::ReadWrite)?;
        if mode == OpenMode::ReadWrite {
            if let Some(folder) = self.store.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_private_dir(folder)?;
            }
        }
        Store::open(&self.store, &key, mode).map_err(|e| match e {
            StoreError::NotFound => format!(
                "no key store at {}: run `pushseal import --keys KEYS.json` first",
                self.store.display()
            ),
            StoreError::WrongKey => format!(
                "wrong store key for {} (from ${STORE_KEY_ENV} or {})",
                self.store.display(),
                self.key_file.display()
            ),
            other => format!("{}: {other}", self.store.display()),
        })
    }

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
                "no store key: set ${STORE_KEY_ENV} or create the store with `pushseal import` (key file {} is missing)",
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
        eprintln!(
            "pushseal: created a new store key in {}",
            self.key_file.display()
        );
        Ok(key)
    }
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
            eprintln!(
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
    let bytes = std::fs::read(keys).map_err(|e| format!("cannot read {}: {e}", keys.display()))?;
    let file = KeysFile::parse(&bytes).map_err(|e| format!("{}: {e}", keys.display()))?;
    let (server, user) = (file.server.clone(), file.user_id.clone());
    let store = location.open(OpenMode::ReadWrite)?;
    let report = store
        .import_keys_file(file, password_from_env())
        .map_err(|e| format!("{}: {e}", keys.display()))?;
    warn_skipped(&report);
    println!(
        "imported {} new room keys from {} rooms for {user} on {server} into {}",
        report.keys,
        report.rooms,
        location.store.display()
    );
    store.close().map_err(|e| e.to_string())
}

/// `pushseal store info`: accounts, rooms and key counts; never a secret.
pub fn info(location: &Location, as_json: bool) -> Result<(), String> {
    let store = location.open(OpenMode::ReadOnly)?;
    let accounts = store.info().map_err(|e| e.to_string())?;
    store.close().map_err(|e| e.to_string())?;
    if as_json {
        let accounts: Vec<_> = accounts.iter().map(account_json).collect();
        println!("{}", json!({"store": location.store, "accounts": accounts}));
        return Ok(());
    }
    println!("store: {}", location.store.display());
    if accounts.is_empty() {
        println!("no accounts");
    }
    for a in &accounts {
        let keys: usize = a.rooms.iter().map(|r| r.keys).sum();
        println!(
            "{}  user {}  private key: {}  auth token: {}  rooms: {}  keys: {}  waiting: {}",
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
            println!("  {}  {} keys  current {current}", r.rid, r.keys);
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
