#!/usr/bin/env bash
# Builds libpushseal_ffi, generates the Kotlin and Swift bindings from it, and
# runs the binding tests against the real library: JUnit on the JVM (Maven)
# and XCTest (natively on macOS, in the Debian chroot on Linux; see
# scripts/swift.sh). Any failure fails the script. Needs a JDK 17+, Maven and
# python3 (the fake Rocket.Chat server); scripts/setup.sh --all installs them.
#
#   scripts/test-bindings.sh [--kotlin-only | --swift-only]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"

run_kotlin=true
run_swift=true
case "${1:-}" in
  --kotlin-only) run_swift=false ;;
  --swift-only) run_kotlin=false ;;
  "") ;;
  *) echo "usage: $0 [--kotlin-only | --swift-only]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "pushseal-ffi: build, unit tests (contract constants), generate bindings"
cargo test -q -p pushseal-ffi
scripts/generate-bindings.sh
lib_dir="$repo/target/debug"
logs="$repo/target/bindings"
passed=0
failed=0
summary=()

if $run_kotlin; then
  step "Kotlin: mvn -B test (JUnit 5 on the JVM, JNA loading $lib_dir/libpushseal_ffi)"
  # clean: the generated sources live outside the Maven tree, so Maven's
  # incremental build cannot tell when they changed.
  (cd bindings/kotlin && mvn -B -ntp clean test -Dpushseal.lib.dir="$lib_dir") | tee "$logs/kotlin.log"
  # Surefire's closing "Tests run: N, Failures: F, Errors: E, Skipped: S".
  read -r run fails errors < <(sed -n 's/^\[[A-Z]*\] Tests run: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\), Skipped: [0-9]*$/\1 \2 \3/p' "$logs/kotlin.log" | tail -n 1)
  ((run > 0)) || { echo "Kotlin: no tests ran" >&2; exit 1; }
  summary+=("kotlin: $((run - fails - errors)) passed, $((fails + errors)) failed")
  passed=$((passed + run - fails - errors))
  failed=$((failed + fails + errors))
fi

if $run_swift; then
  step "Swift: swift test (XCTest) via scripts/swift.sh"
  # --disable-swift-testing: the tests are XCTest; without it swift 6 ends
  # with the empty swift-testing run ("0 tests passed").
  # A target/ that links to a build dir outside the repository (one per
  # worktree) must be mounted in the chroot too.
  binds=()
  real_lib="$(cd "$lib_dir" && pwd -P)"
  [[ "$real_lib" == "$repo"/* ]] || binds=(--extra-bind "$real_lib")
  PUSHSEAL_LIB_DIR="$lib_dir" LD_LIBRARY_PATH="$lib_dir" \
    scripts/swift.sh --chdir bindings/swift ${binds[@]+"${binds[@]}"} -- test --disable-swift-testing 2>&1 | tee "$logs/swift.log"
  # XCTest's closing "Executed N tests, with F failures (U unexpected)"
  # (on stderr on macOS, hence 2>&1).
  read -r run fails < <(sed -n 's/^[[:space:]]*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures.*/\1 \2/p' "$logs/swift.log" | tail -n 1)
  ((run > 0)) || { echo "Swift: no tests ran" >&2; exit 1; }
  summary+=("swift: $((run - fails)) passed, $fails failed")
  passed=$((passed + run - fails))
  failed=$((failed + fails))
fi

step "binding tests done in $(($(date +%s) - started)) s"
# One line per language (scripts/test-all.sh reads them), then the sum.
((${#summary[@]})) && printf '%s\n' "${summary[@]}"
echo "bindings: $passed passed, $failed failed"
((failed == 0))
