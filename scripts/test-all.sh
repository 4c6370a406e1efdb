#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: Rust (with lints), Kotlin and Swift.
# Ends with one summary line per language, then the total alone on the last
# line ("N passed, N failed"), which CI reads.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=target/test-all
mkdir -p "$logs"

step() { printf '\n==> %s\n' "$*"; }

step "setup (scripts/setup.sh --all): installs only what is missing"
scripts/setup.sh --all

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy (the first run compiles everything: several minutes; cargo shows its progress)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (every crate; --no-fail-fast so the count covers all of them)"
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee "$logs/rust.log"
rust_status=${PIPESTATUS[0]}
set -e
# Sum every "test result: ok. N passed; M failed; …" line (one per test binary and doc-test run).
read -r rust_passed rust_failed < <(sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed;.*/\1 \2/p' "$logs/rust.log" |
  awk '{p += $1; f += $2} END {print p + 0, f + 0}')
# A crash or build failure has no result line: count it as a failure.
if ((rust_status != 0 && rust_failed == 0)); then rust_failed=1; fi
summary=("rust: $rust_passed passed, $rust_failed failed")
passed=$rust_passed
failed=$rust_failed

bindings_status=0
if [[ -x scripts/test-bindings.sh ]]; then
  set +e
  scripts/test-bindings.sh 2>&1 | tee "$logs/bindings.log"
  bindings_status=${PIPESTATUS[0]}
  set -e
  # test-bindings.sh prints "kotlin: N passed, N failed" and "swift: …".
  counted=0
  while read -r lang p f; do
    summary+=("$lang: $p passed, $f failed")
    passed=$((passed + p))
    failed=$((failed + f))
    counted=$((counted + 1))
  done < <(sed -n 's/^\(kotlin\|swift\): \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2 \3/p' "$logs/bindings.log")
  if ((bindings_status != 0 && counted == 0)); then
    summary+=("bindings: did not run to the end (see $logs/bindings.log)")
    failed=$((failed + 1))
  fi
fi

# Checks beyond the unit tests: each script passes or fails as a whole.
checks_passed=0
checks_failed=0
# check ID DESCRIPTION COMMAND...: the log goes to $logs/check-ID.log.
check() {
  local id=$1 description=$2
  shift 2
  step "$description ($*)"
  if "$@" 2>&1 | tee "$logs/check-$id.log"; [[ ${PIPESTATUS[0]} -eq 0 ]]; then
    checks_passed=$((checks_passed + 1))
  else
    echo "check failed: $description (log: $logs/check-$id.log)" >&2
    checks_failed=$((checks_failed + 1))
  fi
}
set +e
check matrix-vectors "Matrix vectors, re-verified with libolm" tests/vectors/matrix/check.sh
check features "each protocol alone, both offline, a Matrix-only FFI; no protocol in neutral modules" \
  scripts/check-features.sh
check samples "samples on the real library (android-sample, ios-sample, packaging)" \
  scripts/check-samples.sh
check android "Android-only Rust code type-checks (cargo check --target aarch64-linux-android)" \
  scripts/check-android.sh
check size "size gate: the stripped aarch64 phone library, both protocols + fetch, within 4,000,000 bytes" \
  scripts/size.sh --quick
check aarch64 "core tests built for aarch64 and run under qemu (the quick subset; the full run is scripts/test-aarch64.sh)" \
  scripts/test-aarch64.sh --quick
check deny "cargo deny: licences, bans, sources" scripts/deny.sh
# Skips with a message, and passes, where no nightly toolchain is installed.
check fuzz "fuzz targets, a fixed number of runs each (the first build takes minutes)" \
  scripts/fuzz.sh --ci
set -e
# check-samples.sh reports its parts as "android: …", "ios: …", "packaging: …";
# their tests count in the total, beside the check itself.
while read -r part p f; do
  summary+=("$part: $p passed, $f failed")
  passed=$((passed + p))
  failed=$((failed + f))
done < <(sed -n 's/^\(android\|ios\|packaging\): \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2 \3/p' "$logs/check-samples.log")
summary+=("checks: $checks_passed passed, $checks_failed failed")
passed=$((passed + checks_passed))
failed=$((failed + checks_failed))

step "summary"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
((rust_status == 0 && bindings_status == 0 && failed == 0))
