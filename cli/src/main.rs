//! `pushseal`: decrypt Rocket.Chat e2e pushes on a desktop, to debug what a
//! phone would show.

#[macro_use]
mod out;
mod demo;
mod input;
mod net;
mod render;
mod store;

#[cfg(not(all(feature = "rocketchat", feature = "fetch")))]
compile_error!("the pushseal CLI needs the `rocketchat` and `fetch` features");

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pushseal::net::FetchOutcome;
use pushseal::rocketchat::decrypt_push;

/// Exit code when no notification could be produced (failed or needs_fetch).
const EXIT_NO_NOTIFICATION: u8 = 3;
/// Exit code for bad arguments or unusable inputs (clap uses 2 as well).
const EXIT_USAGE: u8 = 2;

/// The exit codes, shown by `--help`; README.md lists the same.
const EXIT_CODES: &str = "\
Exit status:
  0    success; for decrypt: a notification to show (decrypted or not encrypted)
  1    login, unlock, sync: the server could not be used (network, TLS, refused
       login, wrong E2E password, timeout)
  2    bad arguments, or an input that cannot be used: keys file, key store,
       store key, a payload file that cannot be read, output that cannot be written
  3    decrypt: no notification (the push failed, even if it is not JSON, or it
       needs a fetch that --offline forbids or that failed)
  141  standard output was closed early (e.g. `pushseal demo | head -1`), the
       status a shell gives a program ended by SIGPIPE";

#[derive(Parser)]
#[command(
    name = "pushseal",
    version,
    about = "Decrypt end-to-end-encrypted Rocket.Chat push notifications",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where the key store and its key are; accepted before or after the command.
#[derive(Args, Clone, Default)]
struct StoreArgs {
    /// The encrypted key store [default: $XDG_DATA_HOME/pushseal/store.db].
    #[arg(long, value_name = "PATH")]
    store: Option<PathBuf>,
    /// File holding the store key as 64 hex digits [default: the store's
    /// path with .key]; created (mode 0600) with a new store, never for an
    /// existing one. $PUSHSEAL_STORE_KEY wins over it.
    #[arg(long, value_name = "PATH")]
    store_key_file: Option<PathBuf>,
}

impl StoreArgs {
    /// The command's own options win over those given before it.
    fn or(&self, before: &StoreArgs) -> StoreArgs {
        StoreArgs {
            store: self.store.clone().or_else(|| before.store.clone()),
            store_key_file: self
                .store_key_file
                .clone()
                .or_else(|| before.store_key_file.clone()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Decrypt one push payload (APNs body, FCM data, FCM v1 or bare ejson).
    #[command(after_help = EXIT_CODES)]
    Decrypt {
        /// Keys file: server, user_id, private_key and subscriptions (see
        /// README). Without it, the keys come from the store. The E2E
        /// password is $PUSHSEAL_E2E_PASSWORD if set, else the file's.
        #[arg(long, value_name = "KEYS.json")]
        keys: Option<PathBuf>,
        /// Print one JSON object instead of text (fields: see README).
        #[arg(long)]
        json: bool,
        /// Never contact the server, even when the push needs a fetch.
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        net: net::NetArgs,
        #[command(flatten)]
        store: StoreArgs,
        /// The push payload file, or - for standard input.
        #[arg(value_name = "PAYLOAD.json|-")]
        payload: String,
    },
    /// Store the REST login for a server, after checking it with the server
    /// (GET /api/v1/me): user id here, auth token from $PUSHSEAL_AUTH_TOKEN
    /// or the first line of stdin.
    #[command(after_help = EXIT_CODES)]
    Login {
        /// The Rocket.Chat server, e.g. https://chat.example.org.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Your user id (X-User-Id), shown with the personal access token.
        #[arg(long, value_name = "ID")]
        user_id: String,
        #[command(flatten)]
        net: net::NetArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Fetch the private key (e2e.fetchMyKeys), unlock it with the E2E
    /// password ($PUSHSEAL_E2E_PASSWORD or the first line of stdin) and
    /// store it; room keys pending since `sync` are unwrapped then.
    #[command(after_help = EXIT_CODES)]
    Unlock {
        /// The server given to `pushseal login`.
        #[arg(long, value_name = "URL")]
        server: String,
        #[command(flatten)]
        net: net::NetArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import every room key of the account (subscriptions.get), old ones
    /// too. Before `unlock` they are kept pending, still wrapped.
    #[command(after_help = EXIT_CODES)]
    Sync {
        /// The server given to `pushseal login`.
        #[arg(long, value_name = "URL")]
        server: String,
        #[command(flatten)]
        net: net::NetArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import a keys file into the store, creating the store (and its key
    /// file) if there is none.
    #[command(after_help = EXIT_CODES)]
    Import {
        /// Keys file: server, user_id, private_key and subscriptions (see
        /// README). The E2E password is $PUSHSEAL_E2E_PASSWORD if set, else
        /// the file's "password".
        #[arg(long, value_name = "KEYS.json")]
        keys: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Inspect or upgrade the key store.
    Store {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Walk through the bundled sample pushes (cli/demo/) and show what a
    /// phone would display. Offline; uses no store.
    Demo,
}

#[derive(Subcommand)]
enum StoreCommand {
    /// List accounts, rooms, key counts and pending keys (no secrets).
    #[command(after_help = EXIT_CODES)]
    Info {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Upgrade the store to this version's schema (opens it read-write once).
    #[command(after_help = EXIT_CODES)]
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let location = |own: &StoreArgs| {
        let args = own.or(&cli.store);
        store::Location::new(args.store, args.store_key_file)
    };
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
            store,
            payload,
        } => decrypt(
            keys.as_deref(),
            || location(store),
            *json,
            *offline,
            net,
            payload,
        ),
        Command::Login {
            server,
            user_id,
            net,
            store,
        } => online(location(store).and_then(|l| net::login(&l, server, user_id, net))),
        Command::Unlock { server, net, store } => {
            online(location(store).and_then(|l| net::unlock(&l, server, net)))
        }
        Command::Sync { server, net, store } => {
            online(location(store).and_then(|l| net::sync(&l, server, net)))
        }
        Command::Import { keys, store } => {
            done(location(store).and_then(|l| store::import(&l, keys)))
        }
        Command::Store {
            store: group,
            command: StoreCommand::Info { json, store },
        } => done(location(&store.or(group)).and_then(|l| store::info(&l, *json))),
        Command::Store {
            store: group,
            command: StoreCommand::Migrate { store },
        } => done(location(&store.or(group)).and_then(|l| store::migrate(&l))),
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
    errln!("pushseal: {message}");
    ExitCode::from(EXIT_USAGE)
}
