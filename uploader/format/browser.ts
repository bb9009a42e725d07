// What the browser's restore page imports of the format: the shared read path (reader-*.ts) and the
// pure modules it needs, never index.ts (which brings node:crypto and the zstd addon). The page's
// bundle (scripts/build.mjs) provides `Buffer` for these modules from the `buffer` package.
export { hexToId, isHexId } from "./ids.ts";
export { FormatError, type FormatErrorCode } from "./errors.ts";
export type { Keyset } from "./keys-shape.ts";
export { decodeEntries, type ManifestEntry } from "./manifest.ts";
export { decodeRoot, type ManifestRoot } from "./root-shape.ts";
export type { FormatPrimitives } from "./primitives.ts";
export { webPrimitives } from "./web-primitives.ts";
export { unlockKeyset, type RawStudioSecrets, type UnlockSecret } from "./reader-keys.ts";
export { openEnvelope, SessionKeys } from "./reader-chunks.ts";
export { verifyBodyWith, verifyRootWith } from "./reader-root.ts";
