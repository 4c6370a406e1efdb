//! Output a newcomer meets first: the demo and its files, the help, and a
//! standard output closed early (never a panic).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn pushseal(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushseal"));
    cmd.args(args)
        .env_remove("PUSHSEAL_E2E_PASSWORD")
        .env_remove("PUSHSEAL_STORE_KEY")
        .env("RUST_BACKTRACE", "1");
    cmd
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs with stdout on a pipe whose reader is already gone, as after
/// `| head -1` has read its line and left.
fn with_closed_stdout(mut cmd: Command) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    cmd.stdout(writer).stderr(Stdio::piped());
    cmd.output().unwrap()
}

#[test]
fn a_closed_stdout_ends_quietly_with_141() {
    let scratch = std::env::temp_dir().join(format!("pushseal-cli-pipe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let store = scratch.join("s.db");
    let keys = repo().join("cli/demo/keys.json");
    let import = pushseal(&["--store", store.to_str().unwrap(), "import", "--keys"])
        .arg(&keys)
        .output()
        .unwrap();
    assert!(import.status.success(), "{:?}", text(&import));
    let push = repo().join("cli/demo/01-apns-rc.v2-gcm.json");
    let push = push.to_str().unwrap();
    let store = store.to_str().unwrap();
    let keys = keys.to_str().unwrap();
    let cases: [&[&str]; 4] = [
        &["demo"],
        &["--store", store, "store", "info"],
        &["decrypt", "--json", "--keys", keys, push],
        &["--store", store, "decrypt", "--offline", push],
    ];
    for args in cases {
        let out = with_closed_stdout(pushseal(args));
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(141), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
    // clap prints help itself; it must not panic either.
    let out = with_closed_stdout(pushseal(&["--help"]));
    assert!(!text(&out).1.contains("panicked"), "{}", text(&out).1);
    std::fs::remove_dir_all(scratch).ok();
}

#[test]
fn a_reader_that_stops_after_one_line_gets_no_panic() {
    let mut child = pushseal(&["demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    // 141 if it was still writing, 0 if it had already finished.
    assert!(
        matches!(out.status.code(), Some(141 | 0)),
        "{:?}",
        out.status
    );
    assert!(!text(&out).1.contains("panicked"), "{}", text(&out).1);
}

#[test]
fn the_demo_covers_every_container_and_warns_of_nothing() {
    let out = pushseal(&["demo"]).current_dir(repo()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "the demo warns: {stderr}");
    for container in ["[apns]", "[fcm-data]", "[fcm-v1]", "[ejson]"] {
        assert!(stdout.contains(container), "{container} missing:\n{stdout}");
    }
    for algorithm in [
        "rc.v2.aes-sha2+A256GCM",
        "rc.v2.aes-sha2+A128CBC",
        "rc.v1.aes-sha2",
        "legacy-msg",
    ] {
        assert!(stdout.contains(algorithm), "{algorithm} missing:\n{stdout}");
    }
    // Every push file shown is one the user can open.
    for line in stdout.lines().filter(|l| l.starts_with("── ")) {
        let file = line.rsplit("(").next().unwrap().trim_end_matches(')');
        assert!(repo().join(file).is_file(), "{file}");
    }
}

#[test]
fn the_demo_ends_with_a_command_that_works_as_printed() {
    let out = pushseal(&["demo"]).current_dir(repo()).output().unwrap();
    let (stdout, _) = text(&out);
    let last = stdout.lines().last().unwrap();
    let words: Vec<&str> = last.split_whitespace().collect();
    assert_eq!(words[0], env!("CARGO_BIN_EXE_pushseal"), "{last}");
    assert_eq!(&words[1..3], ["decrypt", "--keys"], "{last}");
    let ran = Command::new(words[0])
        .args(&words[1..])
        .current_dir(repo())
        .env_remove("PUSHSEAL_E2E_PASSWORD")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&ran);
    assert_eq!(ran.status.code(), Some(0), "{last}: {stderr}");
    assert!(stdout.contains("status:  decrypted"), "{stdout}");

    // From elsewhere, the printed paths still lead to the files.
    let elsewhere = pushseal(&["demo"])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let (stdout, _) = text(&elsewhere);
    let words: Vec<String> = stdout
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert!(PathBuf::from(&words[3]).is_file(), "{words:?}");
    assert!(PathBuf::from(&words[4]).is_file(), "{words:?}");
}

#[test]
fn the_demo_decrypts_the_matrix_samples_and_prints_a_matrix_command() {
    let out = pushseal(&["demo"])
        .env("PUSHSEAL_EXPORT_PASSPHRASE", "not the demo's passphrase")
        .current_dir(repo())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let matrix: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with(".json)") && l.contains("[matrix]"))
        .collect();
    assert_eq!(matrix.len(), 3, "{stdout}");
    // Each Matrix push shows what a phone would: two decrypted, the
    // event_id_only one waiting for its fetch.
    let after = |marker: &str| -> String {
        let start = stdout.find(marker).unwrap();
        stdout[start..]
            .lines()
            .skip(1)
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let m01 = after("(cli/demo/m01-fcm-data-matrix.json)");
    assert!(m01.contains("status:  decrypted with current key"), "{m01}");
    assert!(
        m01.contains("body:    Hi Bob, the build is green ✅"),
        "{m01}"
    );
    let m02 = after("(cli/demo/m02-fcm-v1-matrix-thread.json)");
    assert!(m02.contains("status:  decrypted"), "{m02}");
    assert!(m02.contains("body:    Replying in the thread 🧵"), "{m02}");
    let m03 = after("(cli/demo/m03-apns-id-only-matrix.json)");
    assert!(m03.contains("status:  needs fetch (id_only)"), "{m03}");

    // The Matrix command printed before the last line runs as printed.
    let lines: Vec<&str> = stdout.lines().collect();
    let command: Vec<&str> = lines[lines.len() - 2].split_whitespace().collect();
    assert!(command[3].ends_with("matrix-keys.json"), "{command:?}");
    let ran = Command::new(command[0])
        .args(&command[1..])
        .current_dir(repo())
        .env_remove("PUSHSEAL_EXPORT_PASSPHRASE")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&ran);
    assert_eq!(ran.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("Hi Bob, the build is green ✅"), "{stdout}");
}

#[test]
fn help_describes_every_option_and_lists_the_exit_codes() {
    let commands: [&[&str]; 9] = [
        &[],
        &["decrypt"],
        &["login"],
        &["unlock"],
        &["sync"],
        &["import"],
        &["store", "info"],
        &["store", "migrate"],
        &["demo"],
    ];
    for command in commands {
        let out = pushseal(&[command, &["--help"]].concat()).output().unwrap();
        let (help, _) = text(&out);
        assert!(out.status.success(), "{command:?}");
        // An option line without a description ends right after its name
        // and value name.
        for line in help.lines().filter(|l| l.trim_start().starts_with("--")) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let name = 1 + usize::from(words.get(1).is_some_and(|w| w.starts_with('<')));
            assert!(words.len() > name, "{command:?}: no description: {line}");
        }
        if command != ["demo"] {
            assert!(help.contains("Exit status:"), "{command:?}");
            assert!(help.contains("141"), "{command:?}");
        }
    }
    let (demo, _) = text(&pushseal(&["demo", "--help"]).output().unwrap());
    assert!(!demo.contains("--store"), "{demo}");
    // The store options still work before and after the command.
    let (login, _) = text(&pushseal(&["login", "--help"]).output().unwrap());
    assert!(login.contains("--store <PATH>"), "{login}");
    assert!(login.contains("--user-id <ID>  "), "{login}");
}

#[test]
fn a_push_that_is_not_json_is_a_failed_push_not_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("pushseal-cli-notjson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("push.txt");
    std::fs::write(&file, b"this is not json").unwrap();
    let keys = repo().join("cli/demo/keys.json");
    let out = pushseal(&["decrypt", "--json", "--keys"])
        .arg(&keys)
        .arg(&file)
        .output()
        .unwrap();
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(got["status"], "failed");
    assert_eq!(got["reason"], "malformed_payload");
    assert_eq!(got["fetched"], false, "with --keys nothing is fetched");
    // A payload file that cannot be read at all is an input error: 2.
    let out = pushseal(&["decrypt", "--keys"])
        .arg(&keys)
        .arg(dir.join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_output_that_cannot_be_written_exits_2_with_the_reason() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let out = pushseal(&["demo"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write to standard output"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
