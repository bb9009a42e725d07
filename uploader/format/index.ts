// Public API of the DataSafe on-wire format (see FORMAT.md). Pure: no file or network I/O.
export * from "./constants.ts";
export { FormatError, type FormatErrorCode } from "./errors.ts";
export {
  Chunker,
  DEFAULT_CHUNKER_PARAMS,
  DENSE_CHUNKER_PARAMS,
  HEAD_CHUNKER_PARAMS,
  chunkerMasks,
  chunkerParamsFor,
  looksCompressible,
  gearTable,
  type ChunkBounds,
  type ChunkerParams,
} from "./chunker.ts";
export { chunkId } from "./chunk-id.ts";
export { hexToId, idToHex, isHexId } from "./ids.ts";
export { compress, decompress, type Compressed } from "./compress.ts";
export { chunkAad, decryptChunk, encryptChunk, openChunk, sealChunk, type OpenedEnvelope, type SealedChunk } from "./aead.ts";
export { DecryptKeyring, newSessionKey, type BoxSecrets, type SessionKey } from "./session.ts";
export {
  DEFAULT_SCRYPT,
  createStudioKeys,
  keysetChunking,
  passphraseKek,
  recoveryKek,
  studioSecretsFromRaw,
  unlockWithPassphrase,
  unlockWithPassphraseAsync,
  unlockWithRecoveryKey,
  unlockWithRecoveryKeyAsync,
  type CreatedStudioKeys,
  type Keyset,
  type ScryptParams,
  type StudioSecrets,
  type WrappedSecrets,
} from "./keys.ts";
export { formatRecoveryKey, parseRecoveryKey } from "./recovery.ts";
export type { FormatPrimitives, ScryptCost } from "./primitives.ts";
export { nodePrimitives } from "./node-primitives.ts";
export { webPrimitives } from "./web-primitives.ts";
export { unlockKeyset, type RawStudioSecrets, type UnlockSecret } from "./reader-keys.ts";
export { agree, decompressWith, deriveSessionKey, openEnvelope, SessionKeys } from "./reader-chunks.ts";
export { certificateValid, rootSigningMessage, verifyBodyWith, verifyRootWith } from "./reader-root.ts";
export {
  certificateBytes,
  certifyDevice,
  newDeviceSigningKey,
  verifyDeviceCertificate,
  type CertifyRequest,
  type DeviceCertificate,
  type DeviceSigningKey,
  type UnsignedDeviceCertificate,
} from "./device.ts";
export {
  b64ToBytes,
  privateKeyFromB64,
  privateKeyFromRaw,
  privateKeyToB64,
  privateKeyToRaw,
  publicKeyFromRaw,
  publicKeyToRaw,
  type KeyKind,
} from "./rawkeys.ts";
export {
  decodeEntries,
  encodeEntries,
  EntryEncoder,
  entryPathBytes,
  entryTargetBytes,
  pathFromBytes,
  targetFromBytes,
  utf8OrNull,
  validateEntry,
  validatePath,
  validatePathBytes,
  type EntryType,
  type ManifestEntry,
} from "./manifest.ts";
export { EntryOrderCheck } from "./entry-order.ts";
export { CaseCollisions, windowsOriginalName, windowsSafeName } from "./windows-names.ts";
export {
  bodyDigest,
  canonicalJson,
  decodeRoot,
  encodeRoot,
  rootSigningBytes,
  signRoot,
  verifyBody,
  verifyRoot,
  MAX_SKIPPED_IN_ROOT,
  type ManifestRoot,
  type ManifestStats,
  type SkippedEntry,
  type UnsignedManifestRoot,
} from "./root.ts";
