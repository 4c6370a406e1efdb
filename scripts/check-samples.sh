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
#   packaging              where the NDK or Xcode is missing, package-aar.sh
#                          and package-xcframework.sh stop at once (status 3)
#                          with a message naming it, and delete nothing
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
run_packaging=true
case "${1:-}" in
  --android) run_ios=false run_packaging=false ;;
  --ios) run_android=false run_packaging=false ;;
  --packaging) run_android=false run_ios=false ;;
  "") ;;
  *) echo "usage: $0 [--android | --ios | --packaging]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

logs="$repo/target/samples"
mkdir -p "$logs"
passed=0
failed=0
summary=()
lib_dir="$repo/target/debug"
if $run_android || $run_ios; then
  step "setup, pushseal-ffi build and bindings"
  scripts/setup.sh --all
  scripts/generate-bindings.sh
fi

# One packaging case: SCRIPT run with ENV... must exit 3, say MESSAGE, and
# leave its output directory alone (the scripts empty it before building):
# the canary file in it survives, and nothing is added.
packaging_ok=0
packaging_bad=0
expect_early_stop() {
  local name="$1" message="$2" script="$3"
  shift 3
  local dir status
  dir="$(mktemp -d)"
  touch "$dir/canary"
  set +e
  env "$@" "$script" "$dir" >"$logs/packaging-$name.log" 2>&1
  status=$?
  set -e
  sed 's/^/    /' "$logs/packaging-$name.log"
  if ((status == 3)) && grep -qF -- "$message" "$logs/packaging-$name.log" && [[ "$(ls -A "$dir")" == canary ]]; then
    echo "  ok: $name"
    packaging_ok=$((packaging_ok + 1))
  else
    echo "  FAILED: $name (status $status; wanted 3, the message \"$message\", nothing built)" >&2
    packaging_bad=$((packaging_bad + 1))
  fi
  rm -rf "$dir"
}

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
  # A target/ that links to a build dir outside the repository must be
  # mounted in the chroot too (as in scripts/test-bindings.sh).
  binds=()
  real_lib="$(cd "$lib_dir" && pwd -P)"
  [[ "$real_lib" == "$repo"/* ]] || binds=(--extra-bind "$real_lib")
  set +e
  PUSHSEAL_LIB_DIR="$lib_dir" LD_LIBRARY_PATH="$lib_dir" \
    scripts/swift.sh --chdir ios-sample ${binds[@]+"${binds[@]}"} -- test --disable-swift-testing 2>&1 | tee "$logs/ios.log"
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

if $run_packaging; then
  step "packaging scripts stop early where the NDK or Xcode is missing"
  fake_ndk="$(mktemp -d)"
  mkdir -p "$fake_ndk/toolchains/llvm/prebuilt/linux-x86_64/bin"
  touch "$fake_ndk/toolchains/llvm/prebuilt/linux-x86_64/bin/clang"
  printf 'Pkg.Desc = Android NDK\nPkg.Revision = 25.2.9519653\n' >"$fake_ndk/source.properties"
  expect_early_stop aar-no-ndk "the Android NDK r26 or newer: install it" scripts/package-aar.sh \
    -u ANDROID_NDK_HOME -u ANDROID_NDK_ROOT
  expect_early_stop aar-not-an-ndk "is not an NDK" scripts/package-aar.sh ANDROID_NDK_HOME="$logs"
  expect_early_stop aar-old-ndk "is 25.2.9519653" scripts/package-aar.sh ANDROID_NDK_HOME="$fake_ndk"
  rm -rf "$fake_ndk"
  if [[ "$(uname -s)" != Darwin ]]; then
    expect_early_stop xcframework-not-macos "macOS: XCFrameworks are made by Xcode" scripts/package-xcframework.sh
  fi
  summary+=("packaging: $packaging_ok passed, $packaging_bad failed")
  passed=$((passed + packaging_ok))
  failed=$((failed + packaging_bad))
fi

step "sample checks done in $(($(date +%s) - started)) s"
printf '%s\n' "${summary[@]}"
echo "samples: $passed passed, $failed failed"
((failed == 0))
