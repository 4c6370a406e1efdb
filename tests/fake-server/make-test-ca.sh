#!/usr/bin/env bash
# Regenerates the TEST-ONLY TLS files in tls/: a CA and a certificate for
# 127.0.0.1, ::1 and localhost signed by it, for the fake Rocket.Chat server.
# The private keys are public (they are in git): never trust this CA anywhere.
# The PEMs are committed so tests need no openssl and are the same on every
# machine; run this only to change them.
set -euo pipefail
cd "$(dirname "$0")"
out=tls
days=36500   # 100 years: these files must not expire under the test suite
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$tmp/ca.key" -out "$out/ca.pem" -days "$days" -sha256 \
  -subj "/O=pushseal tests/CN=pushseal TEST-ONLY CA - do not trust" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign"

openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$out/server.key" -out "$tmp/server.csr" \
  -subj "/O=pushseal tests/CN=127.0.0.1 (TEST ONLY)"

cat > "$tmp/server.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$out/ca.pem" -CAkey "$tmp/ca.key" \
  -CAcreateserial -CAserial "$tmp/ca.srl" -out "$out/server.pem" -days "$days" -sha256 \
  -extfile "$tmp/server.ext"

# A self-signed certificate unrelated to the chain above: the pin tests pin
# its key and have the server append it, which must not satisfy the pin.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$tmp/unrelated.key" -out "$out/unrelated.pem" -days "$days" -sha256 \
  -subj "/O=pushseal tests/CN=unrelated pinned key (TEST ONLY)"

# SPKI SHA-256 pins, base64, computed by openssl (tests compare against them).
pin() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64; }
pin "$out/server.pem" > "$out/server.pin"
pin "$out/ca.pem" > "$out/ca.pin"
pin "$out/unrelated.pem" > "$out/unrelated.pin"
chmod 644 "$out"/*
echo "wrote $out/: ca.pem server.pem server.key server.pin ca.pin unrelated.pem unrelated.pin (TEST ONLY)"
