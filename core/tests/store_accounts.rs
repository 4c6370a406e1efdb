//! What the store keeps per account, and decryption from it: the same
//! outcomes as the in-memory keyring on every vector push.

mod store_support;

use pushseal::rocketchat::{decrypt_push, KeyLookup, KeysFile, UserPrivateKey};
use pushseal::store::{OpenMode, Store, StoreError, StoreKey};
use pushseal::{Error, Password};
use store_support::*;

fn open(dir: &TempDir) -> Store {
    Store::open(dir.db(), &StoreKey::generate(), OpenMode::ReadWrite).unwrap()
}

#[test]
fn every_vector_push_decrypts_as_with_the_keyring() {
    let v = vectors();
    let dir = TempDir::new("vectors");
    let store = seeded_store(&dir.db(), &StoreKey::generate(), &v);
    let keyring = device_keyring(&v);
    let pushes = v["pushes"].as_array().unwrap();
    for p in pushes {
        let bytes = serde_json::to_vec(&p["payload"]).unwrap();
        let (from_store, from_keyring) =
            (decrypt_push(&bytes, &store), decrypt_push(&bytes, &keyring));
        assert_eq!(from_store, from_keyring, "{}", p["id"]);
        assert_eq!(from_store.status(), p["expected"]["status"], "{}", p["id"]);
    }
    assert!(pushes.len() > 20);
}

