"""Matrix formats written from the Matrix specification, on Python `cryptography`.

This is the independent code path of the Matrix vectors: libolm makes the
Megolm sessions and messages, and this module reads them back (and writes the
formats libolm does not have: key export, backup, recovery keys, secret
storage). Every function raises `Fail(reason)` with a pushseal reason code on
bad input, so the generator can state which check rejects each bad vector.

Sources (read for the formats, no code taken):
- Megolm: matrix-org/olm docs/megolm.md; matrix-spec content/client-server-api/
  modules/end_to_end_encryption.md (m.megolm.v1.aes-sha2).
- Key export, backup: end_to_end_encryption.md "Key exports", "Server-side key
  backups"; secret storage: modules/secrets.md; recovery key: appendices.md
  "Cryptographic key representation".
"""

import base64
import hashlib
import hmac
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class Fail(Exception):
    """A check rejected the input; `reason` is a pushseal reason code."""

    def __init__(self, reason, detail=""):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# ------------------------------------------------------------------ base64

def b64(data):
    """Unpadded standard base64, the Matrix default."""
    return base64.b64encode(data).decode().rstrip("=")


def b64_padded(data):
    return base64.b64encode(data).decode()


def unb64(text, reason="bad_ciphertext"):
    """Standard base64, padded or not (Matrix writers do both)."""
    if not isinstance(text, str):
        raise Fail(reason, "not a string")
    t = "".join(text.split())
    try:
        return base64.b64decode(t + "=" * (-len(t) % 4), validate=True)
    except ValueError as e:
        raise Fail(reason, f"base64: {e}") from None


# ------------------------------------------------------------------ Megolm

MEGOLM_KEYS_INFO = b"MEGOLM_KEYS"


def _hkdf(ikm, length, info, salt=None):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def ratchet_advance(parts, counter):
    """One Megolm ratchet step (megolm.md "The Megolm ratchet algorithm").

    R(i,j) is re-derived from R(i-1,h) for every part j >= h, where h is the
    highest part whose period (2^24, 2^16, 2^8, 1) divides the new counter.
    """
    counter = (counter + 1) & 0xFFFFFFFF
    h = 0
    while h < 4 and (counter & (0xFFFFFF >> (8 * h))) != 0:
        h += 1
    h = min(h, 3)
    parts = list(parts)
    source = parts[h]
    for j in range(3, h - 1, -1):
        parts[j] = hmac.new(source, bytes([j]), hashlib.sha256).digest()
    return parts, counter


def ratchet_at(ratchet, index, target):
    """Advance a 128-byte ratchet from `index` to `target`."""
    if target < index:
        raise Fail("unknown_message_index", f"first known index {index}, message index {target}")
    parts = [ratchet[i * 32:(i + 1) * 32] for i in range(4)]
    while index < target:
        parts, index = ratchet_advance(parts, index)
    return b"".join(parts)


def megolm_keys(ratchet):
    okm = _hkdf(ratchet, 80, MEGOLM_KEYS_INFO)
    return okm[:32], okm[32:64], okm[64:80]


class MegolmSession:
    """An inbound session: first known index, ratchet there, Ed25519 key."""

    def __init__(self, index, ratchet, signing_key):
        self.first_index = index
        self.ratchet = ratchet
        self.signing_key = signing_key

    @property
    def session_id(self):
        return b64(self.signing_key)

    def export_at(self, index):
        """Session export format 0x01 (no signature)."""
        r = ratchet_at(self.ratchet, self.first_index, index)
        return b64(b"\x01" + index.to_bytes(4, "big") + r + self.signing_key)


def parse_session_key(text):
    """Parse a 0x02 (m.room_key, signed) or 0x01 (export) session key."""
    raw = unb64(text, "bad_ciphertext")
    if len(raw) == 229 and raw[0] == 2:
        body, sig = raw[:165], raw[165:]
        pub = raw[133:165]
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(sig, body)
        except InvalidSignature:
            raise Fail("bad_auth_tag", "session key signature") from None
    elif len(raw) == 165 and raw[0] == 1:
        pub = raw[133:165]
    else:
        raise Fail("bad_ciphertext", f"session key: version {raw[:1].hex()} length {len(raw)}")
    return MegolmSession(int.from_bytes(raw[1:5], "big"), raw[5:133], pub)


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf, pos):
    n = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise Fail("bad_ciphertext", "varint")
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, pos


