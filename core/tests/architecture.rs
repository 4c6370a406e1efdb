//! The seam's invariant (docs/architecture.md): no neutral module names a
//! protocol module. Only `core/src/protocols.rs` (and the crate root that
//! declares the modules) may.

use std::path::{Path, PathBuf};

const NEUTRAL: &[&str] = &[
    "net",
    "store",
    "outcome.rs",
    "error.rs",
    "limits.rs",
    "secret.rs",
    "server.rs",
];
const PROTOCOLS: &[&str] = &["rocketchat", "matrix"];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The lines of `source` that reach a protocol module by path, comments
/// aside.
fn protocol_references(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        for protocol in PROTOCOLS {
            let by_path = ["crate", "super", "pushseal", "self"]
                .iter()
                .any(|root| code.contains(&format!("{root}::{protocol}")));
            let declared = code.contains(&format!("mod {protocol}"));
            let imported = code.trim_start().starts_with(&format!("use {protocol}"));
            if by_path || declared || imported {
                found.push(line.trim().to_owned());
            }
        }
    }
    found
}

#[test]
fn the_scanner_sees_each_way_of_naming_a_protocol() {
    for line in [
        "use crate::rocketchat::KeyLookup;",
        "    crate::matrix::tables::before_rekey(tx)?;",
        "use super::super::rocketchat::Push;",
        "pub mod matrix;",
        "let x = pushseal::rocketchat::decrypt_push(b, &k);",
    ] {
        assert_eq!(protocol_references(line).len(), 1, "{line}");
    }
    for line in [
        "// crate::rocketchat is named in a comment only",
        "Self::RocketChat => \"rocketchat\",",
        "/// see [`crate::matrix`] docs",
    ] {
        assert!(protocol_references(line).is_empty(), "{line}");
    }
}

#[test]
fn neutral_modules_name_no_protocol_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for module in NEUTRAL {
        let path = src.join(module);
        assert!(
            path.exists(),
            "{} is gone: update this list",
            path.display()
        );
        rust_files(&path, &mut files);
    }
    assert!(files.len() > 10, "{files:?}");
    let mut offences = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for line in protocol_references(&source) {
            offences.push(format!("{}: {line}", file.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "neutral modules must reach protocols only through core/src/protocols.rs:\n{}",
        offences.join("\n")
    );
}
