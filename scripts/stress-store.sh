#!/usr/bin/env bash
# Stress and fault figures for the key store (issue 9, "Stress and faults"):
#   1. one writer and 4 reader processes on one store for 60 s;
#   2. 100 `kill -9` of a writer in mid-write;
#   3. a full disk on a small tmpfs (needs root to mount; skipped, with the
#      reason, otherwise).
# Prints operations, BUSY surfaced, acknowledged writes lost and damage;
# exits non-zero when any target (0 BUSY, 0 lost, 0 damaged) is missed.
# Usage: scripts/stress-store.sh [SECONDS] [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
kills=${2:-100}
cargo build --release -q -p pushseal --example store_stress
bin=${CARGO_TARGET_DIR:-target}/release/examples/store_stress
work=$(mktemp -d "${TMPDIR:-/tmp}/pushseal-stress.XXXXXX")
cleanup() {
    if mountpoint -q "$work/disk" 2>/dev/null; then umount "$work/disk"; fi
    rm -rf "$work"
}
trap cleanup EXIT

status=0
echo "== 1 writer + 4 readers, ${seconds} s"
"$bin" rw "$work/rw" "$seconds" 4 || status=1
echo "== ${kills} x kill -9 during writes"
"$bin" kill "$work/kill" "$kills" || status=1
echo "== full disk (2 MiB tmpfs)"
mkdir -p "$work/disk"
if mount -t tmpfs -o size=2m,mode=0700 tmpfs "$work/disk" 2>"$work/mount.err"; then
    "$bin" fulldisk "$work/disk" || status=1
else
    echo "SKIPPED: cannot mount a tmpfs: $(cat "$work/mount.err")"
fi
exit $status
