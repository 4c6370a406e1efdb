#!/usr/bin/env bash
# pushseal side by side with its peers and its limits, in one run:
#   - pushseal's warm path (room key in memory) on the 1,223-byte rc.v2 APNs
#     bench push: callgrind instructions per push, and wall time;
#   - the limit for that path: AES-256-GCM alone and a lean typed parse of
#     the container and ejson alone (same binary, same push);
#   - the same two instruction counts for the message in an FCM data map;
#   - the same chain in Node WebCrypto (bench/peers/webcrypto.mjs);
#   - openssl speed for AES-256-GCM and RSA-2048 private-key operations,
#     against pushseal's RSA-OAEP room-key unwrap (and WebCrypto's).
# Installs valgrind, Node and openssl with apt-get when they are missing.
# Wall-time figures are taken in ROUNDS interleaved rounds, so a busy
# machine slows every contender alike; each figure and ratio is printed as
# median (min..max) over the rounds. Instruction counts are steady under
# load and are taken CG_ROUNDS times.
#
# Usage: scripts/bench-peers.sh            (about 1 minute on 2 cores)
#        ROUNDS=9 CG_ROUNDS=1 scripts/bench-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
CG_ROUNDS=${CG_ROUNDS:-2}
CG_N=${CG_N:-5000}        # pushes per callgrind run (the set-up's RSA blinding varies by ~0.2 M instructions)
WALL_N=${WALL_N:-20000}    # pushes per wall-time run
RSA_N=${RSA_N:-100}        # unwraps per wall-time run

need() { command -v "$1" >/dev/null 2>&1; }
missing=()
need valgrind || missing+=(valgrind)
need node || missing+=(nodejs)
need openssl || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in node openssl cargo valgrind; do
  need "$tool" || { echo "bench-peers: $tool is required" >&2; exit 2; }
done

cargo build --release -q -p pushseal --example warm_push
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/examples/warm_push"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" dump "$work"
push_bytes=$(wc -c <"$work/push.json")

# Instructions of one callgrind run.
instr() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
# ns per iteration, from the example's output line.
wall() { "$bin" "$1" "$2" | sed -n 's/.*ns_per_iter=\([0-9]*\).*/\1/p'; }

# openssl speed: AES-256-GCM on a buffer the size of the bench ciphertext,
# and RSA-2048 private-key operations (an OAEP decrypt is one of these plus
# padding); both per operation in microseconds.
ct_bytes=496
openssl_aes_us() {
  openssl speed -seconds 1 -mr -evp aes-256-gcm -bytes "$ct_bytes" 2>/dev/null |
    awk -F: -v n="$ct_bytes" '/^\+F:/ {printf "%.4f\n", n / $4 * 1e6}'
}
openssl_rsa_us() {
  openssl speed -seconds 1 -mr rsa2048 2>/dev/null |
    awk -F: '/^\+F2:/ {printf "%.1f\n", 1e6 / $4}'
}

declare -A fig
add() { fig[$1]="${fig[$1]:-} $2"; }

echo "bench-peers: ${push_bytes}-byte push, $ROUNDS wall rounds, $CG_ROUNDS callgrind rounds" >&2
for ((r = 1; r <= CG_ROUNDS; r++)); do
  echo "  callgrind round $r" >&2
  setup=$(instr setup "$CG_N")
  for mode in full parse aes full-fcm parse-fcm; do
    add "cg_${mode/-/_}" "$(( ($(instr "$mode" "$CG_N") - setup) / CG_N ))"
  done
