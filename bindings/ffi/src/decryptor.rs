//! Decrypting pushes, and the account calls that need the server (unlock,
//! key sync), each async and blocking. Async calls run on a thread of their
//! own ([`crate::bridge`]); blocking calls run on the caller's thread, which
//! suits Android's `onMessageReceived` (already off the main thread).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
#[cfg(feature = "fetch")]
use std::time::Duration;
use std::time::Instant;

#[cfg(feature = "fetch")]
use pushseal::net::Deadline;
#[cfg(all(feature = "rocketchat", feature = "fetch"))]
use pushseal::rocketchat::{Client, SyncReport};
use pushseal::store::{OpenMode, Store};
use pushseal::{decrypt_from_store, FetchOutcome, Password};

#[cfg(all(feature = "rocketchat", feature = "fetch"))]
use crate::bridge::on_own_thread;
use crate::config::NetworkConfig;
use crate::error::PushsealError;
use crate::guard::guard;
use crate::logging::{log, LogLevel};
use crate::result::DecryptResult;
#[cfg(all(feature = "rocketchat", feature = "fetch"))]
use crate::store::{count, summary};
use crate::store::{PushStore, SyncSummary};

/// Longest budget accepted; longer ones are cut to this. No host has more
/// time than this for a push, and it keeps `Instant + budget` in range.
#[cfg(feature = "fetch")]
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// Decrypts pushes with the keys of one store, fetching from the server
/// only when the push alone is not enough. Cheap to share across threads.
#[derive(uniffi::Object)]
pub struct Decryptor {
    store: Arc<Store>,
    #[cfg(all(feature = "rocketchat", feature = "fetch"))]
    client: Client,
    #[cfg(all(feature = "matrix", feature = "fetch"))]
    http: pushseal::net::Http,
}

#[uniffi::export]
impl Decryptor {
    /// A decryptor with the default network settings.
    #[uniffi::constructor]
    pub fn new(store: Arc<PushStore>) -> Result<Arc<Self>, PushsealError> {
        Self::with_config(store, NetworkConfig::default())
    }

    /// Fails with `InvalidInput` for a CA PEM or pin that does not parse.
    #[uniffi::constructor]
    pub fn with_config(
        store: Arc<PushStore>,
        config: NetworkConfig,
    ) -> Result<Arc<Self>, PushsealError> {
        guard("create decryptor", || {
            let store = Arc::clone(&store.inner);
            #[cfg(all(feature = "matrix", feature = "fetch"))]
            let http = pushseal::net::Http::new(config.clone().core())
                .map_err(|e| PushsealError::InvalidInput(e.to_string()))?;
            // Only the settings can be wrong here (the core files a bad CA
            // under TLS); nothing has touched the network yet.
            #[cfg(all(feature = "rocketchat", feature = "fetch"))]
            let client = Client::new(config.core(), store.clone())
                .map_err(|e| PushsealError::InvalidInput(e.to_string()))?;
            #[cfg(not(feature = "fetch"))]
            let _ = config;
            Ok(Arc::new(Self {
                store,
                #[cfg(all(feature = "rocketchat", feature = "fetch"))]
                client,
                #[cfg(all(feature = "matrix", feature = "fetch"))]
                http,
            }))
        })
    }

    /// Decrypts `payload` (the push as JSON: APNs userInfo, FCM data map,
    /// FCM v1 message or bare ejson; or a Matrix push), fetching if needed,
    /// and returns within `timeout_ms` plus scheduling slack. Never
    /// `NeedsFetch` for Rocket.Chat. A Matrix push fetches its event and a
    /// missing session (key backup) with the account's stored token.
    pub async fn decrypt(&self, payload: String, timeout_ms: u64) -> DecryptResult {
        #[cfg(all(feature = "matrix", feature = "fetch"))]
        if self.fetches_matrix(&payload) {
            let (deadline, started) = (deadline(timeout_ms), Instant::now());
            let (store, http) = (Arc::clone(&self.store), self.http.clone());
            // The Matrix fetch blocks; it gets a thread of its own.
            let work = async move {
                DecryptResult::from(pushseal::matrix::fetch_with_store(
                    payload.as_bytes(),
                    &store,
                    &http,
                    deadline,
                ))
            };
            let result = crate::bridge::on_own_thread(work)
                .await
                .unwrap_or_else(|e| DecryptResult::internal(&e.to_string()));
            return logged(result, started);
        }
        #[cfg(all(feature = "rocketchat", feature = "fetch"))]
        if self.fetches(&payload) {
            let (deadline, started) = (deadline(timeout_ms), Instant::now());
            let client = self.client.clone();
            let work = async move {
                DecryptResult::from(client.fetch_and_decrypt(payload.as_bytes(), deadline).await)
            };
            let result = on_own_thread(work)
                .await
                .unwrap_or_else(|e| DecryptResult::internal(&e.to_string()));
            return logged(result, started);
        }
        let _ = timeout_ms;
        self.decrypt_offline(payload)
    }

