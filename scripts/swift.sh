#!/usr/bin/env bash
# Runs swift on this repository, natively where swift exists (macOS), else
# inside the Debian trixie chroot made by scripts/swift-toolchain.sh.
#
#   scripts/swift.sh [--chdir DIR] [--extra-bind PATH]... [--] SWIFT_ARGS...
#   scripts/swift.sh --chdir bindings/swift -- test
#
#   --chdir DIR        directory to run swift in; relative to the repository root
#                      (default: the current directory; in the chroot, the
#                      repository root if the current directory is not visible)
#   --extra-bind PATH  also make PATH (outside the repository) visible in the
#                      chroot at the same absolute path; may be repeated
#
# In the chroot the repository appears at its host path, so absolute paths in
# LD_LIBRARY_PATH or linker flags (e.g. to the host's target/ dir) work as is.
# Passed into the chroot: PUSHSEAL_*, LD_LIBRARY_PATH, CI, TERM, NO_COLOR.
# The exit status is swift's. See docs/swift-on-linux.md.
set -euo pipefail

self_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
self="$self_dir/$(basename "${BASH_SOURCE[0]}")"
repo="$(cd "$self_dir/.." && pwd -P)"
orig_args=("$@")

log() { printf '[swift.sh] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() { sed -n '2,/^set -euo/p' "$self" | sed -e '$d' -e 's/^# \{0,1\}//'; }

chdir=""
binds=()
while (($#)); do
  case "$1" in
    --chdir) (($# >= 2)) || die "--chdir needs a directory"; chdir="$2"; shift 2 ;;
    --chdir=*) chdir="${1#*=}"; shift ;;
    --extra-bind) (($# >= 2)) || die "--extra-bind needs a path"; binds+=("$2"); shift 2 ;;
    --extra-bind=*) binds+=("${1#*=}"); shift ;;
    -h | --help) usage; exit 0 ;;
    --) shift; break ;;
    *) break ;; # the first unknown word starts swift's own arguments
  esac
done

if [[ -n "$chdir" ]]; then
  [[ "$chdir" == /* ]] || chdir="$repo/$chdir"
  [[ -d "$chdir" ]] || die "--chdir $chdir: not a directory"
  cwd="$(cd "$chdir" && pwd -P)"
else
  cwd="$(pwd -P)"
fi

# Kept before anything bash-4-only: macOS runs this with its bash 3.2.
if [[ "${PUSHSEAL_SWIFT_USE_CHROOT:-0}" != 1 ]] && command -v swift >/dev/null 2>&1; then
  cd "$cwd"
  exec swift "$@"
fi

# Canonical paths: the chroot sees bind mounts at exactly these strings.
abs_binds=()
for b in "${binds[@]}"; do
  [[ -e "$b" ]] || die "--extra-bind $b: no such file or directory"
  abs_binds+=("$(realpath -e -- "$b")")
done

visible() { # is $1 inside the repository or an extra bind?
  local p
  for p in "$repo" "${abs_binds[@]}"; do
    [[ "$1" == "$p" || "$1" == "$p"/* ]] && return 0
  done
  return 1
}

[[ -n "$chdir" ]] || visible "$cwd" || cwd="$repo"

[[ "$(uname -s)" == Linux ]] || die "no swift on PATH; install Xcode or the Swift toolchain"
[[ $(id -u) -eq 0 ]] || die "the chroot needs root (try: sudo $0)"
visible "$cwd" || die "$cwd is not inside $repo; add --extra-bind for it"

root="${PUSHSEAL_SWIFT_CHROOT:-/var/cache/pushseal/swift-trixie}"
root="${root%/}"
marker="$root/.pushseal-swift-ready"

if [[ -z "${_PUSHSEAL_SWIFT_IN_NS:-}" ]]; then
  if [[ ! -f "$marker" ]]; then
    log "no Swift chroot at $root yet; building it (one-off, 1-2 minutes, ~2.6 GB)"
    PUSHSEAL_SWIFT_USE_CHROOT=1 "$self_dir/swift-toolchain.sh" >&2
  fi
  # Each run gets its own private mount namespace: its mounts are invisible to
  # the host and to concurrent runs, so nobody can unmount anyone else's
  # /proc or repository, and the kernel drops them all when the run ends, even
  # on SIGKILL. The trap below is only tidiness on top of that. The PID
  # namespace (--kill-child) makes sure no swift-build or test process keeps
  # running, and keeps the chroot in use, after this script is killed.
  exec env _PUSHSEAL_SWIFT_IN_NS=1 \
    unshare --mount --pid --fork --kill-child --propagation private -- "$self" "${orig_args[@]}"
fi
unset _PUSHSEAL_SWIFT_IN_NS

# Shared lock: any number of runs at once, but swift-toolchain.sh (exclusive)
# waits instead of changing the chroot under a running build.
exec 9>"$root.lock"
flock -s 9
[[ -f "$marker" ]] || die "chroot at $root vanished; rerun scripts/swift-toolchain.sh"

mounted=()
# shellcheck disable=SC2317  # reached through the EXIT trap
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mount_in() { # mount_in SOURCE TARGET_INSIDE_ROOT MOUNT_ARGS...
  local src="$1" dst="$root$2"; shift 2
  if [[ -d "$src" ]]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; [[ -e "$dst" ]] || : >"$dst"; fi
  mount "$@" "$src" "$dst"
  mounted+=("$dst")
}

# Without /proc, swift cannot start: its binaries find libswiftCore.so via an
# $ORIGIN runpath, which ld.so resolves through /proc/self/exe (elsewhere the
# same omission shows up as the driver dying with SIGILL). /dev and /sys are the
# host's so ttys, /dev/null, /dev/shm and CPU/cgroup probes behave as usual.
mount_in proc /proc -t proc
mount_in /dev /dev --rbind
mount_in /sys /sys --rbind
mount_in "$repo" "$repo" --bind
for b in "${abs_binds[@]}"; do
  [[ "$b" == "$repo" || "$b" == "$repo"/* ]] && continue
  mount_in "$b" "$b" --bind
done

envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)
while IFS= read -r name; do
  case "$name" in
    PUSHSEAL_* | LD_LIBRARY_PATH | CI | TERM | NO_COLOR) envs+=("$name=${!name}") ;;
  esac
done < <(compgen -e)

rc=0
# 9>&-: swift and anything it leaves running must not keep the lock held.
# env's options must precede the NAME=VALUE list: after it, --chdir is ignored.
chroot "$root" /usr/bin/env -i --chdir="$cwd" "${envs[@]}" PWD="$cwd" swift "$@" 9>&- || rc=$?
exit "$rc"
