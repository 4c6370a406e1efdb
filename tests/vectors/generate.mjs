#!/usr/bin/env node
// Rocket.Chat E2EE test vectors for pushseal, made with WebCrypto.
//
// Run from the repository root:  node tests/vectors/generate.mjs
//
// WebCrypto (globalThis.crypto.subtle) is what the Rocket.Chat web client
// calls, so vectors made with it carry the same bytes a browser would
// produce; the Rust core is tested against them without needing Node.
// Node built-ins only: the script must run on a bare Node 20.
//
// Every run makes fresh keys and IVs, so the JSON changes completely each
// time. After writing, the script reads the files back and re-derives every
// expected outcome with WebCrypto through a separate reference decryptor
// (shared/spec/rocketchat-e2e.md plus the vector rules in README.md); it exits
// non-zero if anything disagrees. `--check` runs only that verification.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const subtle = globalThis.crypto.subtle;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const OUT = path.join(ROOT, 'tests/vectors');
const DEMO = path.join(ROOT, 'cli/demo');

// The payload `host` keeps Meteor.absoluteUrl()'s trailing slash; the
// top-level `server` is the normalised form the Rust side compares with.
const HOST = 'https://chat.example.org/';
const SERVER = 'https://chat.example.org';
const SERVER_UNIQUE_ID = 'pUshSeaLvEcToRs01';
const IMAGE = `${HOST}images/logo/android-chrome-192x192.png`;
const FCM_TOKEN = 'eXampLeFcmT0ken:APA91bPushsealVectorsDeviceTokenForBob';
const V2_ITERATIONS = 100000;

// ---------------------------------------------------------------- encodings

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const utf8 = (s) => new TextEncoder().encode(s);
const concat = (a, b) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};
const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

// The web client turns strings into bytes one UTF-16 unit per byte
// (Binary.decode), i.e. ISO-8859-1, and throws above 0xFF.
function latin1(s) {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`illegal char code: ${c}`);
    out[i] = c;
  }
  return out;
}
const fromLatin1 = (bytes) => Buffer.from(bytes).toString('latin1');
const encoder = (encoding) => (encoding === 'latin1' ? latin1 : utf8);

// WebIDL dictionaries convert to JS objects with members in code-unit order,
// so browsers export JWKs sorted; Node does not. Upstream's keyIDs and the
// stored strings depend on the browser order, so reproduce it.
const browserJwk = (jwk) => Object.fromEntries(Object.keys(jwk).sort().map((k) => [k, jwk[k]]));

// Java-style hash of "<uniqueId>|<rid>" read right to left (server notId).
function notId(rid) {
  const s = `${SERVER_UNIQUE_ID}|${rid}`;
  let h = 0;
  for (let i = s.length - 1; i >= 0; i--) h = ((h << 5) - h + s.charCodeAt(i)) | 0;
  return h;
}

// ------------------------------------------------------------- user keys

async function newRsaUser() {
  const pair = await subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['encrypt', 'decrypt'],
  );
  const privateJwk = browserJwk(await subtle.exportKey('jwk', pair.privateKey));
  const publicJwk = browserJwk(await subtle.exportKey('jwk', pair.publicKey));
  return { ...pair, privateJwk, publicJwk };
}

async function pbkdf2Key(password, salt, iterations, cipher, encoding, usages) {
  const enc = encoder(encoding);
  const base = await subtle.importKey('raw', enc(password), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'PBKDF2', salt: enc(salt), iterations, hash: 'SHA-256' },
    base,
    { name: cipher, length: 256 },
    false,
    usages,
  );
}

// §4: v1 = {"$binary": iv16‖AES-256-CBC}, salt = user id, 1000 rounds;
// v2 = {iv, ciphertext, salt, iterations}, the IV length choosing GCM or CBC.
async function encryptPrivateKey({ userId, password, encoding, format, iterations, salt, jwkString }) {
  const plain = latin1(jwkString);
  if (format === 'v1') {
    const key = await pbkdf2Key(password, userId, 1000, 'AES-CBC', encoding, ['encrypt']);
    const iv = randomBytes(16);
    const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv }, key, plain));
    return JSON.stringify({ $binary: b64(concat(iv, ct)) });
  }
  const cipher = format === 'v2-gcm' ? 'AES-GCM' : 'AES-CBC';
  const iv = randomBytes(format === 'v2-gcm' ? 12 : 16);
  const key = await pbkdf2Key(password, salt, iterations, cipher, encoding, ['encrypt']);
  const ct = new Uint8Array(await subtle.encrypt({ name: cipher, iv }, key, plain));
  return JSON.stringify({ iv: b64(iv), ciphertext: b64(ct), salt, iterations });
}

// Returns the JWK string, or throws as WebCrypto does for a wrong password.
async function decryptPrivateKey(stored, userId, password, encoding) {
  const s = JSON.parse(stored);
  if (typeof s.$binary === 'string') {
    const all = Buffer.from(s.$binary, 'base64');
    const key = await pbkdf2Key(password, userId, 1000, 'AES-CBC', encoding, ['decrypt']);
    return fromLatin1(new Uint8Array(await subtle.decrypt({ name: 'AES-CBC', iv: all.subarray(0, 16) }, key, all.subarray(16))));
  }
  if (typeof s.iv !== 'string' || typeof s.ciphertext !== 'string' || typeof s.salt !== 'string' || typeof s.iterations !== 'number') {
    throw new TypeError('Invalid private key format');
  }
  const iv = Buffer.from(s.iv, 'base64');
  const cipher = iv.length === 16 ? 'AES-CBC' : 'AES-GCM';
  const key = await pbkdf2Key(password, s.salt, s.iterations, cipher, encoding, ['decrypt']);
  return fromLatin1(new Uint8Array(await subtle.decrypt({ name: cipher, iv }, key, Buffer.from(s.ciphertext, 'base64'))));
}

// True when WebCrypto rejects this password (throws, or yields something
// that is not the key JSON: CBC has no integrity check).
async function rejects(stored, userId, password, encoding) {
  try {
    JSON.parse(await decryptPrivateKey(stored, userId, password, encoding));
    return false;
  } catch {
    return true;
  }
}

// ------------------------------------------------------------- room keys

async function newRoomKey(generation, style, { current, ts }) {
  const params = generation === 'v2-gcm' ? { name: 'AES-GCM', length: 256 } : { name: 'AES-CBC', length: 128 };
  const key = await subtle.generateKey(params, true, ['encrypt', 'decrypt']);
  const jwk = browserJwk(await subtle.exportKey('jwk', key));
  const json = JSON.stringify(jwk);
  let kid;
  if (style === 'base64-prefix') kid = b64(latin1(json)).slice(0, 12);
  else if (style === 'sha256-hex') kid = Buffer.from(await subtle.digest('SHA-256', utf8(json))).toString('hex').slice(0, 12);
  else kid = globalThis.crypto.randomUUID();
  return { kid, alg: jwk.alg, jwk, json, key, current, ts };
}

async function wrapRoomKey(roomKey, publicKey) {
  const wrapped = b64(new Uint8Array(await subtle.encrypt({ name: 'RSA-OAEP' }, publicKey, latin1(roomKey.json))));
  assert.equal(wrapped.length, 344, 'RSA-2048 wrap is 344 base64 chars');
  return roomKey.kid + wrapped;
}

// ---------------------------------------------------------- message crypto

async function aesEncrypt(roomKey, plaintext, ivLen) {
  const iv = randomBytes(ivLen);
  const name = roomKey.alg === 'A256GCM' ? 'AES-GCM' : 'AES-CBC';
  const ct = new Uint8Array(await subtle.encrypt({ name, iv }, roomKey.key, utf8(plaintext)));
  return { iv, ct };
}

// Returns the stored message members {msg, content?} for a format (§6).
async function encryptFor(format, roomKey, plaintext) {
  switch (format) {
    case 'legacy-msg':
    case 'rc.v1': {
      assert.equal(roomKey.alg, 'A128CBC', `${format} needs a CBC key`);
      assert.equal(roomKey.kid.length, 12, `${format} needs a 12-char keyID`);
      const { iv, ct } = await aesEncrypt(roomKey, plaintext, 16);
      const s = roomKey.kid + b64(concat(iv, ct));
      return format === 'legacy-msg' ? { msg: s } : { msg: '', content: { algorithm: 'rc.v1.aes-sha2', ciphertext: s } };
    }
    case 'rc.v2-gcm':
    case 'rc.v2-cbc': {
      const gcm = format === 'rc.v2-gcm';
      assert.equal(roomKey.alg, gcm ? 'A256GCM' : 'A128CBC', `${format} key`);
      const { iv, ct } = await aesEncrypt(roomKey, plaintext, gcm ? 12 : 16);
      return { msg: '', content: { algorithm: 'rc.v2.aes-sha2', kid: roomKey.kid, iv: b64(iv), ciphertext: b64(ct) } };
    }
    default:
      throw new Error(`unknown format ${format}`);
  }
}

const ALGORITHM_LABEL = { 'legacy-msg': 'legacy-msg', 'rc.v1': 'rc.v1.aes-sha2', 'rc.v2-gcm': 'rc.v2.aes-sha2', 'rc.v2-cbc': 'rc.v2.aes-sha2' };

// =====================================================================
// Reference decryptor: what the self-check believes a correct decryptor
// does, written from the spec and the vector rules, and fed only the JSON
// read back from disk. Failure reasons come from where WebCrypto (or the
// strict decoding in front of it) actually failed.
// =====================================================================

class Fail extends Error {
  constructor(reason, detail) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
  }
}

const nonEmpty = (s) => (typeof s === 'string' && s !== '' ? s : null);
// Blank is empty or only White_Space characters (Rust's char::is_whitespace).
const blank = (s) => /^\p{White_Space}*$/u.test(s);
const nonBlank = (s) => (typeof s === 'string' && !blank(s) ? s : null);
// Every outcome has text to show: a blank message or alert text becomes
// the generic text, and the outcome keeps its status (README).
const FALLBACK_BODY_NEW = 'You have a new message';
const shown = (body) => (blank(body) ? FALLBACK_BODY_NEW : body);

