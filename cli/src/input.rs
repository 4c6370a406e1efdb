//! Reading the CLI's inputs: keys files and payloads.

use std::io::Read;
use std::path::Path;

use pushseal::rocketchat::keys_file::PrivateKeySource;
use pushseal::rocketchat::{ImportReport, Keyring, KeysFile};
use pushseal::{limits, Error, Password};

/// The E2E password may come from the environment instead of the keys file,
/// so that keys files can be shared without it. When both are there, the
/// environment wins: it is the value given for this run, and it lets a user
/// retry a password without editing the file. A note says so.
pub const PASSWORD_ENV: &str = "PUSHSEAL_E2E_PASSWORD";

/// A keys file read and checked: every section present, and a password
/// available when the private key needs one.
pub struct CheckedKeys {
    pub file: KeysFile,
    pub password: Option<Password>,
    pub context: KeysContext,
}

/// What error messages about a keys file say: which file, and where the
/// password came from.
pub struct KeysContext {
    source: &'static str,
    label: String,
}

impl KeysContext {
    /// The message for an error while unlocking or importing this file.
    pub fn error(&self, e: &Error) -> String {
        match e {
            Error::WrongPassword => format!(
                "{}: wrong E2E password (the one from {}): the private key did not open",
                self.label, self.source
            ),
            other => format!("{}: {other}", self.label),
        }
    }
}

/// Reads and checks a keys file; errors name the file and the field.
pub fn read_keys(path: &Path) -> Result<CheckedKeys, String> {
    let label = format!("keys file {}", path.display());
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {label}: {e}"))?;
    check_keys(&bytes, label, password_from_env())
}

/// Checks a parsed keys file against the password at hand.
pub fn check_keys(
    bytes: &[u8],
    label: String,
    env_password: Option<Password>,
) -> Result<CheckedKeys, String> {
    let file = KeysFile::read(bytes).map_err(|e| format!("{label}: {e}"))?;
    let source = file.private_key.as_ref();
    let in_file = source.is_some_and(PrivateKeySource::has_password);
    let needs = source.is_some_and(PrivateKeySource::needs_password);
    let source = match (&env_password, in_file) {
        (Some(_), true) => {
            errln!("pushseal: using ${PASSWORD_ENV}, not the \"password\" in {label}");
            "$PUSHSEAL_E2E_PASSWORD"
        }
        (Some(_), false) => "$PUSHSEAL_E2E_PASSWORD",
        (None, true) => "its \"private_key\".\"password\" field",
        (None, false) if needs => {
            return Err(format!(
                "{label}: no E2E password to unlock \"private_key\".\"fetch_my_keys\": \
                 add a \"password\" field to \"private_key\", or set ${PASSWORD_ENV}"
            ))
        }
        (None, false) => "nowhere (the key is a JWK)",
    };
    Ok(CheckedKeys {
        file,
        password: env_password,
        context: KeysContext { source, label },
    })
}

pub fn keyring_from_file(path: &Path) -> Result<Keyring, String> {
    keyring(read_keys(path)?)
}

/// Unlocks the private key and unwraps every room key.
pub fn keyring(keys: CheckedKeys) -> Result<Keyring, String> {
    let CheckedKeys {
        file,
        password,
        context,
    } = keys;
    let (keyring, report) = file.into_keyring(password).map_err(|e| context.error(&e))?;
    warn_skipped(&report);
    Ok(keyring)
}

/// The E2E password from [`PASSWORD_ENV`], if set.
pub fn password_from_env() -> Option<Password> {
    std::env::var(PASSWORD_ENV).ok().map(Password::from)
}

/// Keys that could not be unwrapped are worth a line each; the import goes on.
pub fn warn_skipped(report: &ImportReport) {
    for skipped in &report.skipped {
        errln!(
            "pushseal: skipped key {:?} of room {} (the other keys are used): {}",
            skipped.key_id,
            skipped.rid,
            skipped.reason
        );
    }
}

/// Reads a payload from a file, or from standard input for `-`.
pub fn read_payload(arg: &str) -> Result<Vec<u8>, String> {
    let limit = limits::MAX_PUSH_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let read = if arg == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(arg).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("cannot read payload {arg}: {e}"))?;
    Ok(bytes)
}
