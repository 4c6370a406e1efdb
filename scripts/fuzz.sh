#!/usr/bin/env bash
# Coverage-guided fuzzing of the core's parsers with cargo-fuzz (libFuzzer).
# Targets and what they assert: docs/fuzzing.md.
#
#   scripts/fuzz.sh --ci              each target for a fixed number of runs
#                                     (CI); says it skipped when there is
#                                     no nightly toolchain, and exits 0
#   scripts/fuzz.sh [SECONDS]         each target in turn, SECONDS each
#                                     (default 600), one at a time
#   scripts/fuzz.sh TARGET [SECONDS]  one target
#
# Needs a nightly toolchain through rustup (`rustup toolchain install
# nightly`); installs cargo-fuzz when it is missing. Crashes land in
# fuzz/artifacts/TARGET/; the growing corpus in fuzz/corpus/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGETS=(push keys_file fetched store)
# Runs per target in CI: the store target opens a SQLCipher file twice per
# run, so it gets fewer.
declare -A CI_RUNS=([push]=2000 [keys_file]=2000 [fetched]=2000 [store]=300)
# A safety cap per target in CI, should a loaded machine make runs slow.
CI_MAX_SECONDS=60

ci=0
secs=600
only=()
for arg in "$@"; do
  case "$arg" in
    --ci) ci=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *[!0-9]*) only+=("$arg") ;;
    *) secs=$arg ;;
  esac
done
if ((${#only[@]})); then TARGETS=("${only[@]}"); fi

if ! command -v rustup >/dev/null || ! rustup run nightly rustc --version >/dev/null 2>&1; then
  if ((ci)); then
    echo "fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly to enable)"
    exit 0
  fi
  echo "fuzz: needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

# The fuzz crate is its own workspace with its own target dir (sanitizer
# builds must not share the main build's artifacts).
unset CARGO_BUILD_BUILD_DIR CARGO_TARGET_DIR

# Seeds are made from the committed vectors on every run, so they always
# fit the keys the targets load; the corpus dir keeps what libFuzzer finds.
seeds=$ROOT/fuzz/target/seeds
mkdir -p fuzz/target
rm -rf "$seeds" fuzz/target/ci-corpus
python3 fuzz/seeds.py "$seeds" >/dev/null

start=$(date +%s)
build=()
((${#TARGETS[@]} == 1)) && build=("${TARGETS[0]}")
if ! cargo +nightly fuzz build "${build[@]}" >fuzz/target/build.log 2>&1; then
  tail -40 fuzz/target/build.log
  echo "fuzz: build FAILED (fuzz/target/build.log)" >&2
  exit 1
fi
echo "fuzz: build took $(( $(date +%s) - start )) s"

summary=()
for t in "${TARGETS[@]}"; do
  # CI starts from the seeds alone, with a fixed random seed, so every CI
  # run does the same work however long the corpus has grown.
  corpus=$ROOT/fuzz/$( ((ci)) && echo target/ci-corpus || echo corpus)/$t
  mkdir -p "$corpus"
  # One process, in the foreground: libFuzzer's -jobs=1 would do the same
  # but send its output to ./fuzz-0.log.
  args=(-timeout=30 -rss_limit_mb=2048 -print_final_stats=1)
  [[ -f fuzz/json.dict && $t != store ]] && args+=("-dict=$ROOT/fuzz/json.dict")
  if ((ci)); then
    args+=("-runs=${CI_RUNS[$t]:-2000}" "-max_total_time=$CI_MAX_SECONDS" -seed=1)
  else
    args+=("-max_total_time=$secs")
  fi
  log=$ROOT/fuzz/target/fuzz-$t.log
  echo "==> fuzz $t: cargo +nightly fuzz run $t ${corpus#$ROOT/} fuzz/target/seeds/$t -- ${args[*]/$ROOT\//}"
  t0=$(date +%s)
  if ! cargo +nightly fuzz run "$t" "$corpus" "$seeds/$t" -- "${args[@]}" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t FAILED (log: $log, crash inputs: fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  runs=$( (grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" || echo '?') | grep -o '[0-9?]*$')
  cov=$( (grep -Eo 'DONE[[:space:]]+cov: [0-9]+ ft: [0-9]+' "$log" || true) | tail -1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+)/cov \1, ft \2/')
  line="$t: $runs runs in $(( $(date +%s) - t0 )) s, ${cov:-cov ?}, no crash"
  echo "fuzz: $line"
  summary+=("$line")
done
echo
echo "fuzz summary ($( ((ci)) && echo "CI: fixed runs per target" || echo "$secs s each")):"
printf '  %s\n' "${summary[@]}"
echo "fuzz: total $(( $(date +%s) - start )) s"
