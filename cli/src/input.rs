//! Reading the CLI's inputs: keys files and payloads.

use std::io::Read;
use std::path::Path;

use pushseal::rocketchat::{ImportReport, Keyring, KeysFile};
use pushseal::{limits, Password};

/// The E2E password may come from the environment instead of the keys file,
/// so that keys files can be shared without it.
pub const PASSWORD_ENV: &str = "PUSHSEAL_E2E_PASSWORD";

pub fn keyring_from_file(path: &Path) -> Result<Keyring, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    keyring_from_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn keyring_from_bytes(bytes: &[u8]) -> Result<Keyring, String> {
    let file = KeysFile::parse(bytes).map_err(|e| e.to_string())?;
    let (keyring, report) = file
        .into_keyring(password_from_env())
        .map_err(|e| e.to_string())?;
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
        eprintln!(
            "pushseal: skipped key {:?} of room {}: {}",
            skipped.key_id, skipped.rid, skipped.reason
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
