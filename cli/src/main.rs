//! `pushseal`: decrypt Rocket.Chat e2e pushes on a desktop, to debug what a
//! phone would show.

mod demo;
mod input;
mod net;
mod render;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pushseal::net::FetchOutcome;
use pushseal::rocketchat::decrypt_push;

/// Exit code when no notification could be produced (failed or needs_fetch).
const EXIT_NO_NOTIFICATION: u8 = 3;
/// Exit code for bad arguments or unreadable inputs (clap uses 2 as well).
const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "pushseal",
    version,
    about = "Decrypt end-to-end-encrypted Rocket.Chat push notifications"
)]
struct Cli {
    /// The encrypted key store [default: $XDG_DATA_HOME/pushseal/store.db].
    #[arg(long, global = true, value_name = "PATH")]
    store: Option<PathBuf>,
    /// File holding the store key as 64 hex digits; created (mode 0600) by
    /// the first import. $PUSHSEAL_STORE_KEY wins over it.
    #[arg(long, global = true, value_name = "PATH")]
    store_key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decrypt one push payload (APNs body, FCM data, FCM v1 or bare ejson).
    Decrypt {
        /// Keys file: server, user_id, private_key and subscriptions.
        /// Without it, the keys come from the store.
        #[arg(long, value_name = "KEYS.json")]
        keys: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Never contact the server, even when the push needs a fetch.
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        net: net::NetArgs,
        /// The push payload file, or - for standard input.
        #[arg(value_name = "PAYLOAD.json|-")]
        payload: String,
    },
    /// Store the REST login for a server: user id here, auth token from
    /// $PUSHSEAL_AUTH_TOKEN or the first line of stdin.
    Login {
        #[arg(long, value_name = "URL")]
        server: String,
        #[arg(long, value_name = "ID")]
        user_id: String,
    },
    /// Fetch the private key (e2e.fetchMyKeys), unlock it with the E2E
    /// password ($PUSHSEAL_E2E_PASSWORD or stdin) and store it.
    Unlock {
        #[arg(long, value_name = "URL")]
        server: String,
        #[command(flatten)]
        net: net::NetArgs,
    },
    /// Import every room key of the account (subscriptions.get), old ones too.
    Sync {
        #[arg(long, value_name = "URL")]
        server: String,
        #[command(flatten)]
        net: net::NetArgs,
    },
    /// Import a keys file into the store (E2E password from the file or
    /// $PUSHSEAL_E2E_PASSWORD).
    Import {
        #[arg(long, value_name = "KEYS.json")]
        keys: PathBuf,
    },
    /// Inspect the key store.
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Walk through bundled sample pushes and show what a phone would display.
    Demo,
}

#[derive(Subcommand)]
enum StoreCommand {
    /// List accounts, rooms and key counts (no secrets).
    Info {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let location = || store::Location::new(cli.store.clone(), cli.store_key_file.clone());
    let done = |result: Result<(), String>| match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage_error(&e),
    };
    match &cli.command {
        Command::Decrypt {
            keys,
            json,
            offline,
            net,
            payload,
        } => decrypt(keys.as_deref(), location, *json, *offline, net, payload),
        Command::Login { server, user_id } => {
            online(location().and_then(|l| net::login(&l, server, user_id)))
        }
        Command::Unlock { server, net } => {
            online(location().and_then(|l| net::unlock(&l, server, net)))
        }
        Command::Sync { server, net } => {
            online(location().and_then(|l| net::sync(&l, server, net)))
        }
        Command::Import { keys } => done(location().and_then(|l| store::import(&l, keys))),
        Command::Store {
            command: StoreCommand::Info { json },
        } => done(location().and_then(|l| store::info(&l, *json))),
        Command::Demo => demo::run(),
    }
}

fn decrypt(
    keys: Option<&std::path::Path>,
    location: impl FnOnce() -> Result<store::Location, String>,
    json: bool,
    offline: bool,
    net: &net::NetArgs,
    payload: &str,
) -> ExitCode {
    // A keys file holds no login, so it decrypts offline; the store is
    // opened read-only and fetches what is missing, like the extension.
    let keyring = match keys.map(input::keyring_from_file).transpose() {
        Ok(k) => k,
        Err(e) => return usage_error(&e),
    };
    let bytes = match input::read_payload(payload) {
        Ok(b) => b,
        Err(e) => return usage_error(&e),
    };
    let result = match keyring {
        Some(keyring) => Ok(FetchOutcome {
            outcome: decrypt_push(&bytes, &keyring),
            fetched: false,
            room_key_fetched: false,
        }),
        None => location().and_then(|l| net::decrypt(&l, &bytes, offline, net)),
    };
    let result = match result {
        Ok(r) => r,
        Err(e) => return usage_error(&e),
    };
    net::print(&result, json);
    match result.outcome.notification() {
        Some(_) => ExitCode::SUCCESS,
        None => ExitCode::from(EXIT_NO_NOTIFICATION),
    }
}

/// Exit code of the online commands: theirs, or 2 for usage errors.
fn online(result: Result<ExitCode, String>) -> ExitCode {
    result.unwrap_or_else(|e| usage_error(&e))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("pushseal: {message}");
    ExitCode::from(EXIT_USAGE)
}
