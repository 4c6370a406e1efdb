//! The Matrix calls of [`PushStore`]: the account, Element key exports,
//! the host app's own sessions and the key backup. Every format and check
//! is the core's (`pushseal::matrix`); this file only maps types.

use pushseal::matrix::backup::{self, AccountData, BackupKey, BackupVersion, Unlock};
use pushseal::matrix::export::import_export;
use pushseal::matrix::sessions::{import_sessions, Import};
use pushseal::SecretString;
use zeroize::Zeroizing;

use crate::error::PushsealError;
use crate::guard::guard;
use crate::logging::{log, LogLevel};
use crate::store::{count, PushStore};

/// What a Matrix session import did. Skipped sessions are counted, not named.
#[derive(Debug, Clone, uniffi::Record)]
pub struct MatrixImportSummary {
    /// Usable sessions read from the export or list.
    pub sessions: u32,
    /// Distinct rooms those sessions belong to.
    pub rooms: u32,
    /// Entries that could not be used (another algorithm, a broken key).
    pub skipped: u32,
    /// Sessions written: new, or known before only from a later index.
    pub stored: u32,
}

/// The key backup the store can now read sessions from.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BackupUnlocked {
    /// The backup version the key belongs to (`version` of the JSON given).
    pub version: String,
}

#[uniffi::export]
impl PushStore {
    /// Adds the Matrix account for `homeserver`, or updates its user and
    /// device. The access token (optional) is used to fetch from the backup.
    pub fn set_matrix_account(
        &self,
        homeserver: String,
        user_id: String,
        device_id: String,
        access_token: Option<String>,
    ) -> Result<(), PushsealError> {
        let token = access_token.map(SecretString::new);
        guard("set Matrix account", || {
            self.inner
                .set_matrix_account(&homeserver, &user_id, &device_id)?;
            if let Some(token) = token {
                self.inner.set_auth_token(&homeserver, token)?;
            }
            Ok(())
        })
    }

    /// Imports an Element key export (`-----BEGIN MEGOLM SESSION DATA-----`)
    /// into the account for `homeserver`. The export is decrypted and
    /// checked before the store is written, so a wrong passphrase
    /// (`WrongPassword`) or a damaged file (`InvalidInput`) changes nothing.
    pub fn import_matrix_export(
        &self,
        homeserver: String,
        armoured: String,
        passphrase: String,
    ) -> Result<MatrixImportSummary, PushsealError> {
        let (armoured, passphrase) = (Zeroizing::new(armoured), Zeroizing::new(passphrase));
        guard("import Matrix key export", || {
            let import = import_export(&armoured, &passphrase)?;
            self.store_sessions(&homeserver, import)
        })
    }

    /// Imports sessions the host app already has, as the JSON list of an
    /// export's plaintext (`[{"algorithm", "room_id", "session_id",
    /// "session_key", …}]`). A list that does not parse is `InvalidInput`
    /// and changes nothing; unusable entries are counted as skipped.
    pub fn import_matrix_sessions(
        &self,
        homeserver: String,
        sessions_json: String,
    ) -> Result<MatrixImportSummary, PushsealError> {
        let json = Zeroizing::new(sessions_json);
        guard("import Matrix sessions", || {
            let import = import_sessions(json.as_bytes())?;
            self.store_sessions(&homeserver, import)
        })
    }

    /// Unlocks the key backup with a recovery key and stores the backup
    /// key. `version_json` is the host's `GET /room_keys/version` answer;
    /// `secret_storage_json` (optional) is the account data holding the
    /// secret-storage events, so the recovery key may be the secret-storage
    /// key Element shows. A key that does not open this backup is
    /// `WrongPassword`; one that does not parse is `InvalidInput`.
    pub fn unlock_matrix_backup(
        &self,
        homeserver: String,
        version_json: String,
        recovery_key: String,
        secret_storage_json: Option<String>,
    ) -> Result<BackupUnlocked, PushsealError> {
        let recovery_key = Zeroizing::new(recovery_key);
        guard("unlock Matrix backup", || {
            let version = parse_version(&version_json)?;
            let data = secret_storage_json
                .as_deref()
                .map(|json| {
                    serde_json::from_str::<AccountData>(json)
                        .map_err(|e| json_error("secret-storage account data", &e))
                })
                .transpose()?;
            let (key, via) =
                backup::unlock(&version, data.as_ref(), Unlock::RecoveryKey(&recovery_key))?;
            self.store_backup(&homeserver, &key, &version, via.as_str())
        })
    }

