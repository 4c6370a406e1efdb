// The pushseal warm path done the way the Rocket.Chat web client does it,
// in Node's WebCrypto: parse the push, parse ejson, decode base64, import
// the room key, AES-GCM decrypt, parse the plaintext. Also times the
// RSA-OAEP unwrap of a room key. The room key comes from the project's
// vectors (tests/vectors/rocketchat.json), unwrapped here with the device
// user's private JWK, and must match the key the push was made with.
//
// Usage: node webcrypto.mjs VECTORS.json PUSH.json ROOM-KEY.hex [PUSHES] [UNWRAPS]
// Prints one line per figure: `webcrypto <name> <microseconds per op>`.

import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';

const { subtle } = webcrypto;
const [vectorsPath, pushPath, keyHexPath, pushesArg, unwrapsArg] = process.argv.slice(2);
if (!keyHexPath) {
  console.error('usage: node webcrypto.mjs VECTORS.json PUSH.json ROOM-KEY.hex [PUSHES] [UNWRAPS]');
  process.exit(2);
}
const pushes = Number(pushesArg ?? 2000);
const unwraps = Number(unwrapsArg ?? 50);
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8'));
const pushBytes = readFileSync(pushPath);
const keyHex = readFileSync(keyHexPath, 'utf8').trim();

const privateKey = await subtle.importKey(
  'jwk',
  vectors.device_user.private_jwk,
  { name: 'RSA-OAEP', hash: 'SHA-256' },
  false,
  ['decrypt'],
);

// E2EKey = key id ‖ base64(RSA-OAEP(JSON JWK of the room key)).
function wrappedPart(e2eKey, kidLength) {
  return Buffer.from(e2eKey.slice(kidLength), 'base64');
}

async function unwrap(wrapped) {
  const plain = await subtle.decrypt({ name: 'RSA-OAEP' }, privateKey, wrapped);
  return JSON.parse(new TextDecoder().decode(plain));
}

// Find the vectors' room key the bench push was made with.
const ejson = JSON.parse(JSON.parse(pushBytes.toString('utf8')).ejson);
const room = vectors.rooms.find((r) => r.rid === ejson.rid);
const kid = ejson.content.kid;
const sub = room.subscription;
const wrapped = wrappedPart(sub.E2EKey, kid.length);
const roomJwk = await unwrap(wrapped);
if (Buffer.from(roomJwk.k, 'base64url').toString('hex') !== keyHex) {
  console.error('the unwrapped room key is not the one the push was made with');
  process.exit(1);
}

async function handle(bytes) {
  const push = JSON.parse(new TextDecoder().decode(bytes));
  const payload = typeof push.ejson === 'string' ? JSON.parse(push.ejson) : push.ejson;
  const { content } = payload;
  const iv = Buffer.from(content.iv, 'base64');
  const data = Buffer.from(content.ciphertext, 'base64');
  const key = await subtle.importKey('jwk', roomJwk, { name: 'AES-GCM' }, false, ['decrypt']);
  const plain = await subtle.decrypt({ name: 'AES-GCM', iv }, key, data);
  const message = JSON.parse(new TextDecoder().decode(plain));
  return message.msg;
}

// Warm up the JIT before timing.
for (let i = 0; i < 500; i++) await handle(pushBytes);
let start = process.hrtime.bigint();
let sink = 0;
for (let i = 0; i < pushes; i++) sink += (await handle(pushBytes)).length;
const warmUs = Number(process.hrtime.bigint() - start) / 1000 / pushes;

for (let i = 0; i < 3; i++) await unwrap(wrapped);
start = process.hrtime.bigint();
for (let i = 0; i < unwraps; i++) sink += (await unwrap(wrapped)).k.length;
const rsaUs = Number(process.hrtime.bigint() - start) / 1000 / unwraps;

console.log(`webcrypto warm_push_us ${warmUs.toFixed(3)}`);
console.log(`webcrypto rsa_oaep_unwrap_us ${rsaUs.toFixed(1)}`);
if (sink === 0) console.log('nothing decrypted');
