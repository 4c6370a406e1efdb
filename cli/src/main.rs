//! `pushseal`: decrypt Rocket.Chat e2e pushes on a desktop, to debug what a
//! phone would show.

mod demo;
mod input;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decrypt one push payload (APNs body, FCM data, FCM v1 or bare ejson).
    Decrypt {
        /// Keys file: server, user_id, private_key and subscriptions.
        #[arg(long, value_name = "KEYS.json")]
        keys: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The push payload file, or - for standard input.
        #[arg(value_name = "PAYLOAD.json|-")]
        payload: String,
    },
    /// Walk through bundled sample pushes and show what a phone would display.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decrypt {
            keys,
            json,
            payload,
        } => decrypt(&keys, json, &payload),
        Command::Demo => demo::run(),
    }
}

fn decrypt(keys: &std::path::Path, json: bool, payload: &str) -> ExitCode {
    let keyring = match input::keyring_from_file(keys) {
        Ok(k) => k,
        Err(e) => return usage_error(&e),
    };
    let bytes = match input::read_payload(payload) {
        Ok(b) => b,
        Err(e) => return usage_error(&e),
    };
    let outcome = decrypt_push(&bytes, &keyring);
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
