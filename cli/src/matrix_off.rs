//! A CLI built without the `matrix` feature: Matrix keys files and
//! commands are refused by name, and nothing is mistaken for Matrix.

use std::path::Path;
use std::process::ExitCode;

use pushseal::net::FetchOutcome;

use crate::net::NetArgs;
use crate::store::Location;

const OFF: &str = "this pushseal was built without Matrix (the `matrix` feature)";

pub fn is_keys_file(bytes: &[u8]) -> bool {
    // Still recognised, so the refusal names the reason.
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.get("homeserver").is_some())
}

pub fn is_push(_bytes: &[u8]) -> bool {
    false
}

pub fn has_account(_location: &Location, _server: &str) -> bool {
    false
}

pub fn decrypt_with_keys(_path: &Path, _bytes: &[u8]) -> Result<FetchOutcome, String> {
    Err(OFF.into())
}

pub fn decrypt_from_store(
    _location: &Location,
    _bytes: &[u8],
    _offline: bool,
    _net: &NetArgs,
) -> Result<FetchOutcome, String> {
    Err(OFF.into())
}

pub fn import(_location: &Location, _path: &Path) -> Result<(), String> {
    Err(OFF.into())
}

pub fn login(
    _location: &Location,
    _server: &str,
    _user_id: &str,
    _device_id: &str,
    _net: &NetArgs,
) -> Result<ExitCode, String> {
    Err(OFF.into())
}

pub fn unlock(
    _location: &Location,
    _server: &str,
    _passphrase: bool,
    _net: &NetArgs,
) -> Result<ExitCode, String> {
    Err(OFF.into())
}

pub fn sync(_location: &Location, _server: &str, _net: &NetArgs) -> Result<ExitCode, String> {
    Err(OFF.into())
}

pub fn info(_store: &pushseal::store::Store) -> Result<Vec<serde_json::Value>, String> {
    Ok(Vec::new())
}

pub fn info_text(_accounts: &[serde_json::Value]) {}
