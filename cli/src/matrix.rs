//! The CLI's Matrix side: keys files with `homeserver`, offline decryption
//! with them, `import`, `login`, `unlock`, `sync`, decryption from the
//! store with fetch on receipt, and the Matrix lines of `store info`.

use std::path::Path;
use std::process::ExitCode;

use pushseal::matrix::backup::{
    unlock as unlock_backup, AccountData, BackupKey, BackupVersion, RoomKeys, Unlock,
};
use pushseal::matrix::fetch::{
    account_data_path, backup_keys_path, backup_version_path, whoami_path,
};
use pushseal::matrix::fetch_net::NetHomeserver;
use pushseal::matrix::sessions::{import_sessions, Import, RoomSession};
use pushseal::matrix::{
    decrypt_push, decrypt_with_store, export, fetch_with_store, parse_push, Error as MatrixError,
    MemoryStore,
};
use pushseal::net::{FetchOutcome, Http};
use pushseal::normalize_server;
use pushseal::store::{OpenMode, Store};
use pushseal::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::net::{secret_input, NetArgs, TOKEN_ENV};
use crate::store::Location;

pub const EXPORT_PASSPHRASE_ENV: &str = "PUSHSEAL_EXPORT_PASSPHRASE";
pub const RECOVERY_KEY_ENV: &str = "PUSHSEAL_RECOVERY_KEY";
pub const BACKUP_PASSPHRASE_ENV: &str = "PUSHSEAL_BACKUP_PASSPHRASE";
const DEFAULT_KEY: &str = "m.secret_storage.default_key";
const BACKUP_SECRET: &str = "m.megolm_backup.v1";
/// Exit code when the server could not be used (as for Rocket.Chat).
const EXIT_FAILED: u8 = 1;

/// A Matrix keys file is a JSON object with `homeserver`; Rocket.Chat's
/// have `server`.
pub fn is_keys_file(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        homeserver: Option<Value>,
    }
    serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.homeserver.is_some())
}

/// Whether the push is a Matrix one (`$` event id, `!` room id, no `ejson`).
pub fn is_push(bytes: &[u8]) -> bool {
    parse_push(bytes).is_ok()
}

#[derive(Deserialize)]
struct KeysFile {
    homeserver: String,
    user_id: String,
    #[serde(default)]
    device_id: Option<String>,
    room_keys: RoomKeysSection,
    #[serde(default)]
    backup: Option<BackupSection>,
}

#[derive(Deserialize)]
struct RoomKeysSection {
    #[serde(default)]
    export: Option<Zeroizing<String>>,
    #[serde(default)]
    passphrase: Option<Zeroizing<String>>,
    #[serde(default)]
    sessions: Option<Value>,
}

#[derive(Deserialize)]
struct BackupSection {
    #[serde(default)]
    recovery_key: Option<Zeroizing<String>>,
    version: BackupVersion,
    #[serde(default)]
    keys: Option<RoomKeys>,
    /// The secret-storage account data, so the recovery key may be the one
    /// Element shows (the secret-storage key).
    #[serde(default)]
    account_data: Option<AccountData>,
}

/// A keys file read, checked and decrypted.
pub struct Loaded {
    pub homeserver: String,
    pub user_id: String,
    pub device_id: String,
    pub sessions: Vec<RoomSession>,
    pub backup: Option<(BackupKey, String)>,
    /// One line per session that could not be used, for the user to see.
    pub skipped: Vec<String>,
}

impl Loaded {
    fn rooms(&self) -> usize {
        let mut rooms: Vec<&str> = self.sessions.iter().map(|s| s.room_id.as_str()).collect();
        rooms.sort_unstable();
        rooms.dedup();
        rooms.len()
    }
}

/// Reads a Matrix keys file; every error names the file and what is wrong.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let label = format!("keys file {}", path.display());
    let bytes =
        Zeroizing::new(std::fs::read(path).map_err(|e| format!("cannot read {label}: {e}"))?);
    let loaded = load_bytes(&label, &bytes, Secrets::FileOrEnv)?;
    for w in &loaded.skipped {
        errln!("pushseal: {w}");
    }
    Ok(loaded)
}

