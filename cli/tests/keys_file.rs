//! Keys-file errors name the file and the field, and say which setting
//! supplies a missing password; $PUSHSEAL_E2E_PASSWORD wins over the file's.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn demo(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("demo")
        .join(file)
}

fn keys() -> Value {
    serde_json::from_str(&std::fs::read_to_string(demo("keys.json")).unwrap()).unwrap()
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("pushseal-cli-keys-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, keys: &Value) -> PathBuf {
        let path = self.0.join("KEYS.json");
        std::fs::write(&path, keys.to_string()).unwrap();
        path
    }

    /// `decrypt --keys` and `import --keys` on the same file.
    fn both(&self, keys: &Value, env: &[(&str, &str)]) -> [Output; 2] {
        let path = self.write(keys);
        let path = path.to_str().unwrap();
        let push = demo("01-apns-rc.v2-gcm.json");
        let store = self.0.join("store.db");
        [
            run(&["decrypt", "--keys", path, push.to_str().unwrap()], env),
            run(
                &["--store", store.to_str().unwrap(), "import", "--keys", path],
                env,
            ),
        ]
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushseal"));
    cmd.args(args)
        .env_remove("PUSHSEAL_E2E_PASSWORD")
        .env_remove("PUSHSEAL_STORE_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_missing_section_exits_2_and_is_named() {
    let scratch = Scratch::new("sections");
    for field in ["server", "user_id", "private_key", "subscriptions"] {
        let mut k = keys();
        k.as_object_mut().unwrap().remove(field);
        for out in scratch.both(&k, &[]) {
            assert_eq!(out.status.code(), Some(2), "{field}: {}", stderr(&out));
            let said = stderr(&out);
            assert!(
                said.contains(&format!(
                    "keys file {}",
                    scratch.0.join("KEYS.json").display()
                )),
                "{said}"
            );
            assert!(
                said.contains(&format!("missing field \"{field}\"")),
                "{said}"
            );
            assert!(!said.contains("malformed payload"), "{said}");
        }
    }
    assert!(!scratch.0.join("store.db").exists(), "nothing imported");
}

#[test]
fn a_wrong_type_names_the_field() {
    let scratch = Scratch::new("types");
    let mut k = keys();
    k["server"] = Value::from(42);
    let [out, _] = scratch.both(&k, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("field \"server\": invalid type"),
        "{}",
        stderr(&out)
    );
    let mut k = keys();
    k["private_key"] = serde_json::json!({"pem": "x"});
    let [out, _] = scratch.both(&k, &[]);
    assert!(
        stderr(&out).contains("field \"private_key\": needs \"jwk\" or \"fetch_my_keys\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_password_names_both_settings() {
    let scratch = Scratch::new("nopw");
    let mut k = keys();
    k["private_key"].as_object_mut().unwrap().remove("password");
    for out in scratch.both(&k, &[]) {
        assert_eq!(out.status.code(), Some(2));
        let said = stderr(&out);
        assert!(said.contains("no E2E password"), "{said}");
        assert!(said.contains("\"password\" field"), "{said}");
        assert!(said.contains("PUSHSEAL_E2E_PASSWORD"), "{said}");
        assert!(!said.contains("unlock the account first"), "{said}");
    }
}

#[test]
fn the_environment_password_wins_over_the_file_and_says_so() {
    let scratch = Scratch::new("precedence");
    let k = keys();
    let right = k["private_key"]["password"].as_str().unwrap().to_owned();

    // The file's password is right, the environment's wrong: the
    // environment is used, and the error says where the password came from.
    for out in scratch.both(&k, &[("PUSHSEAL_E2E_PASSWORD", "not-it-either")]) {
        assert_eq!(out.status.code(), Some(2));
        let said = stderr(&out);
        assert!(
            said.contains("using $PUSHSEAL_E2E_PASSWORD, not the \"password\""),
            "{said}"
        );
        assert!(
            said.contains("wrong E2E password (the one from $PUSHSEAL_E2E_PASSWORD)"),
            "{said}"
        );
        assert!(!said.contains("not-it-either"), "{said}");
    }

    // The other way round: the environment's password opens the key.
    let mut wrong_in_file = k.clone();
    wrong_in_file["private_key"]["password"] = Value::from("stale-password");
    for out in scratch.both(&wrong_in_file, &[("PUSHSEAL_E2E_PASSWORD", &right)]) {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }

    // Without the environment, a wrong password in the file is named too.
    let [out, _] = scratch.both(&wrong_in_file, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("wrong E2E password (the one from its \"private_key\".\"password\" field)"),
        "{}",
        stderr(&out)
    );
}