// The newest web codec rejects characters outside the standard alphabet
// but tolerates missing padding (§2).
function strictB64(what, s) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Fail('bad_ciphertext', `${what} is not standard base64`);
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) throw new Fail('bad_ciphertext', `${what} has an impossible base64 length`);
  return new Uint8Array(Buffer.from(body, 'base64'));
}

// keyID(12) ‖ base64(iv16 ‖ ct): the legacy msg string and rc.v1 ciphertext.
function parseV1String(format, s) {
  if (!/^[\x00-\x7f]*$/.test(s) || s.length <= 12) throw new Fail('bad_ciphertext', 'too short for kid extraction');
  const data = strictB64('ciphertext', s.slice(12));
  if (data.length <= 16) throw new Fail('bad_ciphertext', 'too short for iv extraction');
  return { format, kid: s.slice(0, 12), iv: data.subarray(0, 16), ct: data.subarray(16) };
}

function parseContent(content) {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) throw new Fail('malformed_payload', 'content is not an object');
  const field = (k) => {
    const v = content[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new Fail('malformed_payload', `content.${k} is not a string`);
    return v;
  };
  const algorithm = field('algorithm');
  if (algorithm === undefined) throw new Fail('malformed_payload', 'no algorithm');
  const ciphertext = field('ciphertext');
  if (ciphertext === undefined) throw new Fail('malformed_payload', 'no ciphertext');
  if (algorithm === 'rc.v1.aes-sha2') return parseV1String('rc.v1.aes-sha2', ciphertext);
  if (algorithm === 'rc.v2.aes-sha2') {
    const iv = nonEmpty(field('iv'));
    if (!iv) throw new Fail('malformed_payload', 'rc.v2 without iv');
    if (ciphertext === '') throw new Fail('malformed_payload', 'rc.v2 with empty ciphertext');
    return { format: 'rc.v2.aes-sha2', kid: nonEmpty(field('kid')), iv: strictB64('iv', iv), ct: strictB64('ciphertext', ciphertext) };
  }
  throw new Fail('unsupported_algorithm', algorithm);
}

// A valid content wins; otherwise a non-empty msg is the legacy format
// (newest web, §6.4 step 1). Neither → the ciphertext must be fetched.
function parseEncrypted(content, msg) {
  let contentError = null;
  if (content !== undefined && content !== null) {
    try {
      return parseContent(content);
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      contentError = e;
    }
  }
  if (nonEmpty(msg)) return parseV1String('legacy-msg', msg);
  if (contentError) throw contentError;
  return null;
}

// Body rule of the vectors: msg, else legacy text, else a file caption or
// the file names. Never cut at ':'.
function bodyOf(obj) {
  const attachments = Array.isArray(obj.attachments) ? obj.attachments : [];
  const files = Array.isArray(obj.files) ? obj.files : [];
  const hasFiles = Boolean(obj.file) || files.length > 0 || attachments.length > 0;
  if (typeof obj.msg === 'string' && (!blank(obj.msg) || !hasFiles)) return obj.msg;
  if (typeof obj.text === 'string') return obj.text;
  if (!hasFiles) throw new Fail('bad_plaintext', 'no message text');
  const caption = attachments.map((a) => a?.description).find((d) => nonBlank(d));
  if (caption) return caption;
  let names = files.map((f) => f?.name).filter((n) => typeof n === 'string');
  if (!names.length && typeof obj.file?.name === 'string') names = [obj.file.name];
  if (!names.length) names = attachments.map((a) => a?.title).filter((n) => typeof n === 'string');
  return `📎 ${names.join(', ')}`;
}

function readPlaintext(bytes) {
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Fail('bad_plaintext', 'not UTF-8');
  }
  let obj;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new Fail('bad_plaintext', 'not JSON');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Fail('bad_plaintext', 'not a JSON object');
  return { text, body: bodyOf(obj) };
}

// The cipher comes from the room key's JWK alg, as on the web (§5.1).
async function openWith(entry, enc) {
  let plain;
  if (entry.alg === 'A256GCM') {
    if (enc.iv.length !== 12) throw new Fail('bad_ciphertext', `GCM IV of ${enc.iv.length} bytes`);
    if (enc.ct.length < 16) throw new Fail('bad_ciphertext', 'GCM ciphertext shorter than its tag');
    try {
      plain = await subtle.decrypt({ name: 'AES-GCM', iv: enc.iv }, entry.key, enc.ct);
    } catch {
      throw new Fail('bad_auth_tag', 'WebCrypto AES-GCM decrypt threw');
    }
  } else {
    if (enc.iv.length !== 16) throw new Fail('bad_ciphertext', `CBC IV of ${enc.iv.length} bytes`);
    if (enc.ct.length === 0 || enc.ct.length % 16 !== 0) throw new Fail('bad_ciphertext', 'CBC ciphertext not a multiple of 16');
    try {
      plain = await subtle.decrypt({ name: 'AES-CBC', iv: enc.iv }, entry.key, enc.ct);
    } catch {
      throw new Fail('bad_padding', 'WebCrypto AES-CBC decrypt threw');
    }
  }
  return readPlaintext(new Uint8Array(plain));
}

// Keys whose id matches (current first: 6.x rooms reuse one id), then the
// current key, as upstream falls back to it for unknown ids.
function candidates(keys, kid) {
  const out = keys.filter((k) => kid !== null && k.kid === kid).sort((a, b) => Number(b.current) - Number(a.current));
  const current = keys.find((k) => k.current);
  if (current && !out.includes(current)) out.push(current);
  return out;
}

async function openMessage(enc, keys) {
  let first = null;
  for (const entry of candidates(keys, enc.kid)) {
    try {
      const { text, body } = await openWith(entry, enc);
      return { text, body, entry };
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      first ??= e;
    }
  }
  if (first && keys.some((k) => k.kid === enc.kid)) throw first;
  throw new Fail('no_room_key', `no key decrypts kid ${enc.kid}`);
}