done
for ((r = 1; r <= ROUNDS; r++)); do
  echo "  wall round $r" >&2
  add wall_full "$(awk -v ns="$(wall full "$WALL_N")" 'BEGIN {printf "%.3f", ns / 1000}')"
  add wall_parse "$(awk -v ns="$(wall parse "$WALL_N")" 'BEGIN {printf "%.3f", ns / 1000}')"
  add wall_aes "$(awk -v ns="$(wall aes "$WALL_N")" 'BEGIN {printf "%.3f", ns / 1000}')"
  while read -r _ name us; do add "node_$name" "$us"; done \
    < <(node bench/peers/webcrypto.mjs tests/vectors/rocketchat.json "$work/push.json" "$work/room-key.hex" 4000 30)
  add ossl_aes "$(openssl_aes_us)"
  add rsa "$(awk -v ns="$(wall rsa "$RSA_N")" 'BEGIN {printf "%.1f", ns / 1000}')"
  add ossl_rsa "$(openssl_rsa_us)"
done

# min/median/max of a list of numbers.
spread() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {printf "%10.3f  (%.3f..%.3f)", a[int((NR+1)/2)], a[1], a[NR]}'; }
# Element-wise expression over the per-round lists, e.g. ratio a/(b+c).
per_round() {
  local expr=$1; shift
  local lists=()
  for k in "$@"; do lists+=("${fig[$k]}"); done
  awk -v expr="$expr" -v l1="${lists[0]}" -v l2="${lists[1]:-}" -v l3="${lists[2]:-}" 'BEGIN {
    n = split(l1, a, " "); split(l2, b, " "); split(l3, c, " ")
    for (i = 1; i <= n; i++) {
      if (expr == "a/(b+c)") v = a[i] / (b[i] + c[i])
      else if (expr == "b/a") v = b[i] / a[i]
      else v = a[i] / b[i]
      printf "%.3f ", v
    }
  }'
}
row() { printf '%-46s %s\n' "$1" "$(echo "$2" | spread)"; }

echo
echo "== figures: median (min..max) over rounds =="
row "pushseal warm push, instructions (callgrind)" "${fig[cg_full]}"
row "limit: lean parse only, instructions" "${fig[cg_parse]}"
row "limit: AES-256-GCM only, instructions" "${fig[cg_aes]}"
row "pushseal warm FCM data push, instructions" "${fig[cg_full_fcm]}"
row "limit: lean parse only (FCM), instructions" "${fig[cg_parse_fcm]}"
row "pushseal warm push, µs" "${fig[wall_full]}"
row "limit: lean parse only, µs" "${fig[wall_parse]}"
row "limit: AES-256-GCM only (RustCrypto), µs" "${fig[wall_aes]}"
row "limit: openssl speed aes-256-gcm ${ct_bytes} B, µs" "${fig[ossl_aes]}"
row "Node WebCrypto warm push, µs" "${fig[node_warm_push_us]}"
row "pushseal RSA-OAEP room-key unwrap, µs" "${fig[rsa]}"
row "openssl speed rsa2048 private op, µs" "${fig[ossl_rsa]}"
row "Node WebCrypto RSA-OAEP unwrap, µs" "${fig[node_rsa_oaep_unwrap_us]}"
echo
echo "== ratios: median (min..max) over rounds =="
row "warm / (AES + lean parse), instr. (want <= 1.5)" "$(per_round 'a/(b+c)' cg_full cg_aes cg_parse)"
row "  the same, FCM data push (want <= 1.5)" "$(per_round 'a/(b+c)' cg_full_fcm cg_aes cg_parse_fcm)"
row "warm / (AES + lean parse), wall" "$(per_round 'a/(b+c)' wall_full wall_aes wall_parse)"
row "WebCrypto / pushseal warm (want >= 10)" "$(per_round 'b/a' wall_full node_warm_push_us)"
row "RustCrypto AES-GCM / openssl AES-GCM" "$(per_round 'a/b' wall_aes ossl_aes)"
row "pushseal RSA / openssl RSA (want <= 3)" "$(per_round 'a/b' rsa ossl_rsa)"
row "pushseal RSA / WebCrypto RSA" "$(per_round 'a/b' rsa node_rsa_oaep_unwrap_us)"
