/** Version byte written into every envelope and JSON document of this format. */
export const FORMAT_VERSION = 1;

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Chunk size bounds. The minimum keeps the per-chunk overhead (ids in manifests, rows and
 * objects on the server, one request each) small; the average balances dedup granularity
 * against that overhead; the bounded maximum lets a browser decrypt a whole chunk with a
 * single WebCrypto AES-GCM call (no streaming AEAD there) and bounds uploader memory.
 */
export const MIN_CHUNK_SIZE = 256 * KiB;
export const AVG_CHUNK_SIZE = 1 * MiB;
export const MAX_CHUNK_SIZE = 4 * MiB;

/** Envelope layout sizes (see aead.ts and FORMAT.md). */
export const ENVELOPE_MAGIC = "DSC";
export const EPHEMERAL_KEY_SIZE = 32;
export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
export const CHUNK_ID_SIZE = 32;
/** magic(3) + version(1) + ephemeral key(32) + nonce(12) + codec byte(1) + tag(16). */
export const ENVELOPE_OVERHEAD = 3 + 1 + EPHEMERAL_KEY_SIZE + NONCE_SIZE + 1 + TAG_SIZE;

/**
 * Largest envelope a conforming uploader produces: compression is only kept when it makes the
 * payload smaller, so the payload never exceeds MAX_CHUNK_SIZE. The server enforces its own,
 * similar limit independently (it never imports this module).
 */
export const MAX_CIPHERTEXT_SIZE = MAX_CHUNK_SIZE + ENVELOPE_OVERHEAD;

/** Compression codec bytes stored inside the encrypted part of the envelope. */
export const CODEC_NONE = 0;
/** Written by uploaders before zstd; still decoded, never written. */
export const CODEC_BROTLI = 1;
/** What the uploader writes: one zstd frame with its content size in the header. */
export const CODEC_ZSTD = 2;