def parse_message(text):
    """Megolm message: 0x03 | {0x08 index, 0x12 ciphertext} | MAC(8) | sig(64)."""
    raw = unb64(text, "bad_ciphertext")
    if len(raw) < 1 + 72:
        raise Fail("bad_ciphertext", "message too short")
    if raw[0] != 3:
        raise Fail("bad_ciphertext", f"message version {raw[0]}")
    body, mac, sig = raw[:-72], raw[-72:-64], raw[-64:]
    index = ciphertext = None
    pos = 1
    while pos < len(body):
        tag, pos = _read_varint(body, pos)
        if tag == 0x08:
            index, pos = _read_varint(body, pos)
        elif tag == 0x12:
            n, pos = _read_varint(body, pos)
            if pos + n > len(body):
                raise Fail("bad_ciphertext", "ciphertext length")
            ciphertext, pos = body[pos:pos + n], pos + n
        else:
            raise Fail("bad_ciphertext", f"unknown tag {tag:#x}")
    if index is None or ciphertext is None:
        raise Fail("bad_ciphertext", "missing field")
    return {"raw": raw, "body": body, "mac": mac, "sig": sig,
            "index": index, "ciphertext": ciphertext}


def megolm_decrypt(session, text):
    """Decrypt, checking in vodozemac's order: signature, index, MAC, padding.

    Returns (plaintext bytes, message index).
    """
    m = parse_message(text)
    try:
        Ed25519PublicKey.from_public_bytes(session.signing_key).verify(m["sig"], m["raw"][:-64])
    except InvalidSignature:
        raise Fail("bad_auth_tag", "signature") from None
    if m["index"] < session.first_index:
        raise Fail("unknown_message_index",
                   f"first known index {session.first_index}, message index {m['index']}")
    aes_key, mac_key, iv = megolm_keys(ratchet_at(session.ratchet, session.first_index, m["index"]))
    if not hmac.compare_digest(hmac.new(mac_key, m["body"], hashlib.sha256).digest()[:8], m["mac"]):
        raise Fail("bad_auth_tag", "MAC")
    return cbc_decrypt(aes_key, iv, m["ciphertext"]), m["index"]


def megolm_forge(ratchet, index, signing_seed, padded_plaintext, mac_ok=True):
    """Build a message as the session owner would, with raw (possibly bad)
    padding and optionally a bad MAC. Only for failure vectors; good messages
    come from libolm."""
    aes_key, mac_key, iv = megolm_keys(ratchet)
    enc = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
    ct = enc.update(padded_plaintext) + enc.finalize()
    body = b"\x03" + b"\x08" + _varint(index) + b"\x12" + _varint(len(ct)) + ct
    mac = hmac.new(mac_key, body, hashlib.sha256).digest()[:8]
    if not mac_ok:
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    msg = body + mac
    sig = Ed25519PrivateKey.from_private_bytes(signing_seed).sign(msg)
    return b64(msg + sig)


def cbc_decrypt(key, iv, ct):
    if len(ct) == 0 or len(ct) % 16:
        raise Fail("bad_ciphertext", "CBC length")
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = dec.update(ct) + dec.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise Fail("bad_padding", "PKCS#7") from None


def cbc_encrypt(key, iv, pt):
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(pt) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


# ------------------------------------------------------------------ AES-CTR

def ctr64(key, iv, data):
    """AES-CTR as WebCrypto's {length: 64}: only the low 64 bits count and
    wrap; the high 64 bits stay. Built from single AES block operations so it
    does not depend on a library's counter width."""
    ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    high, low = iv[:8], int.from_bytes(iv[8:], "big")
    blocks = (len(data) + 15) // 16
    counters = b"".join(high + ((low + i) & (2**64 - 1)).to_bytes(8, "big") for i in range(blocks))
    stream = ecb.update(counters) + ecb.finalize()
    return bytes(a ^ b for a, b in zip(data, stream))


