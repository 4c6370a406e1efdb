//! What the CLI says when the key store or its key is not as expected:
//! each case names the real cause and the command or setting that fixes it,
//! and no key file is ever made for a store that exists.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn keys() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/keys-jwk.json")
}

fn push() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo/01-apns-rc.v2-gcm.json")
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "pushseal-cli-store-errors-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn store(&self) -> PathBuf {
        self.0.join("store.db")
    }

    fn key_file(&self) -> PathBuf {
        self.0.join("store.key")
    }

    /// pushseal on this folder's store, with no key or password from the
    /// environment.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pushseal"))
            .arg("--store")
            .arg(self.store())
            .args(args)
            .env_remove("PUSHSEAL_E2E_PASSWORD")
            .env_remove("PUSHSEAL_STORE_KEY")
            .env("XDG_DATA_HOME", self.0.join("data"))
            .output()
            .unwrap()
    }

    fn import(&self) -> Output {
        self.run(&["import", "--keys", keys().to_str().unwrap()])
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn decrypt(scratch: &Scratch) -> Output {
    scratch.run(&["decrypt", "--offline", push().to_str().unwrap()])
}

fn sha(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_missing_store_is_named_as_such_and_nothing_is_created() {
    let scratch = Scratch::new("missing");
    for args in [
        &["store", "info"][..],
        &["decrypt", push().to_str().unwrap()],
    ] {
        let out = scratch.run(args);
        assert_eq!(out.status.code(), Some(2));
        let said = stderr(&out);
        assert!(said.contains("no key store at"), "{said}");
        assert!(said.contains("pushseal import --keys"), "{said}");
        assert!(!said.contains("key file"), "not about the key: {said}");
    }
    assert!(scratch.files().is_empty(), "{:?}", scratch.files());
}

#[test]
fn a_missing_key_file_is_its_own_error_and_never_replaced() {
    let scratch = Scratch::new("nokey");
    assert!(scratch.import().status.success());
    let store_before = sha(&scratch.store());
    std::fs::remove_file(scratch.key_file()).unwrap();

    // Read-only and read-write commands alike: the error names the key
    // file and the variable, and no new key file appears.
    for out in [
        decrypt(&scratch),
        scratch.import(),
        scratch.run(&["store", "migrate"]),
    ] {
        assert_eq!(out.status.code(), Some(2));
        let said = stderr(&out);
        assert!(said.contains("exists but its key file"), "{said}");
        assert!(
            said.contains(scratch.key_file().to_str().unwrap()),
            "{said}"
        );
        assert!(said.contains("PUSHSEAL_STORE_KEY"), "{said}");
        assert!(!said.contains("created a new store key"), "{said}");
        assert!(!scratch.key_file().exists(), "a key file was made");
    }
    assert_eq!(sha(&scratch.store()), store_before, "the store was changed");
}

#[test]
fn a_damaged_store_is_not_blamed_on_the_key() {
    // Needs the store's Corrupt classification of truncated files; until
    // that lands SQLCipher's answer reads as a wrong key.
    let scratch = Scratch::new("truncated");
    assert!(scratch.import().status.success());
    let bytes = std::fs::read(scratch.store()).unwrap();
    assert!(bytes.len() >= 8192, "a store of several pages");
    std::fs::write(scratch.store(), &bytes[..bytes.len() / 2]).unwrap();
    let before = scratch.files();

    let out = scratch.run(&["store", "info"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("is damaged"), "{said}");
    assert!(said.contains("the store key is NOT the problem"), "{said}");
    assert!(!said.contains("wrong store key"), "{said}");
    assert_eq!(scratch.files(), before, "a read-only command left files");
}

#[test]
fn a_damaged_page_is_reported_as_damage_not_as_a_wrong_key() {
    let scratch = Scratch::new("page");
    assert!(scratch.import().status.success());
    let mut bytes = std::fs::read(scratch.store()).unwrap();
    assert!(bytes.len() >= 3 * 4096, "a store of several pages");
    // Inside the third page: the first page, and so the key check, is intact.
    for b in &mut bytes[2 * 4096 + 100..2 * 4096 + 200] {
        *b ^= 0xff;
    }
    std::fs::write(scratch.store(), &bytes).unwrap();
    let key_before = std::fs::read(scratch.key_file()).unwrap();

    let out = scratch.run(&["store", "info"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("is damaged"), "{said}");
    assert!(said.contains("the store key is NOT the problem"), "{said}");
    assert!(!said.contains("wrong store key"), "{said}");
    assert_eq!(std::fs::read(scratch.key_file()).unwrap(), key_before);
}

#[test]
fn read_only_commands_leave_no_files_next_to_the_store() {
    // The -wal/-shm part needs the store's read-only open without them.
    let scratch = Scratch::new("readonly");
    assert!(scratch.import().status.success());
    let before = scratch.files();
    assert!(scratch.run(&["store", "info"]).status.success());
    assert_eq!(decrypt(&scratch).status.code(), Some(0));
    assert_eq!(scratch.files(), before);
}

#[test]
fn an_empty_store_names_the_command_that_sets_it_up() {
    let scratch = Scratch::new("empty");
    std::fs::write(scratch.store(), b"").unwrap();
    let out = scratch.run(&["store", "info"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("is empty (0 bytes)"), "{said}");
    assert!(said.contains("pushseal store migrate"), "{said}");
    assert!(!said.contains("schema"), "{said}");

    // The named command works, and a key file is made for the new store.
    let out = scratch.run(&["store", "migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(scratch.key_file().exists());
    let out = scratch.run(&["store", "info"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no accounts"));
    assert!(scratch.import().status.success());
}

#[test]
fn a_wrong_key_still_says_wrong_key_and_where_it_came_from() {
    let scratch = Scratch::new("wrongkey");
    assert!(scratch.import().status.success());
    std::fs::write(scratch.key_file(), "ab".repeat(32)).unwrap();
    let out = scratch.run(&["store", "info"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(said.contains("wrong store key"), "{said}");
    assert!(
        said.contains(scratch.key_file().to_str().unwrap()),
        "{said}"
    );
}

#[test]
fn store_options_work_before_and_after_the_command() {
    let scratch = Scratch::new("placement");
    assert!(scratch.import().status.success());
    let real = scratch.store();
    let real = real.to_str().unwrap();
    let push = push();
    let push = push.to_str().unwrap();
    // Scratch::run puts a --store before the command; one after it wins.
    let elsewhere = Scratch::new("placement-elsewhere");
    for args in [
        &["store", "info", "--store", real][..],
        &["store", "--store", real, "info"],
        &["decrypt", "--offline", "--store", real, push],
    ] {
        let out = elsewhere.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    assert!(elsewhere.files().is_empty());
}
