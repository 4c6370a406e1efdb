//! `pushseal demo`: the main job on the sample data in `cli/demo/`, offline:
//! Rocket.Chat pushes, then (with the `matrix` feature) Matrix ones.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pushseal::rocketchat::{decrypt_push, Push};

use crate::{input, render};

/// The sample keys file, made by tests/vectors/generate.mjs with WebCrypto.
const KEYS: &str = include_str!("../demo/keys.json");

/// The sample pushes: one file per container and message format.
const PUSHES: &[(&str, &str, &str)] = &[
    (
        "01-apns-rc.v2-gcm.json",
        "Group message on iOS (APNs), rc.v2 AES-GCM, text with colons",
        include_str!("../demo/01-apns-rc.v2-gcm.json"),
    ),
    (
        "02-fcm-data-rc.v1.json",
        "Direct message on Android (FCM legacy data), rc.v1",
        include_str!("../demo/02-fcm-data-rc.v1.json"),
    ),
    (
        "03-fcm-data-legacy-msg.json",
        "Legacy msg format from a 6.x server (DM, FCM data)",
        include_str!("../demo/03-fcm-data-legacy-msg.json"),
    ),
    (
        "04-apns-rc.v2-cbc.json",
        "rc.v2 label over AES-CBC: the room still uses its old 7.x key",
        include_str!("../demo/04-apns-rc.v2-cbc.json"),
    ),
    (
        "05-fcm-v1-rc.v2-gcm.json",
        "Android FCM HTTP v1 message, rc.v2 AES-GCM, markdown kept as written",
        include_str!("../demo/05-fcm-v1-rc.v2-gcm.json"),
    ),
    (
        "06-ejson-rc.v1.json",
        "Bare ejson (what a host app passes on), rc.v1, Unicode text",
        include_str!("../demo/06-ejson-rc.v1.json"),
    ),
    (
        "07-apns-old-room-key.json",
        "Message under a rotated-out room key (oldRoomKeys)",
        include_str!("../demo/07-apns-old-room-key.json"),
    ),
    (
        "08-apns-file.json",
        "File message",
        include_str!("../demo/08-apns-file.json"),
    ),
    (
        "09-apns-not-encrypted.json",
        "Not an encrypted message",
        include_str!("../demo/09-apns-not-encrypted.json"),
    ),
    (
        "10-apns-id-only.json",
        "Id-only push (privacy mode): the message must be fetched",
        include_str!("../demo/10-apns-id-only.json"),
    ),
    (
        "11-apns-tampered.json",
        "Tampered message: fails safely, no ciphertext shown",
        include_str!("../demo/11-apns-tampered.json"),
    ),
];

/// The Matrix sample: a keys file holding a key export (made with libolm by
/// tests/vectors/matrix/) and pushes in Sygnal's shapes.
#[cfg(feature = "matrix")]
const MATRIX_KEYS: &str = include_str!("../demo/matrix-keys.json");

#[cfg(feature = "matrix")]
const MATRIX_PUSHES: &[(&str, &str, &str)] = &[
    (
        "m01-fcm-data-matrix.json",
        "Matrix room message on Android (FCM data), Megolm",
        include_str!("../demo/m01-fcm-data-matrix.json"),
    ),
    (
        "m02-fcm-v1-matrix-thread.json",
        "Matrix thread reply in an FCM HTTP v1 message (content_* keys)",
        include_str!("../demo/m02-fcm-v1-matrix-thread.json"),
    ),
    (
        "m03-apns-id-only-matrix.json",
        "Matrix event_id_only push on iOS: the event must be fetched",
        include_str!("../demo/m03-apns-id-only-matrix.json"),
    ),
];

pub fn run() -> ExitCode {
    let protocols = if cfg!(feature = "matrix") {
        "Rocket.Chat and Matrix"
    } else {
        "Rocket.Chat"
    };
    outln!("pushseal demo: decrypting sample {protocols} pushes offline.\n");
    outln!("Unlocking the sample user's private key with the E2E password (PBKDF2)...");
    // The sample file carries its own password; a $PUSHSEAL_E2E_PASSWORD
    // meant for the user's own data must not be tried on it.
    let keyring = input::check_keys(KEYS.as_bytes(), "the demo keys file".into(), None)
        .and_then(input::keyring);
    let keyring = match keyring {
        Ok(k) => k,
        Err(e) => {
            errln!("pushseal: {e}");
            return ExitCode::FAILURE;
        }
    };
    outln!("Room keys unwrapped with RSA-OAEP; each push below is decrypted as a phone would.\n");
    for (i, (file, label, payload)) in PUSHES.iter().enumerate() {
        let container = Push::parse(payload.as_bytes())
            .map(|p| p.container.as_str())
            .unwrap_or("unreadable");
        outln!("── {}. {label} [{container}]  (cli/demo/{file})", i + 1);
        out!(
            "{}",
            render::text(&decrypt_push(payload.as_bytes(), &keyring))
        );
        outln!();
    }
    #[cfg(feature = "matrix")]
    if let Err(code) = matrix(PUSHES.len()) {
        return code;
    }
    outln!("The sample keys files and these pushes are in cli/demo/. Decrypt one yourself:");
    #[cfg(feature = "matrix")]
    outln!(
        "{} decrypt --keys {} {}",
        shell_word(&program()),
        shell_word(&data_path("matrix-keys.json").to_string_lossy()),
        shell_word(&data_path(MATRIX_PUSHES[0].0).to_string_lossy())
    );
    let (keys, push) = (data_path("keys.json"), data_path(PUSHES[0].0));
    outln!(
        "{} decrypt --keys {} {}",
        shell_word(&program()),
        shell_word(&keys.to_string_lossy()),
        shell_word(&push.to_string_lossy())
    );
    ExitCode::SUCCESS
}

/// The Matrix part, numbered on from `shown` pushes.
#[cfg(feature = "matrix")]
fn matrix(shown: usize) -> Result<(), ExitCode> {
    use crate::matrix::{load_bytes, memory_store, Secrets};
    use pushseal::matrix::decrypt_push as decrypt_matrix;

    outln!("Matrix: opening the sample Megolm key export with its passphrase (PBKDF2)...");
    let loaded = load_bytes(
        "the demo Matrix keys file",
        MATRIX_KEYS.as_bytes(),
        Secrets::FileOnly,
    )
    .map_err(|e| {
        errln!("pushseal: {e}");
        ExitCode::FAILURE
    })?;
    // The sample export holds one session of an algorithm pushseal rejects
    // on purpose; say so where the demo's reader looks.
    for note in &loaded.skipped {
        outln!("  {note}");
    }
    let mut sessions = memory_store(loaded);
    outln!("Room sessions imported; each push below is decrypted as a phone would.\n");
    for (i, (file, label, payload)) in MATRIX_PUSHES.iter().enumerate() {
        outln!("── {}. {label} [matrix]  (cli/demo/{file})", shown + i + 1);
        out!(
            "{}",
            render::text(&decrypt_matrix(payload.as_bytes(), &mut sessions))
        );
        outln!();
    }
    Ok(())
}

/// How this program was started, so the printed command runs as pasted.
fn program() -> String {
    std::env::args_os()
        .next()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "pushseal".into())
}

/// Single-quoted for a POSIX shell when it holds anything but plain
/// path characters.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A demo file as the user can reach it from here: relative inside the
/// repository root, else the path the build came from, else as in a clone.
fn data_path(file: &str) -> PathBuf {
    let relative = Path::new("cli/demo").join(file);
    if relative.is_file() {
        return relative;
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(file);
    if built.is_file() {
        return built;
    }
    relative
}
