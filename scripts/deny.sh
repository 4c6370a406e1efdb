#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (policy in deny.toml): licences,
# banned and duplicate crates, and sources (crates.io only).
#
#   scripts/deny.sh            licences, bans, sources (works offline)
#   scripts/deny.sh --all      also advisories (needs the RustSec database
#                              from github.com; see SECURITY.md)
#
# Installs cargo-deny when it is missing (`cargo install --locked
# cargo-deny`, about 4.5 minutes on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."

checks=(licenses bans sources)
[[ ${1:-} == --all ]] && checks+=(advisories)

if ! cargo deny --version >/dev/null 2>&1; then
  echo "deny: installing cargo-deny"
  start=$(date +%s)
  cargo install --locked cargo-deny
  echo "deny: cargo-deny installed in $(( $(date +%s) - start )) s"
fi
cargo deny --version
cargo deny check "${checks[@]}"