def ctr128(key, iv, data):
    """AES-CTR with a 128-bit counter (what `cryptography` and Ctr128BE do)."""
    c = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return c.update(data) + c.finalize()


# ------------------------------------------------------------------ key export

EXPORT_HEADER = "-----BEGIN MEGOLM SESSION DATA-----"
EXPORT_TRAILER = "-----END MEGOLM SESSION DATA-----"


def export_keys(passphrase, salt, rounds):
    okm = PBKDF2HMAC(algorithm=hashes.SHA512(), length=64, salt=salt,
                     iterations=rounds).derive(passphrase.encode("utf-8"))
    return okm[:32], okm[32:]


def export_encrypt(plaintext, passphrase, salt, iv, rounds, style="element"):
    """Key export file. style "element": padded base64, 96 bytes (128 chars)
    a line, LF; "one-line": one unpadded line (matrix-rust-sdk), CRLF."""
    k, k_mac = export_keys(passphrase, salt, rounds)
    body = b"\x01" + salt + iv + rounds.to_bytes(4, "big") + ctr64(k, iv, plaintext)
    body += hmac.new(k_mac, body, hashlib.sha256).digest()
    if style == "element":
        lines = [b64_padded(body[i:i + 96]) for i in range(0, len(body), 96)]
        return EXPORT_HEADER + "\n" + "\n".join(lines) + "\n" + EXPORT_TRAILER + "\n"
    if style == "one-line":
        return EXPORT_HEADER + "\r\n" + b64(body) + "\r\n" + EXPORT_TRAILER + "\r\n"
    raise ValueError(style)


