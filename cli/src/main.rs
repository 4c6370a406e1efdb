//! `pushseal`: decrypt Rocket.Chat e2e pushes on a desktop, to debug what a
//! phone would show.

mod demo;
mod input;
mod render;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pushseal::rocketchat::{decrypt_push, KeyLookup};
use pushseal::store::OpenMode;

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
        /// The push payload file, or - for standard input.
        #[arg(value_name = "PAYLOAD.json|-")]
        payload: String,
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
            payload,
        } => decrypt(keys.as_deref(), location, *json, payload),
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
    payload: &str,
) -> ExitCode {
    // Like the notification extension: the store opened read-only.
    let source: Result<Box<dyn KeyLookup>, String> = match keys {
        Some(keys) => input::keyring_from_file(keys).map(|k| Box::new(k) as Box<dyn KeyLookup>),
        None => location()
            .and_then(|l| l.open(OpenMode::ReadOnly))
            .map(|s| Box::new(s) as Box<dyn KeyLookup>),
    };
    let keys = match source {
        Ok(k) => k,
        Err(e) => return usage_error(&e),
    };
    let bytes = match input::read_payload(payload) {
        Ok(b) => b,
        Err(e) => return usage_error(&e),
    };
    let outcome = decrypt_push(&bytes, keys.as_ref());
    if json {
        println!("{}", render::json(&outcome));
    } else {
        print!("{}", render::text(&outcome));
    }
    match outcome.notification() {
        Some(_) => ExitCode::SUCCESS,
        None => ExitCode::from(EXIT_NO_NOTIFICATION),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("pushseal: {message}");
    ExitCode::from(EXIT_USAGE)
}
