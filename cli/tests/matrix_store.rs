//! The real `pushseal` binary decrypts a Matrix push from a store that has
//! its session, through the same `decrypt` command as Rocket.Chat's.
#![cfg(feature = "matrix")]

use std::path::PathBuf;
use std::process::Command;

use pushseal::matrix::sessions::import_sessions;
use pushseal::store::{OpenMode, Store, StoreKey};
use serde_json::Value;

#[test]
fn a_matrix_push_decrypts_from_the_store() {
    let dir = std::env::temp_dir().join(format!("pushseal-cli-mx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let vectors =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/matrix/matrix.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(vectors).unwrap()).unwrap();

    let db = dir.join("store.db");
    let key = StoreKey::generate();
    let store = Store::open(&db, &key, OpenMode::ReadWrite).unwrap();
    store
        .set_matrix_account(
            "https://matrix.example.org",
            "@bob:example.org",
            "PUSHSEALBOB",
        )
        .unwrap();
    let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
    store
        .import_matrix_sessions(
            "https://matrix.example.org",
            import_sessions(&list).unwrap().sessions,
        )
        .unwrap();
    store.close().unwrap();

    let push = v["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "fcm-data-text")
        .unwrap();
    let push_file = dir.join("push.json");
    std::fs::write(&push_file, push["payload"].to_string()).unwrap();
    for offline in [false, true] {
        let mut args = vec!["--store", db.to_str().unwrap(), "decrypt", "--json"];
        if offline {
            args.push("--offline");
        }
        args.push(push_file.to_str().unwrap());
        let out = Command::new(env!("CARGO_BIN_EXE_pushseal"))
            .args(&args)
            .env("PUSHSEAL_STORE_KEY", key.to_hex().expose())
            .env("XDG_DATA_HOME", dir.join("data"))
            .output()
            .unwrap();
        let got: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        assert_eq!(out.status.code(), Some(0), "{got}");
        assert_eq!(got["status"], "decrypted", "{got}");
        assert_eq!(got["protocol"], "matrix", "{got}");
        assert_eq!(got["title"], "Project X", "{got}");
        assert_eq!(got["body"], "Hi Bob, the build is green ✅", "{got}");
        assert_eq!(got["fetched"], false, "{got}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