// Unwraps every subscription with a user's RSA key, as a phone would.
async function buildKeyring(subscriptions, privateJwk) {
  const rsa = await subtle.importKey('jwk', privateJwk, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  const ring = new Map();
  for (const sub of subscriptions) {
    const list = [];
    const wrapped = [[null, sub.E2EKey, true], ...(sub.oldRoomKeys ?? []).map((o) => [o.e2eKeyId, o.E2EKey, false])];
    for (const [listedId, e2eKey, current] of wrapped) {
      if (typeof e2eKey !== 'string' || e2eKey.length < 344) continue;
      const prefix = e2eKey.slice(0, -344);
      try {
        const bytes = strictB64('E2EKey', e2eKey.slice(-344));
        const jwk = JSON.parse(fromLatin1(new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP' }, rsa, bytes))));
        const name = { A256GCM: 'AES-GCM', A128CBC: 'AES-CBC' }[jwk.alg];
        const key = await subtle.importKey('jwk', jwk, { name }, true, ['decrypt']);
        list.push({ kid: nonEmpty(listedId) ?? prefix, alg: jwk.alg, k: jwk.k, key, current });
      } catch {
        // A key wrapped for someone else is skipped, not fatal.
      }
    }
    ring.set(sub.rid, list);
  }
  return ring;
}

// Finds the payload and the server's own texts in any container (§7).
function unpack(push) {
  if (push === null || typeof push !== 'object' || Array.isArray(push)) throw new Fail('malformed_payload', 'push is not a JSON object');
  let ejson;
  let serverTitle = null;
  let serverBody = null;
  if (push.message && typeof push.message === 'object' && !Array.isArray(push.message)) {
    const data = push.message.data;
    if (!data || typeof data !== 'object') throw new Fail('malformed_payload', 'FCM v1 without data');
    ejson = data.ejson;
    serverTitle = push.message.notification?.title ?? null;
    serverBody = push.message.notification?.body ?? null;
  } else if ('aps' in push) {
    const alert = push.aps?.alert;
    if (typeof alert === 'string') serverBody = alert;
    else if (alert && typeof alert === 'object') {
      serverTitle = alert.title ?? null;
      serverBody = alert.body ?? null;
    }
    ejson = push.ejson;
  } else if ('ejson' in push) {
    ejson = push.ejson;
    serverTitle = push.title ?? null;
    serverBody = push.message ?? null;
  } else if ('host' in push) {
    ejson = push;
  } else {
    throw new Fail('malformed_payload', 'not a Rocket.Chat push');
  }
  if (ejson === undefined) throw new Fail('malformed_payload', 'no ejson');
  let p = ejson;
  if (typeof ejson === 'string') {
    try {
      p = JSON.parse(ejson);
    } catch {
      throw new Fail('malformed_payload', 'ejson is not JSON');
    }
  }
  if (p === null || typeof p !== 'object' || Array.isArray(p) || typeof p.host !== 'string') throw new Fail('malformed_payload', 'payload without host');
  return { p, serverTitle, serverBody };
}

function titleOf(p, serverTitle) {
  if (typeof p.type === 'string' && p.type !== 'd' && nonBlank(p.name)) return `#${p.name}`;
  return nonBlank(p.senderName) ?? nonBlank(serverTitle) ?? 'New message';
}

function outcome(status, fields) {
  return {
    status,
    title: null,
    body: null,
    rid: null,
    message_id: null,
    thread_id: null,
    sender_username: null,
    key_id: null,
    algorithm: null,
    reason: null,
    ...fields,
  };
}

async function referenceOutcome(push, keyring) {
  let unpacked;
  try {
    unpacked = unpack(push);
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    return outcome('failed', { title: 'New message', reason: e.reason });
  }
  const { p, serverTitle, serverBody } = unpacked;
  const title = titleOf(p, serverTitle);
  const ctx = {
    rid: nonEmpty(p.rid),
    message_id: nonEmpty(p.messageId),
    thread_id: nonEmpty(p.tmid),
    sender_username: typeof p.sender?.username === 'string' ? p.sender.username : null,
  };
  if (p.notificationType === 'message-id-only') {
    if (!ctx.message_id) return outcome('failed', { ...ctx, title: 'New message', reason: 'malformed_payload' });
    return outcome('needs_fetch', ctx);
  }
  if (p.messageType !== 'e2e') return outcome('not_encrypted', { ...ctx, title, body: shown(serverBody ?? '') });
  try {
    if (!ctx.rid) throw new Fail('malformed_payload', 'e2e push without rid');
    const enc = parseEncrypted(p.content, p.msg);
    if (!enc) return outcome('needs_fetch', ctx);
    const { body, entry } = await openMessage(enc, keyring.get(ctx.rid) ?? []);
    return outcome('decrypted', { ...ctx, title, body: shown(body), key_id: entry.kid, algorithm: `${enc.format}+${entry.alg}` });
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    return outcome('failed', { ...ctx, title, reason: e.reason });
  }
}

// =====================================================================
// Scenario: who, which rooms, which messages.
// =====================================================================

const T0 = Date.parse('2026-01-15T10:00:00.000Z');
const at = (minutes) => new Date(T0 + minutes * 60000).toISOString();

const DEVICE = { _id: 'BobE2eUsr4Lm2Qw8x', username: 'bob', name: 'Bob Builder', password: 'correct horse battery staple' };
const OTHER = { _id: 'DavE2eUsr9Tt3Rr1y', username: 'dave', name: 'Dave Other' };
const ALICE = { _id: 'AlicE2eUsr7Kq9Zx3', username: 'alice', name: 'Alice Ångström' };
const CAROL = { _id: 'CarE2eUsr5Np8Vb2k', username: 'carol', name: 'Carol Nuñez' };
const userRef = (u) => ({ _id: u._id, username: u.username, name: u.name });

const LATIN1_PASSWORD = 'Pässwörd-Ünïcode';

async function makeUsers() {
  const device = await newRsaUser();
  const other = await newRsaUser();
  return { device, other };
}

// §4 variants. At most three use upstream's 100 000 rounds so that tests
// which unlock every one (twice, with a wrong password too) stay quick.
async function makePrivateKeys(users) {
  const specs = [
    { id: 'pk-v1-ascii-web', who: 'device', password: DEVICE.password, encoding: 'latin1', format: 'v1', iterations: 1000 },
    { id: 'pk-v2-gcm-ascii-web', who: 'device', password: DEVICE.password, encoding: 'latin1', format: 'v2-gcm', iterations: V2_ITERATIONS, salt: 'uuid' },
    { id: 'pk-v2-cbc-ascii-web', who: 'device', password: DEVICE.password, encoding: 'latin1', format: 'v2-cbc', iterations: 10000, salt: 'uuid' },
    { id: 'pk-v1-latin1-web', who: 'other', password: LATIN1_PASSWORD, encoding: 'latin1', format: 'v1', iterations: 1000 },
    { id: 'pk-v1-latin1-mobile', who: 'other', password: LATIN1_PASSWORD, encoding: 'utf8', format: 'v1', iterations: 1000 },
    { id: 'pk-v2-gcm-latin1-web', who: 'other', password: LATIN1_PASSWORD, encoding: 'latin1', format: 'v2-gcm', iterations: V2_ITERATIONS, salt: 'uuid' },
    { id: 'pk-v2-gcm-latin1-mobile', who: 'other', password: LATIN1_PASSWORD, encoding: 'utf8', format: 'v2-gcm', iterations: V2_ITERATIONS, salt: 'mobile' },
  ];
  const out = [];
  for (const s of specs) {
    const user = s.who === 'device' ? DEVICE : OTHER;
    const keys = users[s.who];
    const jwkString = JSON.stringify(keys.privateJwk);
    const salt = s.format === 'v1' ? undefined : `v2:${user._id}:${s.salt === 'mobile' ? 'mobile' : globalThis.crypto.randomUUID()}`;
    const other = s.encoding === 'latin1' ? 'utf8' : 'latin1';
    const stored = await retry(s.id, async () => {
      const stored = await encryptPrivateKey({ userId: user._id, password: s.password, encoding: s.encoding, format: s.format, iterations: s.iterations, salt, jwkString });
      // CBC has no integrity check: keep only blobs that a wrong password,
      // the other string encoding or another user id (v1 salt) really
      // reject, so the "wrong password" tests cannot flake.
      const bad = [
        [user._id, `${s.password}x`, s.encoding],
        [user._id, `${s.password}x`, other],
        ...(s.password === LATIN1_PASSWORD ? [[user._id, s.password, other]] : []),
        ...(s.format === 'v1' ? [['someone-else', s.password, s.encoding], ['someone-else', s.password, other]] : []),
      ];
      for (const [uid, pw, enc] of bad) if (!(await rejects(stored, uid, pw, enc))) return { why: `${uid}/${enc} accepted` };
      return { ok: true, value: stored };
    });
    out.push({
      id: s.id,
      user_id: user._id,
      password: s.password,
      encoding: s.encoding,
      format: s.format,
      iterations: s.iterations,
      fetch_my_keys: { public_key: JSON.stringify(keys.publicJwk), private_key: stored, success: true },
      expected_jwk: keys.privateJwk,
    });
  }
  return out;
}

async function retry(what, fn, tries = 40) {
  let why = '';
  for (let i = 0; i < tries; i++) {
    const r = await fn(i);
    if (r.ok) return r.value;
    why = r.why;
  }
  throw new Error(`${what}: gave up after ${tries} tries (${why})`);
}

const ROOMS = [
  // 8.x group, reset twice: a 7.x CBC key, then a GCM key, then the current one.
  { id: 'R1', rid: 'GrpProjectX0000a1', type: 'p', name: 'project-x', generation: 'v2-gcm', style: 'uuid', wrappedFor: 'device',
    old: [{ generation: 'v2-gcm', style: 'uuid', ts: '2025-11-03T09:00:00.000Z' }, { generation: 'v1-cbc', style: 'sha256-hex', ts: '2025-06-02T08:30:00.000Z' }] },
  // 7.x public channel, never reset.
  { id: 'R2', rid: 'ChnDevTeam00000b2', type: 'c', name: 'dev-team', generation: 'v1-cbc', style: 'sha256-hex', wrappedFor: 'device', old: [] },
  // 6.x DM: Rocket.Chat DM rids are the two user ids, sorted.
  { id: 'R3', rid: ALICE._id + DEVICE._id, type: 'd', name: null, dmWith: ALICE, generation: 'v1-cbc', style: 'base64-prefix', wrappedFor: 'device', old: [] },
  // 6.x group reset once: both keys have the constant id eyJhbGciOiJB.
  { id: 'R4', rid: 'GrpLegacyOps000c4', type: 'p', name: 'legacy-ops', generation: 'v1-cbc', style: 'base64-prefix', wrappedFor: 'device',
    old: [{ generation: 'v1-cbc', style: 'base64-prefix', ts: '2024-09-10T12:00:00.000Z' }] },
  // Key wrapped for another user's RSA key: the device cannot unwrap it.
  { id: 'R5', rid: 'GrpSecretBrd000d5', type: 'p', name: 'secret-board', generation: 'v2-gcm', style: 'uuid', wrappedFor: 'other', old: [] },
];

async function makeRooms(users) {
  const rooms = [];
  for (const [i, r] of ROOMS.entries()) {
    const current = await newRoomKey(r.generation, r.style, { current: true });
    const olds = [];
    for (const o of r.old) olds.push(await newRoomKey(o.generation, o.style, { current: false, ts: o.ts }));
    const wrapKey = r.wrappedFor === 'device' ? users.device.publicKey : users.other.publicKey;
    const sub = {
      _id: `Sub${r.id}${DEVICE._id}`.slice(0, 17),
      rid: r.rid,
      t: r.type,
      name: r.dmWith ? r.dmWith.username : r.name,
      fname: r.dmWith ? r.dmWith.name : r.name,
      u: { _id: DEVICE._id, username: DEVICE.username },
      encrypted: true,
      open: true,
      E2EKey: await wrapRoomKey(current, wrapKey),
    };
    if (olds.length) {
      sub.oldRoomKeys = [];
      for (const o of olds) sub.oldRoomKeys.push({ e2eKeyId: o.kid, ts: o.ts, E2EKey: await wrapRoomKey(o, wrapKey) });
    }
    // Joined before any key reset, so old keys came with the subscription.
    sub.ts = new Date(Date.parse('2024-03-01T09:00:00.000Z') + i * 86400000).toISOString();
    sub._updatedAt = at(-10 + i);
    rooms.push({ ...r, current, olds, all: [current, ...olds], subscription: sub });
  }
  const r4 = rooms.find((r) => r.id === 'R4');
  assert.ok(r4.all.every((k) => k.kid === 'eyJhbGciOiJB'), '6.x keyIDs collide on eyJhbGciOiJB');
  return rooms;
}

function roomJson(room) {
  const out = { rid: room.rid, type: room.type };
  if (room.name) out.name = room.name;
  Object.assign(out, {
    generation: room.generation,
    key_id_style: room.style,
    wrapped_for: room.wrappedFor === 'device' ? 'device_user' : 'other_user',
    subscription: room.subscription,
    keys: room.all.map((k) => ({ kid: k.kid, alg: k.alg, k: k.jwk.k, current: k.current })),
  });
  return out;
}

const LONG_TEXT = Array.from({ length: 40 }, (_, i) =>
  `Line ${String(i + 1).padStart(2, '0')}: the quarterly report — figures, notes & caveats; “quotes” and ümlauts.`,
).join('\n');

const fileMessage = (files, description = '') => ({
  attachments: [{ title: files[0].name, type: 'file', description, title_link: `/file-upload/${files[0]._id}/${encodeURIComponent(files[0].name)}`, title_link_download: true }],
  files,
  file: files[0],
});
const PDF = { _id: 'FilReportPdf00001', name: 'report.pdf', type: 'application/pdf', size: 1234 };
const PNG = { _id: 'FilChartPng000002', name: 'chart.png', type: 'image/png', size: 48213 };
const LOG = { _id: 'FilBuildLog000003', name: 'build-log.txt', type: 'text/plain', size: 5120 };

// [id, room, key ('current' | old index), format, sender, content, extra]
// content: a string is a text message; an object is a file message.
const MESSAGES = [
  ['m01', 'R1', 'current', 'rc.v2-gcm', ALICE, 'Meeting at 10:30 in room B: bring laptops'],
  ['m02', 'R1', 'current', 'rc.v2-gcm', CAROL, 'Héllo wörld 👋🏽 — שלום עולם — مرحبا بالعالم 🌍🚀'],
  ['m03', 'R1', 'current', 'rc.v2-gcm', ALICE, LONG_TEXT],
  ['m04', 'R1', 'current', 'rc.v2-gcm', ALICE, ''],
  ['m05', 'R1', 'current', 'rc.v2-gcm', CAROL, '**Release 2.4** is _out_:\n- `pushseal` fixes\n- see [the notes](https://chat.example.org/notes)\n\n> ship it'],
  ['m06', 'R1', 'current', 'rc.v2-gcm', ALICE, '{"looks":"like json"}'],
  ['m07', 'R1', 'current', 'rc.v2-gcm', ALICE, fileMessage([PDF])],
  ['m08', 'R1', 'current', 'rc.v2-gcm', CAROL, fileMessage([PDF], 'Q3 numbers: see page 2')],
  ['m09', 'R1', 'current', 'rc.v2-gcm', ALICE, fileMessage([PDF, PNG])],
  ['m10', 'R1', 0, 'rc.v2-gcm', ALICE, 'Sent before the last key reset'],
  ['m11', 'R1', 1, 'rc.v1', CAROL, 'From the 7.x days: rc.v1 under the first room key'],
  ['m12', 'R1', 'current', 'rc.v2-gcm', CAROL, 'I will bring the projector 👍', { tmid: 'm01' }],
  ['m13', 'R2', 'current', 'rc.v1', ALICE, 'Deploy finished: 3 services, 0 errors'],
  ['m14', 'R2', 'current', 'rc.v2-cbc', CAROL, 'Newest web, old room key: rc.v2 label over AES-CBC'],
  ['m15', 'R2', 'current', 'rc.v2-cbc', ALICE, fileMessage([LOG])],
  ['m16', 'R2', 'current', 'rc.v1', CAROL, 'Ünïcödé in CBC ✓ — 你好，世界'],
  ['m17', 'R3', 'current', 'legacy-msg', ALICE, 'Hello Bob! 👋'],
  ['m18', 'R3', 'current', 'rc.v1', ALICE, 'Can you review my PR: #42?'],
  ['m19', 'R3', 'current', 'rc.v2-cbc', ALICE, 'Sent from the newest web client'],
  ['m20', 'R4', 'current', 'legacy-msg', ALICE, 'Legacy format, current key'],
  ['m21', 'R4', 0, 'legacy-msg', CAROL, 'Legacy format, from before the reset'],
  ['m22', 'R4', 0, 'rc.v1', ALICE, 'rc.v1 under the old key'],
  ['m23', 'R4', 'current', 'rc.v1', CAROL, 'rc.v1 under the current key'],
  // Nothing to show: a push of these shows the generic text (added with
  // --extend, so the messages above kept their bytes).
  ['m24', 'R1', 'current', 'rc.v2-gcm', ALICE, '   '],
  ['m25', 'R2', 'current', 'rc.v1', CAROL, ''],
  ['m26', 'R2', 'current', 'rc.v1', ALICE, ' \n\t '],
  ['m27', 'R2', 'current', 'rc.v2-cbc', CAROL, ''],
  ['m28', 'R3', 'current', 'rc.v2-cbc', ALICE, '  '],
  ['m29', 'R3', 'current', 'legacy-msg', ALICE, ''],
  ['m30', 'R1', 'current', 'rc.v2-gcm', CAROL, { msg: '  ', ...fileMessage([PDF]) }],
  ['m31', 'R1', 'current', 'rc.v2-gcm', ALICE, fileMessage([PNG], '   ')],
];

const msgId = (n) => `MsgE2eVec${String(n).padStart(8, '0')}`;

// `existing` (the committed messages, for --extend) are kept as they are;
// only the messages after them are made.
async function makeMessages(rooms, keyringFromGen, existing = []) {
  const byLabel = new Map();
  const out = [];
  for (const [i, [label, roomId, keySel, format, sender, body, extra]] of MESSAGES.entries()) {
    const room = rooms.find((r) => r.id === roomId);
    const key = keySel === 'current' ? room.current : room.olds[keySel];
    if (i < existing.length) {
      const rec = existing[i];
      assert.equal(rec.id, msgId(i + 1));
      assert.equal(rec.kid, key.kid, `${label}: key`);
      byLabel.set(label, { ...rec, room, key, sender, label });
      out.push(rec);
      continue;
    }
    const id = msgId(i + 1);
    const tsIso = at(i);
    let plaintext;
    if (format === 'legacy-msg') plaintext = JSON.stringify({ _id: id, text: body, userId: sender._id, ts: { $date: Date.parse(tsIso) } });
    else if (typeof body === 'string') plaintext = JSON.stringify({ msg: body });
    else plaintext = JSON.stringify(body);
    const expectedBody = bodyOf(JSON.parse(plaintext));
    const tmid = extra?.tmid ? byLabel.get(extra.tmid).id : undefined;
    // Retry in the unlikely case a CBC key tried earlier turns the
    // ciphertext into something that parses: the vector must be unambiguous.
    const enc = await retry(`message ${label}`, async () => {
      const enc = await encryptFor(format, key, plaintext);
      const parsed = parseEncrypted(enc.content, enc.msg);
      const got = await openMessage(parsed, keyringFromGen.get(room.rid));
      return got.entry.k === key.jwk.k && got.text === plaintext ? { ok: true, value: enc } : { why: 'another key opened it' };
    });
    const message = { _id: id, rid: room.rid, msg: enc.msg, t: 'e2e', e2e: 'pending' };
    if (enc.content) message.content = enc.content;
    message.u = userRef(sender);
    if (tmid) message.tmid = tmid;
    message.ts = tsIso;
    const rec = { id, rid: room.rid, format, kid: key.kid, key_current: key.current, plaintext, expected_body: expectedBody, message };
    byLabel.set(label, { ...rec, room, key, sender, label });
    out.push(rec);
  }
  return { list: out, byLabel };
}

// ------------------------------------------------------------ push building

// Server texts (§7.1, §7.3): legacy msg → "Encrypted message", content
// formats → "" (so "alice: " in groups), id-only → "You have a new message".
function serverNote(p, mode, plainText) {
  if (mode === 'message-id-only') return { title: '', text: 'You have a new message' };
  const display = p.senderName ?? '';
  const roomName = p.type !== 'd' && p.name ? `#${p.name}` : '';
  const body = p.messageType === 'e2e' ? (p.msg ? 'Encrypted message' : '') : plainText;
  return { title: roomName || display, text: roomName ? `${display}: ${body}` : body };
}

function wrap(container, payload, note, rid, badge) {
  const ejson = JSON.stringify(payload);
  const nid = notId(rid);
  switch (container) {
    case 'apns': {
      // node-apn sets title/body only when non-empty and collapses a
      // body-only alert to a string.
      const alert = {};
      if (note.title) alert.title = note.title;
      if (note.text) alert.body = note.text;
      assert.ok(alert.title || alert.body, 'an APNs alert needs some text');
      const a = alert.title === undefined ? alert.body : alert;
      return { ejson, messageFrom: 'push', aps: { badge, sound: 'default', category: 'MESSAGE', alert: a, 'thread-id': String(nid), 'mutable-content': 1 } };
    }
    case 'fcm-data':
      return { ejson, title: note.title, message: note.text, image: IMAGE, msgcnt: String(badge), soundname: 'default', notId: String(nid), style: 'inbox' };
    case 'fcm-v1':
      return {
        message: {
          notification: { title: note.title, body: note.text },
          data: { ejson, image: IMAGE, msgcnt: String(badge), soundname: 'default', notId: String(nid), style: 'inbox' },
          android: { priority: 'HIGH' },
          token: FCM_TOKEN,
        },
      };
    case 'ejson':
      return payload;
    default:
      throw new Error(container);
  }
}

// The payload object in upstream member order (§7.4).
function payloadOf({ id, room, sender, tmid, t = 'e2e', msg, content, senderName, name }) {
  const p = { host: HOST, messageId: id, notificationType: 'message', rid: room.rid, sender: userRef(sender) };
  p.senderName = senderName ?? sender.username;
  p.type = room.type;
  if (room.type !== 'd') p.name = name ?? room.name;
  if (t !== undefined && t !== null) p.messageType = t;
  if (tmid) p.tmid = tmid;
  if (t === 'e2e') {
    p.msg = msg;
    if (content !== undefined) p.content = content;
  }
  return p;
}

const idOnlyPayload = (id) => ({ host: HOST, messageId: id, notificationType: 'message-id-only' });

function serverTitleOf(container, pushObj) {
  if (container === 'apns') return typeof pushObj.aps.alert === 'object' ? pushObj.aps.alert.title ?? null : null;
  if (container === 'fcm-data') return pushObj.title;
  if (container === 'fcm-v1') return pushObj.message.notification.title;
  return null;
}
function serverBodyOf(container, pushObj) {
  if (container === 'apns') return typeof pushObj.aps.alert === 'string' ? pushObj.aps.alert : pushObj.aps.alert.body ?? '';
  if (container === 'fcm-data') return pushObj.message;
  if (container === 'fcm-v1') return pushObj.message.notification.body;
  return '';
}

async function makePushes(rooms, messages, keyring) {
  const pushes = [];
  let badge = 0;
  let badId = 0;
  const roomById = (id) => rooms.find((r) => r.id === id);
  const add = (entry) => {
    entry.id = `p${String(pushes.length + 1).padStart(2, '0')}-${entry.id}`;
    pushes.push(entry);
    return entry;
  };

  // -- positives: every container × every format, plus texts and titles.
  const positive = (label, container, what, opts = {}) => {
    const m = messages.byLabel.get(label);
    const p = payloadOf({ id: m.id, room: m.room, sender: m.sender, tmid: m.message.tmid, msg: m.message.msg, content: m.message.content, senderName: opts.senderName, name: opts.name });
    const note = serverNote(p, 'message');
    const payload = wrap(container, p, note, m.rid, ++badge);
    return add({
      id: `${container}-${m.format}-${opts.tag ?? label}`,
      description: what,
      container,
      mode: 'message',
      message_id: m.id,
      payload,
      expected: outcome('decrypted', {
        title: titleOf(p, serverTitleOf(container, payload)),
        body: shown(m.expected_body),
        rid: m.rid,
        message_id: m.id,
        thread_id: m.message.tmid ?? null,
        sender_username: m.sender.username,
        key_id: m.kid,
        algorithm: `${ALGORITHM_LABEL[m.format]}+${m.key.alg}`,
      }),
    });
  };
  const P = {};
  P.colons = positive('m01', 'apns', 'rc.v2 GCM group message with colons; the body is kept whole');
  positive('m01', 'fcm-data', 'same message as an Android legacy data push (the app would cut at the first colon; we must not)');
  positive('m02', 'apns', 'unicode: accents, emoji with skin tone, Hebrew and Arabic (RTL)');
  positive('m03', 'fcm-v1', 'long (~3 KB) multi-line text');
  positive('m04', 'fcm-data', 'empty text');
  P.fcmV1 = positive('m05', 'fcm-v1', 'markdown text, shown as written');
  positive('m06', 'ejson', 'text that is itself JSON must stay text');
  P.file = positive('m07', 'apns', 'file message without caption: paperclip and file name');
  positive('m08', 'fcm-data', 'file message with a caption: the caption is the body');
  positive('m09', 'ejson', 'message with two files: both names');
  P.oldKey = positive('m10', 'apns', 'message under the rotated-out GCM key (oldRoomKeys)');
  positive('m11', 'fcm-v1', 'rc.v1 under the oldest (7.x, sha256-hex kid) CBC key of a v2 room');
  positive('m12', 'apns', 'thread reply: tmid is the thread id');
  positive('m13', 'apns', 'rc.v1 content in a 7.x channel');
  P.v2cbc = positive('m14', 'apns', 'rc.v2 label over AES-128-CBC (newest web, room still on its old key)');
  positive('m15', 'fcm-v1', 'rc.v2-labelled CBC file message');
  P.ejson = positive('m16', 'ejson', 'rc.v1 unicode text');
  P.legacyDm = positive('m17', 'fcm-data', 'legacy msg format (6.x) in a DM');
  positive('m17', 'apns', 'legacy msg format (6.x) in a DM, iOS');
  P.dmV1 = positive('m18', 'fcm-data', 'rc.v1 DM as an Android legacy data push');
  positive('m19', 'fcm-data', 'rc.v2-labelled CBC in a DM');
  positive('m19', 'ejson', 'rc.v2-labelled CBC in a DM, bare payload');
  positive('m20', 'apns', 'legacy msg in a 6.x group whose keys share the id eyJhbGciOiJB (current key)');
  positive('m20', 'fcm-v1', 'legacy msg in a group, FCM v1');
  positive('m21', 'ejson', 'legacy msg under the old key of a 6.x group: same kid as the current key');
  positive('m22', 'fcm-data', 'rc.v1 under the old key of a 6.x group: same kid as the current key');
  positive('m23', 'fcm-v1', 'rc.v1 under the current key of a 6.x group');
  positive('m18', 'apns', 'DM with UI_Use_Real_Name: senderName is the real name and becomes the title', { senderName: ALICE.name, tag: 'realname' });
  positive('m13', 'fcm-data', 'Push_show_username_room off: no room or sender name, so the fallback title', { senderName: '', name: '', tag: 'nonames' });

  // -- not encrypted: shown as the server sent it.
  const general = { rid: 'GENERAL', type: 'c', name: 'general' };
  const carolDm = { rid: CAROL._id + DEVICE._id, type: 'd' };
  const plainPush = (container, room, sender, text, what, tag) => {
    const id = `MsgPlainVec${String(pushes.length).padStart(6, '0')}`;
    const p = payloadOf({ id, room, sender, t: null });
    const note = serverNote(p, 'message', text);
    const payload = wrap(container, p, note, room.rid, ++badge);
    return add({
      id: `${container}-plain-${tag}`,
      description: what,
      container,
      mode: 'message',
      payload,
      expected: outcome('not_encrypted', {
        title: titleOf(p, serverTitleOf(container, payload)),
        body: shown(serverBodyOf(container, payload)),
        rid: room.rid,
        message_id: id,
        sender_username: sender.username,
      }),
    });
  };
  P.plain = plainPush('apns', general, ALICE, 'Lunch at 12:30? 🍕', 'unencrypted group message: server text as is', 'group');
  plainPush('fcm-data', carolDm, CAROL, 'Are you around?', 'unencrypted DM', 'dm');
  plainPush('fcm-v1', general, CAROL, 'Build is green', 'unencrypted group message, FCM v1', 'group');
  plainPush('ejson', general, ALICE, 'No container, no server text', 'unencrypted bare payload: empty body', 'bare');

  // -- needs fetch: id-only for each format, and 6.10–6.14 content pushes.
  const idOnly = (label, container, what) => {
    const m = messages.byLabel.get(label);
    const p = idOnlyPayload(m.id);
    const payload = wrap(container, p, serverNote(p, 'message-id-only'), m.rid, ++badge);
    return add({
      id: `${container}-idonly-${m.format}`,
      description: what,
      container,
      mode: 'message-id-only',
      message_id: m.id,
      payload,
      expected: outcome('needs_fetch', { message_id: m.id }),
    });
  };
  P.idOnly = idOnly('m01', 'apns', 'id-only push (privacy mode) for an rc.v2 GCM message');
  idOnly('m18', 'fcm-data', 'id-only push for an rc.v1 message');
  idOnly('m14', 'fcm-v1', 'id-only push for an rc.v2-labelled CBC message');
  idOnly('m17', 'ejson', 'id-only push for a legacy msg message');
  idOnly('m09', 'fcm-data', 'id-only push for a file message');
  const noCiphertext = (label, container, what) => {
    const m = messages.byLabel.get(label);
    const p = payloadOf({ id: m.id, room: m.room, sender: m.sender, msg: '' });
    const payload = wrap(container, p, serverNote(p, 'message'), m.rid, ++badge);
    return add({
      id: `${container}-nociphertext-${m.format}`,
      description: what,
      container,
      mode: 'message',
      message_id: m.id,
      payload,
      expected: outcome('needs_fetch', { rid: m.rid, message_id: m.id, sender_username: m.sender.username }),
    });
  };
  noCiphertext('m13', 'apns', '6.10–6.14 server: e2e push with msg "" and no content');
  noCiphertext('m18', 'fcm-data', '6.10–6.14 server, DM: e2e push with msg "" and no content');

  // -- failures. Each is rebuilt until WebCrypto fails the intended way.
  const failed = async (container, tag, what, build, reason, { room: roomId = 'R1', sender = ALICE } = {}) => {
    const room = typeof roomId === 'string' ? roomById(roomId) ?? { rid: roomId, type: 'p', name: 'unknown-room' } : roomId;
    const id = `MsgE2eBad${String(++badId).padStart(8, '0')}`;
    const entry = await retry(`negative ${tag}`, async () => {
      const built = await build({ room, id, sender });
      const payload = built.payload ?? wrap(container, built.p, serverNote(built.p, built.mode ?? 'message'), room.rid, ++badge);
      const p = built.p;
      let expected;
      if (built.unreadable) expected = outcome('failed', { title: 'New message', reason });
      else {
        const title = built.titleOverride ?? titleOf(p, serverTitleOf(container, payload));
        expected = outcome('failed', {
          title,
          rid: nonEmpty(p.rid),
          message_id: nonEmpty(p.messageId),
          thread_id: nonEmpty(p.tmid),
          sender_username: p.sender?.username ?? null,
          reason,
        });
      }
      const got = await referenceOutcome(payload, keyring);
      try {
        assert.deepEqual(got, expected);
      } catch {
        return { why: `reference gave ${got.status}/${got.reason}` };
      }
      return { ok: true, value: { payload, expected } };
    });
    return add({ id: `${container}-${tag}`, description: what, container, mode: 'message', payload: entry.payload, expected: entry.expected });
  };

  const R1 = roomById('R1');
  const R2 = roomById('R2');
  const R3 = roomById('R3');
  const R4 = roomById('R4');
  const R5 = roomById('R5');
  const textPlain = (s) => JSON.stringify({ msg: s });
  const gcmParts = async (key, plaintext) => {
    const enc = await encryptFor('rc.v2-gcm', key, plaintext);
    return { kid: key.kid, iv: Buffer.from(enc.content.iv, 'base64'), ct: Buffer.from(enc.content.ciphertext, 'base64') };
  };
  const v2Content = (kid, iv, ct) => ({ algorithm: 'rc.v2.aes-sha2', kid, iv: typeof iv === 'string' ? iv : b64(iv), ciphertext: typeof ct === 'string' ? ct : b64(ct) });
  const e2ePayload = (ctx, content, msg = '') => payloadOf({ id: ctx.id, room: ctx.room, sender: ctx.sender, msg, content });
  const flip = (buf, i) => {
    const out = Buffer.from(buf);
    out[(i + out.length) % out.length] ^= 0x01 << Math.floor(Math.random() * 8);
    return out;
  };
  const tempKey = async (generation) => newRoomKey(generation, 'uuid', { current: false });
  const cbcString = async (key, plaintext, kid = key.kid) => {
    const { iv, ct } = await aesEncrypt(key, plaintext, 16);
    return { kid, iv, ct };
  };
  const v1Content = (kid, data) => ({ algorithm: 'rc.v1.aes-sha2', ciphertext: kid + (typeof data === 'string' ? data : b64(data)) });

  P.tampered = await failed('apns', 'gcm-tampered-ct', 'GCM ciphertext byte flipped', async (c) => {
    const g = await gcmParts(R1.current, textPlain('Pay Bob 100 EUR'));
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, flip(g.ct, 0))) };
  }, 'bad_auth_tag');
  await failed('fcm-data', 'gcm-tampered-tag', 'GCM tag byte flipped', async (c) => {
    const g = await gcmParts(R1.current, textPlain('tag tamper'));
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, flip(g.ct, -1))) };
  }, 'bad_auth_tag');
  await failed('fcm-v1', 'gcm-tampered-iv', 'GCM IV byte flipped', async (c) => {
    const g = await gcmParts(R1.current, textPlain('iv tamper'));
    return { p: e2ePayload(c, v2Content(g.kid, flip(g.iv, 3), g.ct)) };
  }, 'bad_auth_tag');
  await failed('ejson', 'gcm-truncated', 'GCM ciphertext with its last 5 bytes cut off', async (c) => {
    const g = await gcmParts(R1.current, textPlain('truncated message text'));
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, g.ct.subarray(0, g.ct.length - 5))) };
  }, 'bad_auth_tag');
  await failed('apns', 'gcm-too-short', 'GCM ciphertext of 10 bytes, shorter than the tag', async (c) => {
    const g = await gcmParts(R1.current, textPlain('short'));
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, g.ct.subarray(0, 10))) };
  }, 'bad_ciphertext');
  await failed('fcm-data', 'gcm-wrong-key', 'GCM under a key the room does not have, labelled with the current kid', async (c) => {
    const g = await gcmParts(await tempKey('v2-gcm'), textPlain('wrong key'));
    return { p: e2ePayload(c, v2Content(R1.current.kid, g.iv, g.ct)) };
  }, 'bad_auth_tag');
  await failed('fcm-v1', 'gcm-wrong-key-old-kid', 'GCM under a foreign key labelled with the old GCM kid: old and current keys both fail', async (c) => {
    const g = await gcmParts(await tempKey('v2-gcm'), textPlain('wrong key, old kid'));
    return { p: e2ePayload(c, v2Content(R1.olds[0].kid, g.iv, g.ct)) };
  }, 'bad_auth_tag');
  await failed('apns', 'gcm-iv-16-bytes', 'rc.v2 for a GCM key with a 16-byte IV', async (c) => {
    const g = await gcmParts(R1.current, textPlain('iv length'));
    return { p: e2ePayload(c, v2Content(g.kid, randomBytes(16), g.ct)) };
  }, 'bad_ciphertext');
  await failed('fcm-data', 'cbc-iv-12-bytes', 'rc.v2 for a CBC key with a 12-byte IV', async (c) => {
    const s = await cbcString(R2.current, textPlain('iv length'));
    return { p: e2ePayload(c, v2Content(s.kid, s.iv.subarray(0, 12), s.ct)) };
  }, 'bad_ciphertext', { room: 'R2' });
  await failed('apns', 'cbc-tampered-last-block', 'rc.v1 with a byte of the last block flipped: padding breaks', async (c) => {
    const s = await cbcString(R2.current, textPlain('The last block will be damaged'));
    return { p: e2ePayload(c, v1Content(s.kid, concat(s.iv, flip(s.ct, -3)))) };
  }, 'bad_padding', { room: 'R2' });
  await failed('fcm-data', 'legacy-tampered-last-block', 'legacy msg with the last block damaged', async (c) => {
    const s = await cbcString(R3.current, JSON.stringify({ _id: c.id, text: 'tampered', userId: ALICE._id, ts: { $date: T0 } }));
    return { p: e2ePayload(c, undefined, s.kid + b64(concat(s.iv, flip(s.ct, -1)))) };
  }, 'bad_padding', { room: 'R3' });
  await failed('fcm-v1', 'v2cbc-tampered-last-block', 'rc.v2-labelled CBC with the last block damaged', async (c) => {
    const s = await cbcString(R2.current, textPlain('v2 label, CBC body, damaged'));
    return { p: e2ePayload(c, v2Content(s.kid, s.iv, flip(s.ct, -7))) };
  }, 'bad_padding', { room: 'R2' });
  await failed('ejson', 'cbc-truncated-partial', 'rc.v1 ciphertext cut by 5 bytes: not a multiple of 16', async (c) => {
    const s = await cbcString(R2.current, textPlain('cut short'));
    return { p: e2ePayload(c, v1Content(s.kid, concat(s.iv, s.ct.subarray(0, s.ct.length - 5)))) };
  }, 'bad_ciphertext', { room: 'R2' });
  await failed('apns', 'cbc-truncated-block', 'rc.v1 ciphertext missing its last block: the padding check fails', async (c) => {
    const s = await cbcString(R2.current, textPlain('this text is long enough for several blocks'));
    return { p: e2ePayload(c, v1Content(s.kid, concat(s.iv, s.ct.subarray(0, s.ct.length - 16)))) };
  }, 'bad_padding', { room: 'R2' });
  await failed('fcm-data', 'cbc-iv-only', 'rc.v1 ciphertext that is only an IV', async (c) => {
    const s = await cbcString(R2.current, textPlain('x'));
    return { p: e2ePayload(c, v1Content(s.kid, s.iv)) };
  }, 'bad_ciphertext', { room: 'R2' });
  await failed('fcm-v1', 'cbc-wrong-key', 'rc.v1 under a foreign CBC key labelled with the room kid', async (c) => {
    const s = await cbcString(await tempKey('v1-cbc'), textPlain('wrong CBC key'), R2.current.kid);
    return { p: e2ePayload(c, v1Content(s.kid, concat(s.iv, s.ct))) };
  }, 'bad_padding', { room: 'R2' });
  await failed('apns', 'legacy-wrong-key-6x', 'legacy msg under a foreign key with kid eyJhbGciOiJB: both room keys fail', async (c) => {
    const s = await cbcString(await tempKey('v1-cbc'), JSON.stringify({ _id: c.id, text: 'foreign', userId: ALICE._id, ts: { $date: T0 } }), 'eyJhbGciOiJB');
    return { p: e2ePayload(c, undefined, s.kid + b64(concat(s.iv, s.ct))) };
  }, 'bad_padding', { room: 'R4' });
  await failed('ejson', 'v2cbc-wrong-key', 'rc.v2-labelled CBC under a foreign key with the room kid', async (c) => {
    const s = await cbcString(await tempKey('v1-cbc'), textPlain('wrong key'), R2.current.kid);
    return { p: e2ePayload(c, v2Content(s.kid, s.iv, s.ct)) };
  }, 'bad_padding', { room: 'R2' });
  await failed('fcm-data', 'base64url-ciphertext', 'rc.v2 ciphertext in base64url (- and _): the standard codec rejects it', async (c) => {
    for (;;) {
      const g = await gcmParts(R1.current, textPlain('url-safe alphabet'));
      const std = b64(g.ct);
      if (/[+/]/.test(std)) return { p: e2ePayload(c, v2Content(g.kid, g.iv, std.replaceAll('+', '-').replaceAll('/', '_'))) };
    }
  }, 'bad_ciphertext');
  await failed('apns', 'base64-bang-v1', 'rc.v1 ciphertext with a "!" in it', async (c) => {
    const s = await cbcString(R2.current, textPlain('bang'));
    const data = b64(concat(s.iv, s.ct));
    return { p: e2ePayload(c, v1Content(s.kid, `${data.slice(0, 20)}!${data.slice(21)}`)) };
  }, 'bad_ciphertext', { room: 'R2' });
  await failed('fcm-v1', 'base64-bang-iv', 'rc.v2 iv with a "!" in it', async (c) => {
    const g = await gcmParts(R1.current, textPlain('bang iv'));
    const iv = b64(g.iv);
    return { p: e2ePayload(c, v2Content(g.kid, `${iv.slice(0, 5)}!${iv.slice(6)}`, g.ct)) };
  }, 'bad_ciphertext');
  await failed('apns', 'megolm', 'content.algorithm m.megolm.v1.aes-sha2', async (c) => {
    const g = await gcmParts(R1.current, textPlain('megolm'));
    return { p: e2ePayload(c, { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: b64(g.ct) }) };
  }, 'unsupported_algorithm');
  await failed('fcm-data', 'rc-v9', 'content.algorithm rc.v9.foo', async (c) => {
    const g = await gcmParts(R1.current, textPlain('future'));
    return { p: e2ePayload(c, { algorithm: 'rc.v9.foo', kid: g.kid, iv: b64(g.iv), ciphertext: b64(g.ct) }) };
  }, 'unsupported_algorithm');
  await failed('ejson', 'v2-no-iv', 'rc.v2 content without iv', async (c) => {
    const g = await gcmParts(R1.current, textPlain('no iv'));
    return { p: e2ePayload(c, { algorithm: 'rc.v2.aes-sha2', kid: g.kid, ciphertext: b64(g.ct) }) };
  }, 'malformed_payload');
  await failed('fcm-v1', 'v1-no-ciphertext', 'rc.v1 content without ciphertext', async (c) => ({
    p: e2ePayload(c, { algorithm: 'rc.v1.aes-sha2' }),
  }), 'malformed_payload', { room: 'R2' });
  await failed('apns', 'no-rid', 'e2e push without rid', async (c) => {
    const g = await gcmParts(R1.current, textPlain('no rid'));
    const p = e2ePayload(c, v2Content(g.kid, g.iv, g.ct));
    delete p.rid;
    return { p };
  }, 'malformed_payload');
  await failed('apns', 'no-ejson', 'APNs body without ejson', async (c) => {
    const p = e2ePayload(c, undefined);
    const payload = wrap('apns', p, serverNote(p, 'message'), c.room.rid, ++badge);
    delete payload.ejson;
    return { p, payload, unreadable: true };
  }, 'malformed_payload');
  await failed('fcm-data', 'ejson-not-json', 'FCM data whose ejson is not JSON', async (c) => {
    const p = e2ePayload(c, undefined);
    const payload = wrap('fcm-data', p, serverNote(p, 'message'), c.room.rid, ++badge);
    payload.ejson = payload.ejson.slice(0, 40);
    return { p, payload, unreadable: true };
  }, 'malformed_payload');
  await failed('fcm-v1', 'ejson-no-host', 'FCM v1 whose ejson has no host', async (c) => {
    const g = await gcmParts(R1.current, textPlain('no host'));
    const p = e2ePayload(c, v2Content(g.kid, g.iv, g.ct));
    delete p.host;
    return { p, unreadable: true };
  }, 'malformed_payload');
  await failed('ejson', 'not-an-object', 'push body that is not a JSON object (a JSON string)', async () => ({
    p: {}, payload: '{"ejson": this is not JSON', unreadable: true,
  }), 'malformed_payload');
  await failed('apns', 'idonly-no-messageid', 'id-only push without messageId: nothing to fetch', async (c) => {
    const p = { host: HOST, notificationType: 'message-id-only' };
    return { p, payload: wrap('apns', p, serverNote(p, 'message-id-only'), c.room.rid, ++badge), titleOverride: 'New message' };
  }, 'malformed_payload');
  await failed('fcm-data', 'plaintext-not-json', 'decrypts, but the plaintext is "hello"', async (c) => {
    const g = await gcmParts(R1.current, 'hello');
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, g.ct)) };
  }, 'bad_plaintext');
  await failed('apns', 'plaintext-array', 'decrypts, but the plaintext is [1,2]', async (c) => {
    const s = await cbcString(R2.current, '[1,2]');
    return { p: e2ePayload(c, v1Content(s.kid, concat(s.iv, s.ct))) };
  }, 'bad_plaintext', { room: 'R2' });
  await failed('fcm-v1', 'unknown-room', 'room the keys know nothing about', async (c) => {
    const g = await gcmParts(await tempKey('v2-gcm'), textPlain('unknown room'));
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, g.ct)) };
  }, 'no_room_key', { room: { rid: 'GrpUnknown00000e6', type: 'p', name: 'elsewhere' } });
  await failed('ejson', 'unknown-kid', 'rc.v2 with an unknown kid that the current key does not open', async (c) => {
    const g = await gcmParts(await tempKey('v2-gcm'), textPlain('from a key we never got'));
    return { p: e2ePayload(c, v2Content(globalThis.crypto.randomUUID(), g.iv, g.ct)) };
  }, 'no_room_key');
  await failed('apns', 'wrapped-for-other-user', 'room whose E2EKey is wrapped for another user: no usable key', async (c) => {
    const g = await gcmParts(R5.current, textPlain('not for the device user'));
    return { p: e2ePayload(c, v2Content(g.kid, g.iv, g.ct)) };
  }, 'no_room_key', { room: 'R5' });
  await failed('fcm-data', 'legacy-dm-wrong-key', 'legacy msg in a DM under a foreign key', async (c) => {
    const s = await cbcString(await tempKey('v1-cbc'), JSON.stringify({ _id: c.id, text: 'x', userId: ALICE._id, ts: { $date: T0 } }), R3.current.kid);
    return { p: e2ePayload(c, undefined, s.kid + b64(concat(s.iv, s.ct))) };
  }, 'bad_padding', { room: 'R3' });

  // -- nothing to show: blank texts become the generic text (added with
  // --extend; the status stays what it was).
  positive('m24', 'apns', 'rc.v2 GCM message that is only spaces: the generic text is shown');
  positive('m25', 'fcm-data', 'empty rc.v1 message: the generic text is shown');
  positive('m26', 'fcm-v1', 'rc.v1 message of spaces, a newline and a tab: the generic text is shown');
  positive('m27', 'ejson', 'empty message, rc.v2 label over CBC: the generic text is shown');
  positive('m28', 'apns', 'rc.v2-labelled CBC DM of spaces: the generic text is shown');
  positive('m29', 'fcm-data', 'legacy msg whose text is empty: the generic text is shown');
  positive('m30', 'fcm-v1', 'file message whose msg is only spaces: the file name is the body');
  positive('m31', 'ejson', 'file message whose caption is only spaces: the file name is the body');
  plainPush('apns', carolDm, CAROL, '', 'unencrypted DM, APNs alert with a title only: the generic text is shown', 'dm-title-only');
  plainPush('fcm-data', carolDm, CAROL, '   ', 'unencrypted DM whose server text is spaces: the generic text is shown', 'dm-blank');

  return { pushes, picks: P };
}