    /// `decrypt` on the calling thread.
    pub fn decrypt_blocking(&self, payload: String, timeout_ms: u64) -> DecryptResult {
        #[cfg(all(feature = "matrix", feature = "fetch"))]
        if self.fetches_matrix(&payload) {
            let (deadline, started) = (deadline(timeout_ms), Instant::now());
            let result = guarded(|| {
                pushseal::matrix::fetch_with_store(
                    payload.as_bytes(),
                    &self.store,
                    &self.http,
                    deadline,
                )
                .into()
            });
            return logged(result, started);
        }
        #[cfg(all(feature = "rocketchat", feature = "fetch"))]
        if self.fetches(&payload) {
            let (deadline, started) = (deadline(timeout_ms), Instant::now());
            let result = guarded(|| {
                self.client
                    .fetch_and_decrypt_blocking(payload.as_bytes(), deadline)
                    .into()
            });
            return logged(result, started);
        }
        let _ = timeout_ms;
        self.decrypt_offline(payload)
    }

    /// Decrypts with the stored keys only: no network, no thread. Returns
    /// `NeedsFetch` for pushes that need the server. Rocket.Chat and
    /// Matrix pushes alike (`pushseal::decrypt_from_store`).
    pub fn decrypt_offline(&self, payload: String) -> DecryptResult {
        let started = Instant::now();
        let result = guarded(|| {
            FetchOutcome::offline(decrypt_from_store(payload.as_bytes(), &self.store)).into()
        });
        logged(result, started)
    }

    /// Fetches the account's private key (`e2e.fetchMyKeys`), unlocks it
    /// with the E2E password and stores it. Needs a read-write store.
    pub async fn unlock(
        &self,
        server: String,
        password: String,
        timeout_ms: u64,
    ) -> Result<(), PushsealError> {
        let password = Password::new(password);
        self.writable()?;
        #[cfg(all(feature = "rocketchat", feature = "fetch"))]
        {
            let deadline = deadline(timeout_ms);
            let client = self.client.clone();
            let done =
                on_own_thread(async move { client.unlock(&server, &password, deadline).await })
                    .await?;
            log(LogLevel::Info, || format!("unlock{}", outcome(&done)));
            Ok(done?)
        }
        #[cfg(not(all(feature = "rocketchat", feature = "fetch")))]
        {
            let _ = (server, password, timeout_ms);
            Err(crate::store::without("Rocket.Chat fetch"))
        }
    }

    pub fn unlock_blocking(
        &self,
        server: String,
        password: String,
        timeout_ms: u64,
    ) -> Result<(), PushsealError> {
        let password = Password::new(password);
        guard("unlock", || {
            self.writable()?;
            #[cfg(all(feature = "rocketchat", feature = "fetch"))]
            {
                let done = self
                    .client
                    .unlock_blocking(&server, &password, deadline(timeout_ms));
                log(LogLevel::Info, || format!("unlock{}", outcome(&done)));
                Ok(done?)
            }
            #[cfg(not(all(feature = "rocketchat", feature = "fetch")))]
            {
                let _ = (&server, &password, timeout_ms);
                Err(crate::store::without("Rocket.Chat fetch"))
            }
        })
    }

    /// Imports every room key of the account (`subscriptions.get`). For
    /// the app, not the extension: the list can be large.
    pub async fn sync_keys(
        &self,
        server: String,
        timeout_ms: u64,
    ) -> Result<SyncSummary, PushsealError> {
        self.writable()?;
        #[cfg(all(feature = "rocketchat", feature = "fetch"))]
        {
            let deadline = deadline(timeout_ms);
            let client = self.client.clone();
            let done = on_own_thread(async move { client.sync(&server, deadline).await }).await?;
            log(LogLevel::Info, || format!("key sync{}", outcome(&done)));
            Ok(sync_summary(&done?))
        }
        #[cfg(not(all(feature = "rocketchat", feature = "fetch")))]
        {
            let _ = (server, timeout_ms);
            Err(crate::store::without("Rocket.Chat fetch"))
        }
    }

    pub fn sync_keys_blocking(
        &self,
        server: String,
        timeout_ms: u64,
    ) -> Result<SyncSummary, PushsealError> {
        guard("sync keys", || {
            self.writable()?;
            #[cfg(all(feature = "rocketchat", feature = "fetch"))]
            {
                let done = self.client.sync_blocking(&server, deadline(timeout_ms));
                log(LogLevel::Info, || format!("key sync{}", outcome(&done)));
                Ok(sync_summary(&done?))
            }
            #[cfg(not(all(feature = "rocketchat", feature = "fetch")))]
            {
                let _ = (&server, timeout_ms);
                Err(crate::store::without("Rocket.Chat fetch"))
            }
        })
    }
}

impl Decryptor {
    /// Whether `payload` goes through Rocket.Chat's fetch-on-receipt:
    /// every push but a Matrix one.
    #[cfg(all(feature = "rocketchat", feature = "fetch"))]
    fn fetches(&self, payload: &str) -> bool {
        pushseal::detect_protocol(payload.as_bytes()) != pushseal::Protocol::Matrix
    }