#[test]
fn room_keys_match_the_keyring_and_keep_every_key_of_a_6x_kid() {
    let v = vectors();
    let dir = TempDir::new("6x-kid");
    let store = seeded_store(&dir.db(), &StoreKey::generate(), &v);
    let keyring = device_keyring(&v);
    for room in v["rooms"].as_array().unwrap() {
        let rid = room["rid"].as_str().unwrap();
        let mut ours = store.room_keys(SERVER, rid).unwrap();
        let mut theirs = keyring.room_keys(SERVER, rid).unwrap();
        let raw = |k: &pushseal::rocketchat::RoomKeyEntry| k.key.expose_raw().to_vec();
        ours.sort_by_key(raw);
        theirs.sort_by_key(raw);
        assert_eq!(ours, theirs, "{rid}");
        let ids: Vec<_> = room["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        let same_kid = ids.len() > 1 && ids.iter().all(|id| *id == ids[0]);
        if same_kid && room["wrapped_for"] == "device_user" {
            assert_eq!(
                ours.len(),
                ids.len(),
                "{rid}: every key of the shared kid is kept"
            );
            assert_eq!(
                ours.iter().filter(|k| k.current).count(),
                1,
                "{rid}: one current key"
            );
        }
    }
}

#[test]
fn reimport_runs_no_rsa_for_keys_already_unwrapped() {
    let v = vectors();
    let dir = TempDir::new("memo");
    let store = seeded_store(&dir.db(), &StoreKey::generate(), &v);
    // With another user's private key, every wrapped string would fail to
    // unwrap: an import that reports nothing skipped ran no RSA on them.
    let other = UserPrivateKey::from_jwk_object(&v["other_user"]["private_jwk"]).unwrap();
    store.set_private_key(SERVER, &other).unwrap();
    let subs = subscriptions(&v);
    let report = store.import_subscriptions(SERVER, &subs).unwrap();
    assert!(
        report.skipped.is_empty(),
        "only keys never unwrapped need RSA: {report:?}"
    );
    // The keys wrapped for the other user failed before, so they were not
    // remembered: this import unwrapped them.
    let for_other: usize = v["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["wrapped_for"] == "other_user")
        .map(|r| r["keys"].as_array().unwrap().len())
        .sum();
    assert!(for_other > 0);
    assert_eq!(report.keys, for_other);
}

#[test]
fn keys_wait_for_the_private_key() {
    let v = vectors();
    let dir = TempDir::new("pending");
    let store = open(&dir);
    store.set_account(SERVER, &device_user_id(&v)).unwrap();
    let rid = v["rooms"][0]["rid"].as_str().unwrap();
    assert_eq!(
        store.room_keys(SERVER, rid).unwrap_err(),
        Error::NoPrivateKey
    );
    let report = store
        .import_subscriptions(SERVER, &subscriptions(&v))
        .unwrap();
    assert_eq!((report.rooms, report.keys), (0, 0));
    assert_eq!(
        store.room_keys(SERVER, rid).unwrap_err(),
        Error::NoPrivateKey
    );
    let info = &store.info().unwrap()[0];
    assert!(info.pending_keys > 0 && info.rooms.is_empty());

    let report = store.set_private_key(SERVER, &device_key(&v)).unwrap();
    assert!(report.keys > 0);
    assert!(!store.room_keys(SERVER, rid).unwrap().is_empty());
    // Only the keys wrapped for someone else are still waiting.
    let info = &store.info().unwrap()[0];
    assert_eq!(info.pending_keys, report.skipped.len());
    for (id, push, body) in decrypted_pushes(&v) {
        assert_eq!(decrypt_push(&push, &store).display().1, body, "{id}");
    }
}

#[test]
fn accounts_are_isolated() {
    let v = vectors();
    let dir = TempDir::new("isolation");
    let store = seeded_store(&dir.db(), &StoreKey::generate(), &v);
    let other_server = "https://other.example.net";
    let rid = v["rooms"][0]["rid"].as_str().unwrap();
    store.set_account(other_server, "someone-else").unwrap();
    store
        .set_private_key(other_server, &device_key(&v))
        .unwrap();
    let fresh = FreshKey::new(&v, "other-kid");
    store
        .import_subscriptions(other_server, &[fresh.subscription(rid)])
        .unwrap();
    store
        .set_auth_token(other_server, "other-token".into())
        .unwrap();

    // The same room id on two servers: each server sees only its own keys.
    let here = store.room_keys(SERVER, rid).unwrap();
    let there = store.room_keys(other_server, rid).unwrap();
    assert_eq!(there.len(), 1);
    assert_eq!(there[0].key.expose_raw(), fresh.raw);
    assert!(here.iter().all(|k| k.key.expose_raw() != fresh.raw));
    let push = fresh.push(other_server, rid, "hello from elsewhere");
    assert_eq!(
        decrypt_push(&push, &store).display().1,
        "hello from elsewhere"
    );
    let misdirected = fresh.push(SERVER, rid, "x");
    assert_eq!(decrypt_push(&misdirected, &store).status(), "failed");
    assert_eq!(store.auth(SERVER).unwrap(), None);

    assert!(store.remove_account(other_server).unwrap());
    assert!(!store.remove_account(other_server).unwrap());
    assert_eq!(
        store.room_keys(other_server, rid).unwrap_err(),
        Error::UnknownServer(other_server.into())
    );
    assert_eq!(store.room_keys(SERVER, rid).unwrap(), here);
    assert_eq!(store.info().unwrap().len(), 1);
}

#[test]
fn a_new_user_on_a_server_replaces_the_old_ones_secrets() {
    let v = vectors();
    let dir = TempDir::new("new-user");
    let store = seeded_store(&dir.db(), &StoreKey::generate(), &v);
    store.set_auth_token(SERVER, "old-token".into()).unwrap();
    store.set_account(SERVER, &device_user_id(&v)).unwrap();
    assert!(
        store.auth(SERVER).unwrap().is_some(),
        "same user: nothing lost"
    );

    store.set_account(SERVER, "AnotherUser").unwrap();
    assert_eq!(store.auth(SERVER).unwrap(), None);
    assert!(store.private_key(SERVER).unwrap().is_none());
    let rid = v["rooms"][0]["rid"].as_str().unwrap();
    assert_eq!(
        store.room_keys(SERVER, rid).unwrap_err(),
        Error::NoPrivateKey
    );
}

#[test]
fn tokens_and_private_keys_round_trip() {
    let v = vectors();
    let dir = TempDir::new("round-trip");
    let store = open(&dir);
    assert_eq!(
        store.set_auth_token(SERVER, "t".into()).unwrap_err(),
        StoreError::UnknownAccount(SERVER.into())
    );
    store
        .set_account("https://CHAT.example.org/", "u1")
        .unwrap();
    store
        .set_auth_token("chat.example.org", "secret-token".into())
        .unwrap();
    assert_eq!(store.user_id(SERVER).unwrap().as_deref(), Some("u1"));
    assert_eq!(store.user_id("https://nowhere.example").unwrap(), None);
    let (user, token) = store.auth(SERVER).unwrap().unwrap();
    assert_eq!((user.as_str(), token.expose()), ("u1", "secret-token"));
    store.clear_auth_token(SERVER).unwrap();
    assert_eq!(store.auth(SERVER).unwrap(), None);

    let key = device_key(&v);
    store.set_private_key(SERVER, &key).unwrap();
    let back = store.private_key(SERVER).unwrap().unwrap();
    assert_eq!(back.public_modulus(), key.public_modulus());
    assert!(store
        .private_key("https://nowhere.example")
        .unwrap()
        .is_none());

    store.set_auth_token(SERVER, "secret-token".into()).unwrap();
    let shown = format!("{:?} {:?}", store.info().unwrap(), store);
    assert!(
        !shown.contains("secret-token")
            && !shown.contains(v["device_user"]["private_jwk"]["d"].as_str().unwrap())
    );
    assert!(shown.contains("has_auth_token: true"), "{shown}");
}

#[test]
fn keys_files_import_with_password_or_jwk() {
    let v = vectors();
    for (file, password) in [
        ("keys.json", None),
        ("keys-jwk.json", None),
        ("keys.json", Some("wrong")),
    ] {
        let dir = TempDir::new("keys-file");
        let store = open(&dir);
        let parsed = KeysFile::parse(&std::fs::read(vectors_dir().join(file)).unwrap()).unwrap();
        let result = store.import_keys_file(parsed, password.map(Password::from));
        if password.is_some() {
            assert_eq!(
                result.unwrap_err(),
                StoreError::Invalid(Error::WrongPassword)
            );
            assert!(
                store.info().unwrap().is_empty(),
                "nothing written before the unlock"
            );
            continue;
        }
        let report = result.unwrap();
        assert!(report.keys > 0, "{file}: {report:?}");
        for (id, push, body) in decrypted_pushes(&v) {
            assert_eq!(decrypt_push(&push, &store).display().1, body, "{file} {id}");
        }
        let again = KeysFile::parse(&std::fs::read(vectors_dir().join(file)).unwrap()).unwrap();
        assert_eq!(
            store.import_keys_file(again, None).unwrap().keys,
            0,
            "{file}: a second import adds nothing"
        );
    }
}

/// The private key lives in a table of its own that decryption never
/// reads: with that table gone, every push still decrypts, and only the
/// private key itself is missing.
#[test]
fn decryption_never_reads_the_private_key_table() {
    let v = vectors();
    let dir = TempDir::new("hot-path");
    let key = StoreKey::generate();
    seeded_store(&dir.db(), &key, &v).close().unwrap();
    raw_connection(&dir.db(), &key)
        .execute_batch("ALTER TABLE private_keys RENAME TO private_keys_elsewhere;")
        .unwrap();

    let nse = Store::open(dir.db(), &key, OpenMode::ReadOnly).unwrap();
    for (id, push, body) in decrypted_pushes(&v) {
        assert_eq!(decrypt_push(&push, &nse).display().1, body, "{id}");
    }
    assert!(nse.info().unwrap()[0].has_private_key);
    assert!(
        nse.private_key(SERVER).is_err(),
        "the key is only in that table"
    );
}
