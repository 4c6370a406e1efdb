//! The commands that talk to the server: `login`, `unlock`, `sync`, and
//! `decrypt` with fetch on receipt (see docs/network.md).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use pushseal::net::{ClientConfig, Deadline, FetchOutcome};
use pushseal::rocketchat::Keyring;
use pushseal::rocketchat::{AccountStore, Client};
use pushseal::store::OpenMode;
use pushseal::{normalize_server, Error, Password, SecretString};
use zeroize::Zeroizing;

use crate::input::{warn_skipped, PASSWORD_ENV};
use crate::render;
use crate::store::Location;

/// The REST auth token may come from the environment instead of stdin.
pub const TOKEN_ENV: &str = "PUSHSEAL_AUTH_TOKEN";
/// Exit code when the server could not be used (network, TLS, login).
const EXIT_FAILED: u8 = 1;

/// TLS and timing options of the commands that go online.
#[derive(Args, Debug, Clone)]
pub struct NetArgs {
    /// Extra CA certificate(s), PEM, trusted besides the system's: for a
    /// server with a private CA.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Public-key pin: base64 SHA-256 of the server's SubjectPublicKeyInfo
    /// (leaf, intermediate or CA). Repeatable.
    #[arg(long = "pin", value_name = "BASE64")]
    pins: Vec<String>,
    /// Allow plain http to hosts other than loopback (never for real use).
    #[arg(long)]
    allow_http: bool,
    /// Give up after this many milliseconds (the whole operation, retries
    /// included).
    #[arg(long, value_name = "MS", default_value_t = 25_000)]
    deadline_ms: u64,
}

impl NetArgs {
    fn deadline(&self) -> Deadline {
        Deadline::after(Duration::from_millis(self.deadline_ms))
    }

    fn client(&self, store: Arc<dyn AccountStore>) -> Result<Client, String> {
        let extra_ca_pem = match &self.ca_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
            ),
            None => None,
        };
        let config = ClientConfig {
            extra_ca_pem,
            pins: self.pins.clone(),
            allow_http: self.allow_http,
            ..ClientConfig::default()
        };
        Client::new(config, store).map_err(|e| e.to_string())
    }
}