def export_decrypt(text, passphrase):
    """Returns the plaintext bytes. Reasons: bad_armour, bad_passphrase."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    try:
        start = lines.index(EXPORT_HEADER)
        end = lines.index(EXPORT_TRAILER, start + 1)
    except ValueError:
        raise Fail("bad_armour", "header or trailer line not found") from None
    body = unb64("".join(lines[start + 1:end]), "bad_armour")
    if len(body) < 1 + 16 + 16 + 4 + 32:
        raise Fail("bad_armour", "too short")
    if body[0] != 1:
        raise Fail("bad_armour", f"version {body[0]}")
    salt, iv, rounds = body[1:17], body[17:33], int.from_bytes(body[33:37], "big")
    k, k_mac = export_keys(passphrase, salt, rounds)
    if not hmac.compare_digest(hmac.new(k_mac, body[:-32], hashlib.sha256).digest(), body[-32:]):
        raise Fail("bad_passphrase", "HMAC mismatch: wrong passphrase or damaged file")
    return ctr64(k, iv, body[37:-32])


# ------------------------------------------------------------------ backup

BACKUP_ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"


def x25519_public(private):
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)


def _backup_keys(shared):
    okm = _hkdf(shared, 80, b"", salt=bytes(32))
    return okm[:32], okm[32:64], okm[64:80]


def backup_encrypt(public_key, plaintext, ephemeral_private, raw_padded=None, mac_ok=True):
    """session_data for the backup. `raw_padded` skips PKCS#7 (bad-padding
    vectors)."""
    eph = X25519PrivateKey.from_private_bytes(ephemeral_private)
    shared = eph.exchange(X25519PublicKey.from_public_bytes(public_key))
    aes_key, mac_key, iv = _backup_keys(shared)
    if raw_padded is None:
        ct = cbc_encrypt(aes_key, iv, plaintext)
    else:
        enc = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
        ct = enc.update(raw_padded) + enc.finalize()
    # The MAC covers the empty string, as every implementation does (spec
    # warning under "m.megolm_backup.v1.curve25519-aes-sha2", step 5).
    mac = hmac.new(mac_key, b"", hashlib.sha256).digest()[:8]
    if not mac_ok:
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    return {"ciphertext": b64(ct), "ephemeral": b64(x25519_public(ephemeral_private)), "mac": b64(mac)}


def backup_decrypt(private_key, session_data):
    eph = unb64(session_data.get("ephemeral"), "bad_ciphertext")
    if len(eph) != 32:
        raise Fail("bad_ciphertext", "ephemeral key length")
    shared = X25519PrivateKey.from_private_bytes(private_key).exchange(
        X25519PublicKey.from_public_bytes(eph))
    aes_key, mac_key, iv = _backup_keys(shared)
    mac = unb64(session_data.get("mac"), "bad_ciphertext")
    if not hmac.compare_digest(hmac.new(mac_key, b"", hashlib.sha256).digest()[:8], mac):
        raise Fail("bad_auth_tag", "backup MAC")
    return cbc_decrypt(aes_key, iv, unb64(session_data.get("ciphertext"), "bad_ciphertext"))


def backup_session(private_key, room_id, session_id, key_backup_data):
    """Decrypt one KeyBackupData and check it; returns the ExportedSessionData."""
    plain = backup_decrypt(private_key, key_backup_data["session_data"])
    try:
        data = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Fail("bad_plaintext", "backup plaintext is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("session_key"), str):
        raise Fail("bad_plaintext", "no session_key")
    if data.get("algorithm") != "m.megolm.v1.aes-sha2":
        raise Fail("unsupported_algorithm", str(data.get("algorithm")))
    session = parse_session_key(data["session_key"])
    if session.session_id != session_id:
        raise Fail("session_mismatch", f"backup holds {session.session_id}")
    out = dict(data)
    out["room_id"] = room_id
    out["session_id"] = session_id
    return out, session


# ------------------------------------------------------------------ recovery key

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58_encode(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58_decode(text):
    n = 0
    for ch in text:
        i = B58.find(ch)
        if i < 0:
            raise Fail("bad_recovery_key", f"not base58: {ch!r}")
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def encode_recovery_key(key):
    buf = b"\x8b\x01" + key
    parity = 0
    for b in buf:
        parity ^= b
    s = base58_encode(buf + bytes([parity]))
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def decode_recovery_key(text):
    raw = base58_decode("".join(text.split()))
    if len(raw) != 35:
        raise Fail("bad_recovery_key", f"length {len(raw)}")
    if raw[:2] != b"\x8b\x01":
        raise Fail("bad_recovery_key", "prefix")
    parity = 0
    for b in raw:
        parity ^= b
    if parity:
        raise Fail("bad_recovery_key", "parity")
    return raw[2:34]


def passphrase_key(passphrase, salt, iterations, bits=256):
    """PBKDF2-HMAC-SHA-512; the salt string is used as UTF-8 bytes."""
    return PBKDF2HMAC(algorithm=hashes.SHA512(), length=bits // 8, salt=salt.encode("utf-8"),
                      iterations=iterations).derive(passphrase.encode("utf-8"))


# ------------------------------------------------------------------ secret storage

SSSS_ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"


def _ssss_keys(key, name):
    okm = _hkdf(key, 64, name.encode("utf-8"), salt=bytes(32))
    return okm[:32], okm[32:]


def ssss_encrypt(key, name, plaintext, iv, b64fn=b64_padded):
    """Writers clear bit 63 of the IV first (see `clear_bit63`)."""
    aes_key, mac_key = _ssss_keys(key, name)
    ct = ctr128(aes_key, iv, plaintext)
    return {"iv": b64fn(iv), "ciphertext": b64fn(ct),
            "mac": b64fn(hmac.new(mac_key, ct, hashlib.sha256).digest())}


def ssss_decrypt(key, name, enc):
    aes_key, mac_key = _ssss_keys(key, name)
    ct = unb64(enc.get("ciphertext"), "bad_ciphertext")
    mac = unb64(enc.get("mac"), "bad_ciphertext")
    if not hmac.compare_digest(hmac.new(mac_key, ct, hashlib.sha256).digest(), mac):
        raise Fail("bad_auth_tag", "secret storage MAC")
    return ctr128(aes_key, unb64(enc.get("iv"), "bad_ciphertext"), ct)


def clear_bit63(iv):
    return iv[:8] + bytes([iv[8] & 0x7F]) + iv[9:]


def ssss_key_check(key, description):
    """The key description's iv/mac: 32 zero bytes encrypted with name ""."""
    enc = ssss_encrypt(key, "", bytes(32), unb64(description["iv"]))
    return hmac.compare_digest(unb64(enc["mac"]), unb64(description["mac"]))