// =====================================================================
// Self-check: everything is re-derived from the files on disk.
// =====================================================================

async function selfCheck() {
  const problems = [];
  const check = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      problems.push(`${what}: ${e.message.split('\n').slice(0, 12).join('\n  ')}`);
    }
  };
  const load = (dir, name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
  const v = load(OUT, 'rocketchat.json');
  const device = v.device_user;
  const keyring = await buildKeyring(v.rooms.map((r) => r.subscription), device.private_jwk);

  await check('device fetch_my_keys unlocks to private_jwk', async () => {
    const s = await decryptPrivateKey(device.fetch_my_keys.private_key, device.user_id, device.password, 'latin1');
    assert.equal(s, JSON.stringify(device.private_jwk));
    assert.equal(JSON.parse(device.fetch_my_keys.public_key).n, device.private_jwk.n);
  });
  for (const pk of v.private_keys) {
    await check(`private key ${pk.id}`, async () => {
      const stored = pk.fetch_my_keys.private_key;
      assert.equal(await decryptPrivateKey(stored, pk.user_id, pk.password, pk.encoding), JSON.stringify(pk.expected_jwk));
      assert.equal(JSON.parse(pk.fetch_my_keys.public_key).n, pk.expected_jwk.n);
      for (const enc of ['latin1', 'utf8']) assert.ok(await rejects(stored, pk.user_id, `${pk.password}x`, enc), `wrong password (${enc}) accepted`);
      if (/[^\x00-\x7f]/.test(pk.password)) assert.ok(await rejects(stored, pk.user_id, pk.password, pk.encoding === 'latin1' ? 'utf8' : 'latin1'), 'other encoding accepted');
      const s = JSON.parse(stored);
      if (pk.format === 'v1') {
        assert.equal(pk.iterations, 1000);
        assert.ok(await rejects(stored, 'someone-else', pk.password, pk.encoding), 'v1 key not bound to the user id');
      } else {
        assert.deepEqual(Object.keys(s), ['iv', 'ciphertext', 'salt', 'iterations']);
        assert.equal(s.iterations, pk.iterations);
        assert.equal(Buffer.from(s.iv, 'base64').length, pk.format === 'v2-gcm' ? 12 : 16);
        assert.ok(s.salt.startsWith(`v2:${pk.user_id}:`));
      }
    });
  }
  await check('at most three 100 000-round keys', () => assert.ok(v.private_keys.filter((k) => k.iterations >= V2_ITERATIONS).length <= 3));

  for (const room of v.rooms) {
    await check(`room ${room.rid} keys`, async () => {
      const got = keyring.get(room.rid);
      if (room.wrapped_for === 'other_user') {
        assert.equal(got.length, 0, 'device key must not unwrap it');
        const other = await buildKeyring([room.subscription], v.other_user.private_jwk);
        assert.deepEqual(other.get(room.rid).map((k) => [k.kid, k.alg, k.k, k.current]), room.keys.map((k) => [k.kid, k.alg, k.k, k.current]));
        return;
      }
      assert.deepEqual(got.map((k) => [k.kid, k.alg, k.k, k.current]), room.keys.map((k) => [k.kid, k.alg, k.k, k.current]));
      const e2eKeys = [room.subscription.E2EKey, ...(room.subscription.oldRoomKeys ?? []).map((o) => o.E2EKey)];
      for (const [i, e] of e2eKeys.entries()) {
        assert.equal(e.length - room.keys[i].kid.length, 344);
        assert.ok(e.startsWith(room.keys[i].kid));
      }
      const expectedAlg = room.generation === 'v2-gcm' ? 'A256GCM' : 'A128CBC';
      assert.equal(room.keys.find((k) => k.current).alg, expectedAlg);
      const style = { uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'sha256-hex': /^[0-9a-f]{12}$/, 'base64-prefix': /^eyJhbGciOiJB$/ }[room.key_id_style];
      assert.match(room.keys.find((k) => k.current).kid, style);
    });
  }

  const messagesById = new Map(v.messages.map((m) => [m.id, m]));
  for (const m of v.messages) {
    await check(`message ${m.id}`, async () => {
      const enc = parseEncrypted(m.message.content, m.message.msg);
      const { text, body, entry } = await openMessage(enc, keyring.get(m.rid));
      assert.equal(text, m.plaintext);
      assert.equal(body, m.expected_body);
      assert.equal(entry.kid, m.kid);
      assert.equal(entry.current, m.key_current);
      assert.equal({ 'legacy-msg': 'legacy-msg', 'rc.v1.aes-sha2': 'rc.v1', 'rc.v2.aes-sha2': entry.alg === 'A256GCM' ? 'rc.v2-gcm' : 'rc.v2-cbc' }[enc.format], m.format);
    });
  }

  const seen = { container_format: new Set(), format_mode: new Set() };
  for (const p of v.pushes) {
    await check(`push ${p.id}`, async () => {
      const got = await referenceOutcome(p.payload, keyring);
      assert.deepEqual(got, p.expected);
      if (p.message_id) {
        const m = messagesById.get(p.message_id);
        assert.ok(m, 'message_id names a messages[] entry');
        seen.format_mode.add(`${m.format}/${p.mode}`);
        if (p.expected.status === 'decrypted') {
          seen.container_format.add(`${p.container}/${m.format}`);
          const { p: payload } = unpack(p.payload);
          assert.deepEqual(payload.content, m.message.content);
          assert.equal(payload.msg, m.message.msg);
        }
      }
    });
  }
  await check('coverage', () => {
    for (const c of ['apns', 'fcm-data', 'fcm-v1', 'ejson'])
      for (const f of ['legacy-msg', 'rc.v1', 'rc.v2-gcm', 'rc.v2-cbc']) assert.ok(seen.container_format.has(`${c}/${f}`), `${c} × ${f}`);
    for (const f of ['legacy-msg', 'rc.v1', 'rc.v2-gcm', 'rc.v2-cbc'])
      for (const mode of ['message', 'message-id-only']) assert.ok(seen.format_mode.has(`${f}/${mode}`), `${f} in ${mode}`);
  });

  // KEYS.json files and the demo keys must unlock to the same keys; the
  // demo's leaves out only the rooms wrapped for another user.
  const demoFiles = readdirSync(DEMO).filter((f) => /^\d\d-.*\.json$/.test(f)).sort();
  const demoKeys = load(DEMO, 'keys.json');
  const keysFiles = [['keys.json', load(OUT, 'keys.json')], ['keys-jwk.json', load(OUT, 'keys-jwk.json')], ['cli/demo/keys.json', demoKeys]];
  for (const [name, k] of keysFiles) {
    await check(name, async () => {
      assert.equal(k.server, v.server);
      assert.equal(k.user_id, device.user_id);
      const jwk = k.private_key.jwk ?? JSON.parse(await decryptPrivateKey(k.private_key.fetch_my_keys.private_key, k.user_id, k.private_key.password, 'latin1'));
      assert.deepEqual(jwk, device.private_jwk);
      const mine = (r) => k !== demoKeys || r.wrapped_for === 'device_user';
      assert.deepEqual(k.subscriptions, v.rooms.filter(mine).map((r) => r.subscription));
    });
  }
  await check('demo pushes', async () => {
    const ring = await buildKeyring(demoKeys.subscriptions, device.private_jwk);
    const statuses = [];
    const seen = new Set();
    for (const f of demoFiles) {
      const payload = load(DEMO, f);
      const got = await referenceOutcome(payload, ring);
      const original = v.pushes.find((p) => JSON.stringify(p.payload) === JSON.stringify(payload));
      assert.ok(original, `${f}: payload comes from rocketchat.json`);
      assert.deepEqual(got, original.expected, f);
      statuses.push(got.status);
      seen.add(original.container);
    }
    for (const st of ['decrypted', 'not_encrypted', 'needs_fetch', 'failed']) assert.ok(statuses.includes(st), `the demo has a ${st} push`);
    for (const c of ['apns', 'fcm-data', 'fcm-v1', 'ejson']) assert.ok(seen.has(c), `the demo has a ${c} push`);
    const texts = (await Promise.all(demoFiles.map((f) => referenceOutcome(load(DEMO, f), ring)))).map((o) => o.body);
    assert.ok(texts.includes('Meeting at 10:30 in room B: bring laptops'));
  });

  await check('upstream keychain fixtures', async () => {
    const u = load(OUT, 'upstream-keychain.json');
    assert.ok(u.fixtures.length > 0);
    for (const f of u.fixtures) {
      const got = await decryptPrivateKey(f.private_key, f.user_id, f.password, f.encoding ?? 'latin1');
      assert.equal(got, f.expected_private_key, f.name);
      assert.deepEqual(JSON.parse(got), f.expected_jwk, f.name);
      assert.equal(JSON.parse(f.public_key).n, f.expected_jwk.n, f.name);
    }
  });

  return problems;
}

