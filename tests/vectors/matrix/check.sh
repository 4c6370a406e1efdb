#!/usr/bin/env bash
# Re-verify the committed Matrix vectors with libolm and Python `cryptography`
# without rewriting them. Installs Debian's python3-olm and
# python3-cryptography first if the system Python lacks them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py=/usr/bin/python3

if ! "$py" -c 'import olm, cryptography' 2>/dev/null; then
  echo "==> installing python3-olm python3-cryptography (apt-get)"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-olm python3-cryptography >/dev/null
fi

# Run on a copy so that even a faulty check cannot touch the committed files.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$here"/*.py "$here"/*.json "$here"/export.txt "$tmp"/
"$py" "$tmp/generate.py" --check
for f in "$here"/*.json "$here"/export.txt; do
  cmp -s "$f" "$tmp/$(basename "$f")" || { echo "check changed $(basename "$f")" >&2; exit 1; }
done