    /// Whether `payload` is a Matrix push, fetched through the store's
    /// Matrix account.
    #[cfg(all(feature = "matrix", feature = "fetch"))]
    fn fetches_matrix(&self, payload: &str) -> bool {
        pushseal::detect_protocol(payload.as_bytes()) == pushseal::Protocol::Matrix
    }

    /// Refuses a write on a read-only store before any network or RSA work.
    fn writable(&self) -> Result<(), PushsealError> {
        match self.store.mode() {
            OpenMode::ReadWrite => Ok(()),
            OpenMode::ReadOnly => Err(PushsealError::StoreReadOnly),
        }
    }
}

#[cfg(feature = "fetch")]
fn deadline(timeout_ms: u64) -> Deadline {
    Deadline::after(Duration::from_millis(timeout_ms).min(MAX_TIMEOUT))
}

fn guarded(f: impl FnOnce() -> DecryptResult) -> DecryptResult {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| DecryptResult::internal(&crate::guard::panicked("decrypt").to_string()))
}

/// Logs the outcome (status, reason, what was fetched, time), never text.
fn logged(result: DecryptResult, started: Instant) -> DecryptResult {
    let ms = started.elapsed().as_millis();
    let status = result.status();
    match &result {
        DecryptResult::Failed {
            reason,
            detail,
            fields,
            ..
        } => log(LogLevel::Warn, || {
            format!(
                "push {status} in {ms} ms: {} ({detail}); fetched message {}, room key {}",
                reason.code(),
                fields.fetched,
                fields.room_key_fetched
            )
        }),
        DecryptResult::Decrypted { fields, .. }
        | DecryptResult::NotEncrypted { fields, .. }
        | DecryptResult::NeedsFetch { fields, .. } => log(LogLevel::Info, || {
            format!(
                "push {status} in {ms} ms; fetched message {}, room key {}",
                fields.fetched, fields.room_key_fetched
            )
        }),
    }
    result
}

#[cfg(all(feature = "rocketchat", feature = "fetch"))]
fn outcome<T>(done: &Result<T, pushseal::Error>) -> String {
    match done {
        Ok(_) => " done".to_owned(),
        Err(e) => format!(" failed: {e}"),
    }
}

#[cfg(all(feature = "rocketchat", feature = "fetch"))]
fn sync_summary(report: &SyncReport) -> SyncSummary {
    SyncSummary {
        subscriptions: count(report.subscriptions),
        encrypted_rooms: count(report.encrypted_rooms),
        import: summary(&report.import),
    }
}

#[cfg(all(test, feature = "fetch"))]
mod tests {
    use super::*;

    #[test]
    fn huge_budgets_are_capped_not_overflowed() {
        let d = deadline(u64::MAX);
        assert!(d.remaining() <= MAX_TIMEOUT);
        assert!(deadline(0).expired());
    }
}

#[cfg(all(test, feature = "matrix"))]
mod matrix_tests {
    use pushseal::matrix::sessions::import_sessions;
    use serde_json::Value;

    use super::*;
    use crate::store::StoreMode;

    fn vectors() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/vectors/matrix/matrix.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn payload(v: &Value, id: &str) -> String {
        let pushes = v["pushes"].as_array().unwrap();
        let push = pushes.iter().find(|p| p["id"] == id).unwrap();
        push["payload"].to_string()
    }

    /// A Matrix push decrypts through the same `Decryptor` calls as a
    /// Rocket.Chat one, from a store that has the session.
    #[test]
    fn a_matrix_push_decrypts_from_the_store() {
        let dir = std::env::temp_dir().join(format!("pushseal-ffi-mx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db").to_string_lossy().into_owned();
        let key = crate::store::generate_store_key();
        let v = vectors();
        let app = PushStore::open(path.clone(), key.clone(), StoreMode::ReadWrite).unwrap();
        app.inner
            .set_matrix_account(
                "https://matrix.example.org",
                "@bob:example.org",
                "PUSHSEALBOB",
            )
            .unwrap();
        let list = serde_json::to_vec(&v["store_sessions"]).unwrap();
        let sessions = import_sessions(&list).unwrap().sessions;
        app.inner
            .import_matrix_sessions("https://matrix.example.org", sessions)
            .unwrap();
        let listed = app.accounts().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].room_keys > 0);

        let nse = PushStore::open(path, key, StoreMode::ReadOnly).unwrap();
        let decryptor = Decryptor::new(nse).unwrap();
        let push = payload(&v, "fcm-data-text");
        for result in [
            decryptor.decrypt_offline(push.clone()),
            decryptor.decrypt_blocking(push, 5000),
        ] {
            let want = &v["pushes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == "fcm-data-text")
                .unwrap()["expected"];
            match result {
                DecryptResult::Decrypted {
                    title,
                    body,
                    fields,
                } => {
                    assert_eq!(title, "Project X");
                    assert_eq!(body.expose(), "Hi Bob, the build is green ✅");
                    let index = want["message_index"].as_u64().unwrap();
                    assert_eq!(fields.message_index.map(u64::from), Some(index));
                }
                other => panic!("not decrypted: {}", other.status()),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