// =====================================================================
// --extend: add the cases that are new in this script to the committed
// rocketchat.json with its own keys, so that every existing vector keeps
// its bytes; then apply the current body rule to existing expectations.
// =====================================================================

async function importRoomKey(entry, ts) {
  const name = entry.alg === 'A256GCM' ? 'AES-GCM' : 'AES-CBC';
  const jwk = { alg: entry.alg, ext: true, k: entry.k, key_ops: ['encrypt', 'decrypt'], kty: 'oct' };
  const key = await subtle.importKey('jwk', jwk, { name }, true, ['encrypt', 'decrypt']);
  return { kid: entry.kid, alg: entry.alg, jwk, key, current: entry.current, ts };
}

async function roomsFromFile(v) {
  const rooms = [];
  for (const r of ROOMS) {
    const saved = v.rooms.find((x) => x.rid === r.rid);
    assert.ok(saved, `room ${r.rid} in the committed vectors`);
    const [current, ...olds] = await Promise.all(saved.keys.map((k, i) => importRoomKey(k, i ? r.old[i - 1].ts : undefined)));
    assert.ok(current.current && olds.every((k) => !k.current), `room ${r.rid}: current key first`);
    rooms.push({ ...r, current, olds, all: [current, ...olds], subscription: saved.subscription });
  }
  return rooms;
}

