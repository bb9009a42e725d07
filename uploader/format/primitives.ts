// The primitives the format's read path needs, behind one small asynchronous interface so that the
// same code (reader-*.ts) unlocks keysets and opens manifests and chunks in the CLI and in the
// browser: node-primitives.ts implements it with node:crypto and the CLI's zstd engine,
// web-primitives.ts with WebCrypto. Everything is Uint8Array in, Uint8Array out (a Node Buffer is
// one). Asynchronous because WebCrypto is; Node's implementation answers at once.

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

export interface FormatPrimitives {
  /** What implements them (shown in diagnostics and tests). */
  readonly name: string;
  randomBytes(n: number): Uint8Array;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Promise<Uint8Array>;
  /** AES-256-GCM with a 16-byte tag: `ciphertext | tag`. */
  aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plain: Uint8Array): Promise<Uint8Array>;
  /** The plaintext of `sealed` (= ciphertext | tag); rejects when it does not authenticate. */
  aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array>;
  /** The raw public key of a raw X25519 private key. */
  x25519PublicKey(privateKey: Uint8Array): Promise<Uint8Array>;
  /** The shared secret (RFC 7748); rejects a public key that is not one, callers refuse an all-zero result. */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>;
  /** The raw public key of an Ed25519 seed (RFC 8032). */
  ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array>;
  /** Never rejects: a malformed key or signature is simply "does not verify". */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** scrypt (RFC 7914); the caller has bounded the cost (keys-shape.ts). */
  scrypt(password: Uint8Array, salt: Uint8Array, cost: ScryptCost, length: number): Promise<Uint8Array>;
  /** A zstd frame's content, which its header says is `size` bytes; rejects if the frame disagrees. */
  zstdDecompress(frame: Uint8Array, size: number): Promise<Uint8Array>;
  /** A brotli stream (codec 1, written before zstd); rejects output above maxSize. Null: not available here. */
  readonly brotliDecompress: ((data: Uint8Array, maxSize: number) => Promise<Uint8Array>) | null;
}