/// `pushseal login`: checks the user id and REST token with the server
/// once (`me`), then stores them for `server`. Nothing is stored when the
/// server refuses them.
pub fn login(
    location: &Location,
    server: &str,
    user_id: &str,
    net: &NetArgs,
) -> Result<ExitCode, String> {
    let server = normalize_server(server).map_err(|e| e.to_string())?;
    let token = secret_input(TOKEN_ENV, "auth token")?;
    let token = SecretString::from(token.as_str());
    // The check runs on an in-memory login, so the store is touched only
    // once the server has said yes.
    let mut keyring = Keyring::new();
    keyring
        .add_account(&server, user_id, None)
        .and_then(|()| keyring.set_auth_token(&server, token.clone()))
        .map_err(|e| e.to_string())?;
    let client = net.client(Arc::new(Mutex::new(keyring)))?;
    match client.check_login_blocking(&server, net.deadline()) {
        Ok(id) if id == user_id => {}
        Ok(id) => {
            errln!(
                "pushseal: the token belongs to user {id}, not {user_id}: run `pushseal login` again with --user-id {id}"
            );
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Err(Error::Unauthorized(_)) => {
            errln!(
                "pushseal: {server} refused this login (unauthorized): check --user-id and the auth token \
                 (a personal access token and the user id shown with it); nothing was stored"
            );
            return Ok(ExitCode::from(EXIT_FAILED));
        }
        Err(e) => return Ok(failed(&e, &server)),
    }
    let store = location.open(OpenMode::ReadWrite)?;
    store
        .set_account(&server, user_id)
        .and_then(|()| store.set_auth_token(&server, token))
        .and_then(|()| store.close())
        .map_err(|e| location.explain(e))?;
    outln!("logged in to {server} as {user_id}; the token is in the encrypted store");
    Ok(ExitCode::SUCCESS)
}

/// `pushseal unlock`: fetches the encrypted private key, unlocks it with
/// the E2E password and stores it.
pub fn unlock(location: &Location, server: &str, net: &NetArgs) -> Result<ExitCode, String> {
    let password = Password::from(secret_input(PASSWORD_ENV, "E2E password")?.as_str());
    let client = net.client(Arc::new(location.open(OpenMode::ReadWrite)?))?;
    if let Err(e) = client.unlock_blocking(server, &password, net.deadline()) {
        return Ok(failed(&e, server));
    }
    outln!("unlocked: the private key for {server} is in the encrypted store");
    Ok(ExitCode::SUCCESS)
}

/// `pushseal sync`: imports every room key of the account, old ones too.
/// Before `unlock` the keys stay wrapped, pending; the output says so.
pub fn sync(location: &Location, server: &str, net: &NetArgs) -> Result<ExitCode, String> {
    let store = Arc::new(location.open(OpenMode::ReadWrite)?);
    let client = net.client(store.clone())?;
    let report = match client.sync_blocking(server, net.deadline()) {
        Ok(report) => report,
        Err(e) => return Ok(failed(&e, server)),
    };
    warn_skipped(&report.import);
    outln!(
        "synced {server}: {} subscriptions, {} encrypted rooms, {} new room keys, {} skipped",
        report.subscriptions,
        report.encrypted_rooms,
        report.import.keys,
        report.import.skipped.len()
    );
    let normalized = normalize_server(server).map_err(|e| e.to_string())?;
    let account = store
        .info()
        .map_err(|e| location.explain(e))?
        .into_iter()
        .find(|a| a.server == normalized);
    if let Some(a) = account.filter(|a| !a.has_private_key && a.pending_keys > 0) {
        outln!(
            "{} room keys are pending: they are stored wrapped and become usable after `pushseal unlock --server {server}`",
            a.pending_keys
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `pushseal decrypt` with the store: offline first, then fetching what
/// the push lacks, as the extension would (the store is opened read-only,
/// so a fetched room key serves this push only).
pub fn decrypt(
    location: &Location,
    payload: &[u8],
    offline: bool,
    net: &NetArgs,
) -> Result<FetchOutcome, String> {
    let store = Arc::new(location.open(OpenMode::ReadOnly)?);
    // Matrix pushes are decrypted from the store (no Matrix fetch yet).
    let matrix = pushseal::detect_protocol(payload) == pushseal::Protocol::Matrix;
    if offline || matrix {
        return Ok(FetchOutcome::offline(pushseal::decrypt_from_store(
            payload, &store,
        )));
    }
    Ok(net
        .client(store)?
        .fetch_and_decrypt_blocking(payload, net.deadline()))
}

/// The decrypt output: the outcome plus whether anything was fetched.
pub fn print(result: &FetchOutcome, json: bool) {
    if json {
        let mut v = render::json(&result.outcome);
        v["fetched"] = result.fetched.into();
        v["room_key_fetched"] = result.room_key_fetched.into();
        outln!("{v}");
        return;
    }
    out!("{}", render::text(&result.outcome));
    match (result.fetched, result.room_key_fetched) {
        (true, true) => outln!("(message and room key fetched from the server)"),
        (true, false) => outln!("(message fetched from the server)"),
        (false, true) => outln!("(room key fetched from the server)"),
        (false, false) => {}
    }
}

/// A secret from the environment, else the first line of stdin. Never an
/// argument: arguments show up in `ps` and shell history.
fn secret_input(env: &str, what: &str) -> Result<Zeroizing<String>, String> {
    if let Ok(value) = std::env::var(env) {
        return Ok(Zeroizing::new(value));
    }
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the {what} from stdin: {e}"))?;
    let value = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if value.is_empty() {
        return Err(format!("no {what}: set ${env} or pass it on stdin"));
    }
    Ok(value)
}

/// A server-side failure, in words that say what to do next.
fn failed(e: &Error, server: &str) -> ExitCode {
    match e {
        Error::WrongPassword => errln!(
            "pushseal: wrong E2E password for {server}: the private key did not open and nothing \
             was stored; run `pushseal unlock --server {server}` again with the right one"
        ),
        Error::NotLoggedIn(_) | Error::UnknownServer(_) => errln!(
            "pushseal: not logged in to {server}: run `pushseal login --server {server} --user-id ID` first"
        ),
        Error::Unauthorized(_) => errln!(
            "pushseal: {e} (unauthorized): the server refused the stored login; \
             run `pushseal login --server {server} --user-id ID` again"
        ),
        _ => errln!(
            "pushseal: {e} ({})",
            pushseal::FailureReason::from(e).as_str()
        ),
    }
    ExitCode::from(EXIT_FAILED)
}