async function extend() {
  const v = JSON.parse(readFileSync(path.join(OUT, 'rocketchat.json'), 'utf8'));
  const ring = await buildKeyring(v.rooms.map((r) => r.subscription), v.device_user.private_jwk);
  const rooms = await roomsFromFile(v);
  const messages = await makeMessages(rooms, ring, v.messages);
  // The committed pushes are made again only to number the new ones the
  // way a full run would; their new random bytes are thrown away.
  const { pushes } = await makePushes(rooms, messages, ring);
  pushes.slice(0, v.pushes.length).forEach((p, i) => assert.equal(p.id, v.pushes[i].id, 'same push order'));
  for (const p of v.pushes) {
    if (!['decrypted', 'not_encrypted'].includes(p.expected.status)) continue;
    const body = shown(p.expected.body);
    if (body !== p.expected.body) {
      console.log(`${p.id}: expected body ${JSON.stringify(p.expected.body)} -> ${JSON.stringify(body)}`);
      p.expected.body = body;
    }
  }
  const newMessages = messages.list.slice(v.messages.length);
  const newPushes = pushes.slice(v.pushes.length);
  v.messages.push(...newMessages);
  v.pushes.push(...newPushes);
  write(OUT, 'rocketchat.json', v);
  console.log(`added ${newMessages.length} messages and ${newPushes.length} pushes: ${newPushes.map((p) => p.id).join(', ') || '-'}`);
  report(await selfCheck());
}

