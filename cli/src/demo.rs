//! `pushseal demo`: the main job on bundled sample data, offline.

use std::process::ExitCode;

use pushseal::rocketchat::{decrypt_push, Push};
use serde::Deserialize;
use serde_json::Value;

use crate::{input, render};

/// Sample keys and pushes, made by tests/vectors/generate.mjs with WebCrypto.
const SAMPLE: &str = include_str!("../demo/sample.json");

#[derive(Deserialize)]
struct Sample {
    keys: Value,
    pushes: Vec<SamplePush>,
}

#[derive(Deserialize)]
struct SamplePush {
    label: String,
    payload: Value,
}

pub fn run() -> ExitCode {
    let sample: Sample = match serde_json::from_str(SAMPLE) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pushseal: bundled sample is damaged: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("pushseal demo: decrypting sample Rocket.Chat pushes offline.\n");
    println!("Unlocking the sample user's private key with the E2E password (PBKDF2)...");
    let keyring = match input::keyring_from_bytes(sample.keys.to_string().as_bytes()) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("pushseal: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("Room keys unwrapped with RSA-OAEP; each push below is decrypted as a phone would.\n");
    for (i, push) in sample.pushes.iter().enumerate() {
        let bytes = push.payload.to_string();
        let container = Push::parse(bytes.as_bytes())
            .map(|p| p.container.as_str())
            .unwrap_or("unreadable");
        println!("── {}. {} [{container}]", i + 1, push.label);
        print!(
            "{}",
            render::text(&decrypt_push(bytes.as_bytes(), &keyring))
        );
        println!();
    }
    println!("Try it on your own data: pushseal decrypt --keys KEYS.json PAYLOAD.json");
    ExitCode::SUCCESS
}