/// Where a keys file's passphrase and recovery key may come from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Secrets {
    /// The environment first, then the file (a user's own keys file).
    FileOrEnv,
    /// The file only: the demo's file carries its own, and a secret in the
    /// environment meant for the user's data must not be tried on it.
    FileOnly,
}

/// [`load`] on bytes already read; `label` names them in errors.
pub fn load_bytes(label: &str, bytes: &[u8], secrets: Secrets) -> Result<Loaded, String> {
    let env = |name: &str| {
        (secrets == Secrets::FileOrEnv)
            .then(|| std::env::var(name).ok().map(Zeroizing::new))
            .flatten()
    };
    let file: KeysFile = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{label}: not a Matrix keys file (line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    let import = match (&file.room_keys.export, &file.room_keys.sessions) {
        (Some(armoured), _) => {
            let passphrase = env(EXPORT_PASSPHRASE_ENV)
                .or_else(|| file.room_keys.passphrase.clone())
                .ok_or_else(|| {
                    format!(
                    "{label}: no passphrase for the key export: add \"room_keys\".\"passphrase\" \
                     or set ${EXPORT_PASSPHRASE_ENV}"
                )
                })?;
            export::import_export(armoured, &passphrase)
                .map_err(|e| format!("{label}: the key export cannot be used: {e}"))?
        }
        (None, Some(list)) => {
            let list = Zeroizing::new(serde_json::to_vec(list).map_err(|e| e.to_string())?);
            import_sessions(&list)
                .map_err(|e| format!("{label}: \"room_keys\".\"sessions\": {e}"))?
        }
        (None, None) => {
            return Err(format!(
                "{label}: \"room_keys\" needs \"export\" (with a passphrase) or \"sessions\""
            ))
        }
    };
    let Import {
        mut sessions,
        skipped,
    } = import;
    let mut notes: Vec<String> = skipped
        .iter()
        .map(|s| {
            format!(
                "skipped session {} of room {} ({})",
                s.session_id.as_deref().unwrap_or("?"),
                s.room_id.as_deref().unwrap_or("?"),
                s.reason
            )
        })
        .collect();
    let mut backup = None;
    if let Some(section) = &file.backup {
        if let Some(recovery) = env(RECOVERY_KEY_ENV).or_else(|| section.recovery_key.clone()) {
            let data = section.account_data.as_ref();
            let (key, _) = unlock_backup(&section.version, data, Unlock::RecoveryKey(&recovery))
                .map_err(|e| format!("{label}: the recovery key does not open the backup: {e}"))?;
            if let Some(keys) = &section.keys {
                let (ok, failed) = key.decrypt_all(keys);
                for (room, session, e) in failed {
                    notes.push(format!(
                        "skipped backed-up session {session} of room {room} ({})",
                        e.code()
                    ));
                }
                sessions.extend(ok);
            }
            backup = Some((key, section.version.version.clone()));
        }
    }
    Ok(Loaded {
        homeserver: file.homeserver,
        user_id: file.user_id,
        device_id: file.device_id.unwrap_or_default(),
        sessions,
        backup,
        skipped: notes,
    })
}

/// `pushseal decrypt --keys KEYS.json PUSH` for a Matrix keys file: offline.
pub fn decrypt_with_keys(path: &Path, bytes: &[u8]) -> Result<FetchOutcome, String> {
    let mut store = memory_store(load(path)?);
    Ok(FetchOutcome {
        outcome: decrypt_push(bytes, &mut store),
        fetched: false,
        room_key_fetched: false,
    })
}

/// The sessions of a keys file, held in memory for offline decryption.
pub fn memory_store(loaded: Loaded) -> MemoryStore {
    let mut store = MemoryStore::new();
    for s in loaded.sessions {
        store.add(s);
    }
    store
}

/// `pushseal import --keys KEYS.json` for a Matrix keys file. The file is
/// read and decrypted before the store is opened, so a bad one changes
/// nothing.
pub fn import(location: &Location, path: &Path) -> Result<(), String> {
    let loaded = load(path)?;
    let (count, rooms) = (loaded.sessions.len(), loaded.rooms());
    let store = location.open(OpenMode::ReadWrite)?;
    let explain = |e| location.explain(e);
    let hs = &loaded.homeserver;
    store
        .set_matrix_account(hs, &loaded.user_id, &loaded.device_id)
        .map_err(explain)?;
    if let Some((key, version)) = &loaded.backup {
        store
            .set_matrix_backup(hs, key.secret(), version)
            .map_err(explain)?;
    }
    store
        .import_matrix_sessions(hs, loaded.sessions)
        .map_err(explain)?;
    store.close().map_err(explain)?;
    outln!("imported {count} sessions in {rooms} rooms");
    Ok(())
}

fn http(net: &NetArgs) -> Result<Http, String> {
    Http::new(net.config()?).map_err(|e| e.to_string())
}

fn failed(message: String) -> Result<ExitCode, String> {
    errln!("pushseal: {message}");
    Ok(ExitCode::from(EXIT_FAILED))
}

/// `pushseal login --server URL --user-id @u:s --device-id ID`: checks the
/// access token with `whoami`, then stores the account and the token.
pub fn login(
    location: &Location,
    server: &str,
    user_id: &str,
    device_id: &str,
    net: &NetArgs,
) -> Result<ExitCode, String> {
    let server = normalize_server(server).map_err(|e| e.to_string())?;
    let token = secret_input(TOKEN_ENV, "access token")?;
    let http = http(net)?;
    let hs = NetHomeserver::new(&http, &server, SecretString::from(token.to_string()));
    let answer = match hs.get_under(&whoami_path(), net.deadline()) {
        Ok(a) => a,
        Err(e) => return failed(format!("login to {server} failed: {e}")),
    };
    if answer.status != 200 {
        let reason = if answer.status == 401 {
            " (unauthorized)"
        } else {
            ""
        };
        return failed(format!(
            "login to {server} refused: HTTP {}{reason}",
            answer.status
        ));
    }
    #[derive(Deserialize)]
    struct WhoAmI {
        user_id: String,
    }
    match serde_json::from_slice::<WhoAmI>(&answer.body) {
        Ok(w) if w.user_id == user_id => {}
        Ok(w) => {
            return failed(format!(
                "the access token belongs to {}, not {user_id}",
                w.user_id
            ))
        }
        Err(_) => return failed(format!("{server} did not answer whoami as a homeserver")),
    }
    let store = location.open(OpenMode::ReadWrite)?;
    let explain = |e| location.explain(e);
    store
        .set_matrix_account(&server, user_id, device_id)
        .map_err(explain)?;
    store
        .set_auth_token(&server, SecretString::from(token.to_string()))
        .map_err(explain)?;
    store.close().map_err(explain)?;
    outln!("logged in to {server} as {user_id} (device {device_id})");
    Ok(ExitCode::SUCCESS)
}

/// Whether the store holds a Matrix account for `server`.
pub fn has_account(location: &Location, server: &str) -> bool {
    let Ok(server) = normalize_server(server) else {
        return false;
    };
    let Ok(store) = location.open(OpenMode::ReadOnly) else {
        return false;
    };
    let found = store
        .matrix_accounts()
        .is_ok_and(|a| a.iter().any(|a| a.server == server));
    let _ = store.close();
    found
}

fn token(store: &Store, server: &str) -> Result<SecretString, String> {
    match store.auth(server) {
        Ok(Some((_, token))) => Ok(token),
        Ok(None) => Err(format!(
            "not logged in to {server}: run `pushseal login --server {server} --user-id … --device-id …` first"
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn backup_version(
    hs: &NetHomeserver<'_>,
    server: &str,
    net: &NetArgs,
) -> Result<BackupVersion, String> {
    let answer = hs
        .get_under(&backup_version_path(), net.deadline())
        .map_err(|e| format!("{server}: {e}"))?;
    match answer.status {
        200 => serde_json::from_slice(&answer.body)
            .map_err(|_| format!("{server} answered /room_keys/version with something else")),
        404 => Err(format!("{server} has no key backup")),
        401 => Err(format!("{server} refused the access token (unauthorized)")),
        s => Err(format!("{server}: /room_keys/version answered HTTP {s}")),
    }
}

/// The secret-storage account data of `user_id`: the default key's id, its
/// description and the encrypted backup key. `None` when the account has no
/// secret storage (a 404 for any of them).
fn secret_storage(
    hs: &NetHomeserver<'_>,
    server: &str,
    user_id: &str,
    net: &NetArgs,
) -> Result<Option<AccountData>, String> {
    let get = |kind: &str| -> Result<Option<Value>, String> {
        let answer = hs
            .get_under(&account_data_path(user_id, kind), net.deadline())
            .map_err(|e| format!("{server}: {e}"))?;
        match answer.status {
            200 => serde_json::from_slice(&answer.body)
                .map(Some)
                .map_err(|_| format!("{server} answered account data {kind} with something else")),
            404 => Ok(None),
            401 => Err(format!("{server} refused the access token (unauthorized)")),
            s => Err(format!("{server}: account data {kind} answered HTTP {s}")),
        }
    };
    let mut data = AccountData::new();
    let Some(default) = get(DEFAULT_KEY)? else {
        return Ok(None);
    };
    let Some(id) = default
        .get("key")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(None);
    };
    data.insert(DEFAULT_KEY.to_owned(), default);
    for kind in [
        format!("m.secret_storage.key.{id}"),
        BACKUP_SECRET.to_owned(),
    ] {
        let Some(content) = get(&kind)? else {
            return Ok(None);
        };
        data.insert(kind, content);
    }
    Ok(Some(data))
}

/// `pushseal unlock --server URL [--passphrase]`: the recovery key (or
/// passphrase) is checked against the backup's public key before the
/// backup key is stored.
pub fn unlock(
    location: &Location,
    server: &str,
    passphrase: bool,
    net: &NetArgs,
) -> Result<ExitCode, String> {
    let server = normalize_server(server).map_err(|e| e.to_string())?;
    let store = location.open(OpenMode::ReadWrite)?;
    let token = token(&store, &server)?;
    let http = http(net)?;
    let hs = NetHomeserver::new(&http, &server, token);
    let version = match backup_version(&hs, &server, net) {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let (what, secret) = if passphrase {
        (
            "passphrase",
            secret_input(BACKUP_PASSPHRASE_ENV, "backup passphrase")?,
        )
    } else {
        (
            "recovery key",
            secret_input(RECOVERY_KEY_ENV, "recovery key")?,
        )
    };
    let input = if passphrase {
        Unlock::Passphrase(&secret)
    } else {
        Unlock::RecoveryKey(&secret)
    };
    // The raw backup key (or backup passphrase) needs nothing more. What
    // Element shows as the recovery key is the secret-storage key, which
    // opens the backup key kept in the user's account data: fetched only
    // when the first try does not match the backup.
    let mut unlocked = unlock_backup(&version, None, input);
    if matches!(unlocked, Err(MatrixError::PublicKeyMismatch)) {
        let user_id = store
            .user_id(&server)
            .map_err(|e| location.explain(e))?
            .unwrap_or_default();
        match secret_storage(&hs, &server, &user_id, net) {
            Ok(Some(data)) => unlocked = unlock_backup(&version, Some(&data), input),
            Ok(None) => {}
            Err(e) => return failed(e),
        }
    }
    let key = match unlocked {
        Ok((key, _)) => key,
        Err(e) => {
            return failed(format!(
                "the {what} does not open the key backup of {server}: {e}"
            ))
        }
    };
    store
        .set_matrix_backup(&server, key.secret(), &version.version)
        .map_err(|e| location.explain(e))?;
    store.close().map_err(|e| location.explain(e))?;
    outln!(
        "unlocked key backup version {} of {server}",
        version.version
    );
    Ok(ExitCode::SUCCESS)
}

/// `pushseal sync --server URL`: every session of the key backup.
pub fn sync(location: &Location, server: &str, net: &NetArgs) -> Result<ExitCode, String> {
    let server = normalize_server(server).map_err(|e| e.to_string())?;
    let store = location.open(OpenMode::ReadWrite)?;
    let token = token(&store, &server)?;
    let Some((key, version)) = store
        .matrix_backup(&server)
        .map_err(|e| location.explain(e))?
    else {
        return failed(format!(
            "no backup key for {server}: run `pushseal unlock --server {server}` first"
        ));
    };
    let http = http(net)?;
    let hs = NetHomeserver::new(&http, &server, token);
    let answer = match hs.get_under(&backup_keys_path(&version), net.deadline()) {
        Ok(a) => a,
        Err(e) => return failed(format!("{server}: {e}")),
    };
    match answer.status {
        200 => {}
        401 => return failed(format!("{server} refused the access token (unauthorized)")),
        404 => return failed(format!("{server} has no key backup version {version}")),
        s => return failed(format!("{server}: /room_keys/keys answered HTTP {s}")),
    }
    let keys: RoomKeys = match serde_json::from_slice(&answer.body) {
        Ok(k) => k,
        Err(_) => {
            return failed(format!(
                "{server} answered /room_keys/keys with something else"
            ))
        }
    };
    let (sessions, refused) = BackupKey::new(key).decrypt_all(&keys);
    for (room, session, e) in refused {
        errln!(
            "pushseal: skipped backed-up session {session} of room {room} ({})",
            e.code()
        );
    }
    let count = sessions.len();
    let report = store
        .import_matrix_sessions(&server, sessions)
        .map_err(|e| location.explain(e))?;
    store.close().map_err(|e| location.explain(e))?;
    outln!(
        "imported {count} sessions in {} rooms from the key backup ({} new)",
        report.rooms,
        report.stored
    );
    Ok(ExitCode::SUCCESS)
}

/// `pushseal decrypt PUSH` for a Matrix push, from the store opened
/// read-only as the extension does: a session fetched from the backup
/// serves this push only.
pub fn decrypt_from_store(
    location: &Location,
    bytes: &[u8],
    offline: bool,
    net: &NetArgs,
) -> Result<FetchOutcome, String> {
    let store = location.open(OpenMode::ReadOnly)?;
    let result = if offline {
        FetchOutcome::offline(decrypt_with_store(bytes, &store))
    } else {
        fetch_with_store(bytes, &store, &http(net)?, net.deadline())
    };
    store.close().map_err(|e| location.explain(e))?;
    Ok(result)
}

/// Matrix accounts for `store info`; never a secret.
pub fn info(store: &Store) -> Result<Vec<Value>, String> {
    let accounts = store.matrix_accounts().map_err(|e| e.to_string())?;
    Ok(accounts
        .iter()
        .map(|a| {
            let rooms: Vec<Value> = a
                .rooms
                .iter()
                .map(|(room, n)| json!({"room_id": room, "sessions": n}))
                .collect();
            json!({
                "protocol": "matrix", "server": a.server, "user_id": a.user_id,
                "device_id": a.device_id, "has_auth_token": a.has_auth_token,
                "has_backup_key": a.has_backup_key, "backup_version": a.backup_version,
                "rooms": rooms,
            })
        })
        .collect())
}

/// The text lines of `store info` for Matrix accounts.
pub fn info_text(accounts: &[Value]) {
    for a in accounts {
        let rooms = a["rooms"].as_array().map_or(0, Vec::len);
        let sessions: u64 = a["rooms"]
            .as_array()
            .map_or(0, |r| r.iter().filter_map(|r| r["sessions"].as_u64()).sum());
        let yes = |b: &Value| {
            if b.as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            }
        };
        outln!(
            "{}  matrix {}  device {}  access token: {}  backup key: {}  rooms: {rooms}  sessions: {sessions}",
            a["server"].as_str().unwrap_or(""),
            a["user_id"].as_str().unwrap_or(""),
            a["device_id"].as_str().unwrap_or(""),
            yes(&a["has_auth_token"]),
            yes(&a["has_backup_key"]),
        );
        for r in a["rooms"].as_array().into_iter().flatten() {
            outln!(
                "  {}  {} sessions",
                r["room_id"].as_str().unwrap_or(""),
                r["sessions"]
            );
        }
    }
}