// =====================================================================

function write(dir, name, value) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}

async function main() {
  // --check verifies the committed files without regenerating them.
  if (process.argv.includes('--check')) return report(await selfCheck());
  if (process.argv.includes('--extend')) return extend();
  const users = await makeUsers();
  const privateKeys = await makePrivateKeys(users);
  const rooms = await makeRooms(users);
  const genRing = await buildKeyring(rooms.map((r) => r.subscription), users.device.privateJwk);
  const messages = await makeMessages(rooms, genRing);
  const { pushes, picks } = await makePushes(rooms, messages, genRing);

  const deviceFetch = privateKeys.find((k) => k.id === 'pk-v2-gcm-ascii-web').fetch_my_keys;
  const subscriptions = rooms.map((r) => r.subscription);
  const vectors = {
    about:
      'Rocket.Chat E2EE push vectors made by tests/vectors/generate.mjs with Node WebCrypto (the API the Rocket.Chat web client uses), ' +
      'following shared/spec/rocketchat-e2e.md. Keys, IVs and ciphertexts are random and change on every run; the script re-checks every ' +
      'vector with WebCrypto after writing. See tests/vectors/README.md for the schema.',
    server: SERVER,
    device_user: {
      user_id: DEVICE._id,
      username: DEVICE.username,
      password: DEVICE.password,
      private_jwk: users.device.privateJwk,
      public_jwk: users.device.publicJwk,
      fetch_my_keys: deviceFetch,
    },
    other_user: { user_id: OTHER._id, username: OTHER.username, private_jwk: users.other.privateJwk, public_jwk: users.other.publicJwk },
    private_keys: privateKeys,
    rooms: rooms.map(roomJson),
    messages: messages.list,
    pushes,
  };
  const keysFile = { server: SERVER, user_id: DEVICE._id, private_key: { fetch_my_keys: deviceFetch, password: DEVICE.password }, subscriptions };
  const keysJwk = { server: SERVER, user_id: DEVICE._id, private_key: { jwk: users.device.privateJwk }, subscriptions };

  // cli/demo/: the keys file without the room wrapped for another user (its
  // skipped-key warning would only puzzle a first run), and one push file
  // per container and format; cli/src/demo.rs lists them with their labels.
  const demoKeys = { ...keysFile, subscriptions: rooms.filter((r) => r.wrappedFor === 'device').map((r) => r.subscription) };
  const demo = [
    ['01-apns-rc.v2-gcm.json', picks.colons],
    ['02-fcm-data-rc.v1.json', picks.dmV1],
    ['03-fcm-data-legacy-msg.json', picks.legacyDm],
    ['04-apns-rc.v2-cbc.json', picks.v2cbc],
    ['05-fcm-v1-rc.v2-gcm.json', picks.fcmV1],
    ['06-ejson-rc.v1.json', picks.ejson],
    ['07-apns-old-room-key.json', picks.oldKey],
    ['08-apns-file.json', picks.file],
    ['09-apns-not-encrypted.json', picks.plain],
    ['10-apns-id-only.json', picks.idOnly],
    ['11-apns-tampered.json', picks.tampered],
  ];

  write(OUT, 'rocketchat.json', vectors);
  write(OUT, 'keys.json', keysFile);
  write(OUT, 'keys-jwk.json', keysJwk);
  write(DEMO, 'keys.json', demoKeys);
  for (const [name, p] of demo) write(DEMO, name, p.payload);
  // Transcribed from upstream, not generated: re-written only to keep the
  // formatting canonical; the self-check verifies its values.
  write(OUT, 'upstream-keychain.json', JSON.parse(readFileSync(path.join(OUT, 'upstream-keychain.json'), 'utf8')));

  const count = (f) => pushes.reduce((acc, p) => ((acc[f(p)] = (acc[f(p)] ?? 0) + 1), acc), {});
  console.log(`wrote ${pushes.length} pushes, ${messages.list.length} messages, ${rooms.length} rooms, ${privateKeys.length} private keys`);
  console.log('by container:', count((p) => p.container));
  console.log('by status:', count((p) => p.expected.status));
  console.log('by reason:', count((p) => p.expected.reason ?? '-'));
  report(await selfCheck());
}

function report(problems) {
  if (problems.length) {
    console.error(`SELF-CHECK FAILED (${problems.length}):\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log('self-check passed');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
