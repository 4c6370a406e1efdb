#!/usr/bin/env bash
# Compiles and runs both samples against the real libpushseal_ffi, without an
# Android SDK or Xcode:
#   android-sample/check   Maven: the sample and the Android flavour of the
#                          Kotlin bindings compiled against the real framework
#                          jar and androidx.core, animal-sniffer at minSdk 24
#                          (fatal), Robolectric tests of PushService
#   ios-sample             SwiftPM: the real NotificationService.swift in
#                          Swift 6 mode against stubs of the Apple frameworks,
#                          XCTest over vectors (Linux: in the Swift chroot)
# Installs what it needs (scripts/setup.sh --all: JDK, Maven, python3, the
# Swift chroot); Maven fetches its artifacts from Maven Central. Prints
# "android: N passed, N failed", "ios: ..." and "samples: ..."; any build or
# test failure fails the script.
#
#   scripts/check-samples.sh [--android | --ios]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd -P)"

run_android=true
run_ios=true
case "${1:-}" in
  --android) run_ios=false ;;
  --ios) run_android=false ;;
  "") ;;
  *) echo "usage: $0 [--android | --ios]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "setup, pushseal-ffi build and bindings"
scripts/setup.sh --all
scripts/generate-bindings.sh
lib_dir="$repo/target/debug"
logs="$repo/target/samples"
mkdir -p "$logs"
passed=0
failed=0
summary=()

if $run_android; then
  step "android-sample: mvn test (compile, animal-sniffer at API 24, Robolectric)"
  # clean: the generated bindings live outside the Maven tree, so Maven's
  # incremental build cannot tell when they changed.
  set +e
  (cd android-sample/check && mvn -B -ntp clean test -Dpushseal.lib.dir="$lib_dir") 2>&1 | tee "$logs/android.log"
  status=${PIPESTATUS[0]}
  set -e
  # Surefire's closing "Tests run: N, Failures: F, Errors: E, Skipped: S".
  read -r run fails errors < <(sed -n 's/^\[[A-Z]*\] Tests run: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\), Skipped: [0-9]*$/\1 \2 \3/p' "$logs/android.log" | tail -n 1) || true
  run=${run:-0} fails=${fails:-0} errors=${errors:-0}
  ok=$((run - fails - errors))
  bad=$((fails + errors))
  # A failed compile or API-level check runs no test: count it as a failure.
  if ((status != 0 && bad == 0)); then
    echo "android-sample: the build failed before its tests (see above: compile or animal-sniffer)" >&2
    bad=1
  fi
  ((run > 0 || bad > 0)) || { echo "android-sample: no tests ran" >&2; bad=1; }
  summary+=("android: $ok passed, $bad failed")
  passed=$((passed + ok))
  failed=$((failed + bad))
fi

if $run_ios; then
  step "ios-sample: swift test (Swift 6 mode, XCTest) via scripts/swift.sh"
  set +e
  PUSHSEAL_LIB_DIR="$lib_dir" LD_LIBRARY_PATH="$lib_dir" \
    scripts/swift.sh --chdir ios-sample -- test --disable-swift-testing 2>&1 | tee "$logs/ios.log"
  status=${PIPESTATUS[0]}
  set -e
  # XCTest's closing "Executed N tests, with F failures (U unexpected)".
  read -r run fails < <(sed -n 's/^[[:space:]]*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures.*/\1 \2/p' "$logs/ios.log" | tail -n 1) || true
  run=${run:-0} fails=${fails:-0}
  ok=$((run - fails))
  bad=$fails
  if ((status != 0 && bad == 0)); then
    echo "ios-sample: the build failed before its tests (see above: compile or concurrency errors)" >&2
    bad=1
  fi
  ((run > 0 || bad > 0)) || { echo "ios-sample: no tests ran" >&2; bad=1; }
  summary+=("ios: $ok passed, $bad failed")
  passed=$((passed + ok))
  failed=$((failed + bad))
fi

step "sample checks done in $(($(date +%s) - started)) s"
printf '%s\n' "${summary[@]}"
echo "samples: $passed passed, $failed failed"
((failed == 0))
