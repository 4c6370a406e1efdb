//! Size limits for every input, so a hostile server or push gateway cannot
//! make the extension allocate its way past the iOS 24 MB jetsam limit.

/// A whole push container. APNs and FCM cap payloads at 4 KiB; the extra
/// room covers debugging tools that paste pretty-printed JSON.
pub const MAX_PUSH_BYTES: usize = 64 * 1024;

/// A message fetched from the server (`push.get`), which is not truncated.
pub const MAX_FETCHED_BYTES: usize = 1024 * 1024;

/// Base64 ciphertext of one message.
pub const MAX_CIPHERTEXT_CHARS: usize = 1024 * 1024;

/// An `E2EKey` string: a key-id prefix plus 344 base64 characters.
pub const MAX_E2E_KEY_CHARS: usize = 4096;

/// The stored (encrypted) private key string and a private JWK.
pub const MAX_PRIVATE_KEY_CHARS: usize = 64 * 1024;

/// Upper bound on PBKDF2 rounds read from the server, so a tampered
/// `iterations` cannot pin the CPU; upstream writes 100 000.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// A keys file or a `subscriptions.get` response.
pub const MAX_KEYS_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Old keys kept per room. The server keeps at most 10; a little slack
/// covers keys imported from several sources.
pub const MAX_KEYS_PER_ROOM: usize = 64;