    /// Stores the raw backup key (unpadded base64, as secret storage holds
    /// it) after checking it against the backup's public key.
    pub fn set_matrix_backup_key(
        &self,
        homeserver: String,
        version_json: String,
        backup_key_base64: String,
    ) -> Result<BackupUnlocked, PushsealError> {
        let text = Zeroizing::new(backup_key_base64);
        guard("set Matrix backup key", || {
            let version = parse_version(&version_json)?;
            let key = BackupKey::from_base64(&text)?;
            key.verify(&version)?;
            self.store_backup(&homeserver, &key, &version, "backup_key")
        })
    }
}

impl PushStore {
    fn store_sessions(
        &self,
        homeserver: &str,
        import: Import,
    ) -> Result<MatrixImportSummary, PushsealError> {
        let (sessions, rooms, skipped) = (
            count(import.sessions.len()),
            count(import.room_count()),
            count(import.skipped.len()),
        );
        let done = self
            .inner
            .import_matrix_sessions(homeserver, import.sessions)?;
        log(LogLevel::Info, || {
            format!(
                "Matrix sessions imported: {sessions} in {rooms} rooms, {skipped} skipped, \
                 {} stored",
                done.stored
            )
        });
        Ok(MatrixImportSummary {
            sessions,
            rooms,
            skipped,
            stored: count(done.stored),
        })
    }

    fn store_backup(
        &self,
        homeserver: &str,
        key: &BackupKey,
        version: &BackupVersion,
        via: &str,
    ) -> Result<BackupUnlocked, PushsealError> {
        self.inner
            .set_matrix_backup(homeserver, key.secret(), &version.version)?;
        log(LogLevel::Info, || {
            format!(
                "Matrix key backup version {} unlocked ({via})",
                version.version
            )
        });
        Ok(BackupUnlocked {
            version: version.version.clone(),
        })
    }
}

fn parse_version(json: &str) -> Result<BackupVersion, PushsealError> {
    serde_json::from_str(json).map_err(|e| json_error("backup version", &e))
}

/// Where the JSON is wrong, never what it holds.
fn json_error(what: &str, e: &serde_json::Error) -> PushsealError {
    PushsealError::InvalidInput(format!(
        "malformed {what} at line {} column {}",
        e.line(),
        e.column()
    ))
}

#[cfg(test)]
mod tests {
    use pushseal::matrix::Error as M;

    use super::*;
    use crate::store::{generate_store_key, StoreMode};

    const HS: &str = "https://matrix.example.org";

    #[test]
    fn matrix_key_errors_are_typed() {
        for wrong in [M::BadPassphrase, M::PublicKeyMismatch] {
            assert!(matches!(
                PushsealError::from(wrong),
                PushsealError::WrongPassword
            ));
        }
        for bad in [
            M::BadArmour("too short"),
            M::BadRecoveryKey("not base58"),
            M::UnsupportedAlgorithm("x".into()),
        ] {
            assert!(matches!(
                PushsealError::from(bad),
                PushsealError::InvalidInput(_)
            ));
        }
    }

    #[test]
    fn the_account_keeps_its_token_and_bad_json_names_no_content() {
        let dir = std::env::temp_dir().join(format!("pushseal-ffi-mxacc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.db").to_string_lossy().into_owned();
        let store = PushStore::open(path, generate_store_key(), StoreMode::ReadWrite).unwrap();
        store
            .set_matrix_account(
                HS.into(),
                "@bob:example.org".into(),
                "DEV".into(),
                Some("syt_secret_token".into()),
            )
            .unwrap();
        let listed = store.accounts().unwrap();
        assert!(listed[0].has_auth_token && !listed[0].has_private_key);

        let err = store
            .unlock_matrix_backup(
                HS.into(),
                "{\"algorithm\": \"hidden-value\"".into(),
                "EsTr".into(),
                None,
            )
            .unwrap_err();
        assert!(matches!(err, PushsealError::InvalidInput(ref m) if !m.contains("hidden-value")));
        let err = store
            .import_matrix_sessions(HS.into(), "[{\"session_key\": 7}]".into())
            .unwrap_err();
        assert!(matches!(err, PushsealError::InvalidInput(_)), "{err:?}");
        // Sessions for an account the store does not have.
        let err = store
            .import_matrix_sessions("https://other.example".into(), "[]".into())
            .unwrap_err();
        assert!(matches!(err, PushsealError::UnknownAccount(_)), "{err:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
