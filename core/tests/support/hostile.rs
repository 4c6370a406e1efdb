//! The huge answers of issue 9 item 8, built from the vectors and served
//! by the fake server: one subscription with thousands of `oldRoomKeys`,
//! thousands of subscriptions, thousands of keys waiting for the private
//! key. Every wrapped key is a real one (RSA must run to reject or accept
//! it); copies differ in their listed id or their room.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::FakeServer;

/// The room whose vectors subscription carries a current and two old keys.
pub const ROOM: &str = "GrpProjectX0000a1";

fn room(v: &Value, rid: &str) -> Value {
    v["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rid"] == rid)
        .unwrap()
        .clone()
}

/// [`ROOM`] with `fillers` extra old keys listed before its real ones
/// (each a copy of its first old key under an id no message names).
pub fn room_with_old_keys(v: &Value, fillers: usize) -> Value {
    let mut r = room(v, ROOM);
    let sub = &mut r["subscription"];
    let real = sub["oldRoomKeys"].as_array().unwrap().clone();
    let mut old: Vec<Value> = (0..fillers)
        .map(|i| json!({"e2eKeyId": format!("filler-{i:05}"), "E2EKey": real[0]["E2EKey"], "ts": {"$date": 0}}))
        .collect();
    old.extend(real);
    sub["oldRoomKeys"] = Value::Array(old);
    r
}

/// `n` rooms whose subscriptions each carry [`ROOM`]'s current key.
pub fn many_rooms(v: &Value, n: usize) -> Vec<Value> {
    let template = room(v, ROOM);
    (0..n)
        .map(|i| {
            let rid = format!("BulkRoom{i:06}");
            let mut r = template.clone();
            r["rid"] = json!(rid);
            r["subscription"]["rid"] = json!(rid);
            r["subscription"]["_id"] = json!(format!("BulkSub{i:06}"));
            r["subscription"]["oldRoomKeys"] = json!([]);
            r
        })
        .collect()
}

/// The subscriptions of `rooms`, as a keys file or `subscriptions.get` lists them.
pub fn subscriptions_of(rooms: &[Value]) -> Vec<Value> {
    rooms.iter().map(|r| r["subscription"].clone()).collect()
}

/// A fixtures file for the fake server: the vectors with `rooms` instead
/// of theirs (messages and the device user unchanged).
pub fn fixtures(v: &Value, rooms: Vec<Value>, dir: &Path) -> PathBuf {
    let mut f = v.clone();
    f["rooms"] = Value::Array(rooms);
    let path = dir.join("fixtures.json");
    std::fs::write(&path, serde_json::to_vec(&f).unwrap()).unwrap();
    path
}

/// A plain-http fake server answering from `fixtures`.
pub fn server(fixtures: &Path) -> FakeServer {
    FakeServer::http(&["--fixtures", fixtures.to_str().unwrap()])
}
