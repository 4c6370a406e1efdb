//! Every schema version migrates to the latest with Rocket.Chat's data
//! kept; a failed migration changes nothing; a newer schema is refused.
//! (Here because the data that must survive is Rocket.Chat's.)

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;

use crate::rocketchat::KeyLookup;
use crate::store::schema::{migrate_to, user_version};
use crate::store::{apply_key, OpenMode, Store, StoreError, StoreKey, SCHEMA_VERSION};

const SERVER: &str = "https://chat.example.org";

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pushseal-schema-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("store.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A keyed connection that has not been migrated by `Store::open`.
fn raw(scratch: &Scratch, key: &StoreKey) -> Connection {
    let conn = Connection::open(scratch.db()).unwrap();
    apply_key(&conn, key).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")
        .unwrap();
    conn
}

/// Data as an older pushseal wrote it at `version`.
fn seed(conn: &Connection, version: u32) {
    if version >= 1 {
        let jwk = device_jwk();
        let with_key = match version {
            1 | 2 => "INSERT INTO accounts (id, server, user_id, auth_token, private_jwk) VALUES (1, 'https://chat.example.org', 'u1', 'tok', ?1)",
            _ => "INSERT INTO accounts (id, server, user_id, auth_token, has_private_key) VALUES (1, 'https://chat.example.org', 'u1', 'tok', 1)",
        };
        match version {
            1 | 2 => conn.execute(with_key, [jwk.expose()]).unwrap(),
            _ => conn.execute(with_key, []).unwrap(),
        };
        if version >= 3 {
            conn.execute(
                "INSERT INTO private_keys (account_id, jwk) VALUES (1, ?1)",
                [jwk.expose()],
            )
            .unwrap();
        }
        conn.execute_batch(
            "
             INSERT INTO room_keys (id, account_id, rid, kid, fingerprint, algorithm, raw_key, current)
                 VALUES (7, 1, 'r1', 'eyJhbGciOiJB', x'00', 'A128CBC', zeroblob(16), 1);
             INSERT INTO pending_keys (account_id, rid, e2e_key, current) VALUES (1, 'r2', 'wrapped', 1);",
        )
        .unwrap();
    }
    if version >= 2 {
        conn.execute_batch(
            "INSERT INTO unwrapped_keys (account_id, rid, wrapped_hash, room_key_id) VALUES (1, 'r1', x'01', 7);",
        )
        .unwrap();
    }
}

/// The vectors' device user's private key, as `to_jwk` stores it.
fn device_jwk() -> crate::secret::SecretString {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/rocketchat.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    crate::rocketchat::UserPrivateKey::from_jwk_object(&v["device_user"]["private_jwk"])
        .unwrap()
        .to_jwk()
}

fn schema(conn: &Connection) -> Vec<(String, String)> {
    let mut stmt = conn
        .prepare("SELECT name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn every_version_migrates_to_the_latest_keeping_data() {
    let key = StoreKey::generate();
    let fresh = Scratch::new();
    Store::open(fresh.db(), &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();
    let want = schema(&raw(&fresh, &key));
    assert!(!want.is_empty());
    let key_for_rows = key.clone();
    for start in 0..SCHEMA_VERSION {
        let old = Scratch::new();
        let mut conn = raw(&old, &key);
        migrate_to(&mut conn, start).unwrap();
        seed(&conn, start);
        drop(conn);

        let store = Store::open(old.db(), &key, OpenMode::ReadWrite).unwrap();
        store.close().unwrap();
        let conn = raw(&old, &key);
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION, "from {start}");
        assert_eq!(schema(&conn), want, "from {start}");
        drop(conn);
        if start >= 1 {
            let store = Store::open(old.db(), &key, OpenMode::ReadOnly).unwrap();
            let keys = store.room_keys(SERVER, "r1").unwrap();
            assert_eq!((keys.len(), keys[0].current), (1, true), "from {start}");
            assert_eq!(store.auth(SERVER).unwrap().unwrap().1.expose(), "tok");
            assert_eq!(store.info().unwrap()[0].pending_keys, 1);
            assert!(store.info().unwrap()[0].has_private_key, "from {start}");
            let key = store.private_key(SERVER).unwrap().expect("kept");
            assert!(key.to_jwk() == device_jwk(), "from {start}");
            drop(store);
            // No account row holds the private key any more.
            let conn = raw(&old, &key_for_rows);
            let cols: Vec<String> = conn
                .prepare("SELECT name FROM pragma_table_info('accounts')")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                !cols.iter().any(|c| c == "private_jwk"),
                "from {start}: {cols:?}"
            );
        }
    }
}

#[test]
fn a_failed_migration_changes_nothing() {
    let key = StoreKey::generate();
    let scratch = Scratch::new();
    let mut conn = raw(&scratch, &key);
    migrate_to(&mut conn, 1).unwrap();
    seed(&conn, 1);
    // Something in the way of migration 2.
    conn.execute_batch("CREATE TABLE unwrapped_keys (x);")
        .unwrap();
    drop(conn);
    let err = Store::open(scratch.db(), &key, OpenMode::ReadWrite).unwrap_err();
    assert!(
        matches!(err, StoreError::Migration { version: 2, .. }),
        "{err:?}"
    );
    let conn = raw(&scratch, &key);
    assert_eq!(user_version(&conn).unwrap(), 1);
    let n: i64 = conn
        .query_row("SELECT count(*) FROM room_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_newer_schema_is_refused() {
    let key = StoreKey::generate();
    let scratch = Scratch::new();
    Store::open(scratch.db(), &key, OpenMode::ReadWrite)
        .unwrap()
        .close()
        .unwrap();
    raw(&scratch, &key)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    for mode in [OpenMode::ReadWrite, OpenMode::ReadOnly] {
        let err = Store::open(scratch.db(), &key, mode).unwrap_err();
        let want = StoreError::SchemaTooNew {
            found: SCHEMA_VERSION + 1,
            supported: SCHEMA_VERSION,
        };
        assert_eq!(err, want, "{mode:?}");
    }
}
