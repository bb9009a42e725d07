// esbuild injects this into the page's bundle (scripts/build.mjs): the format's pure modules
// (uploader/format/browser.ts) use Node's Buffer for base64 and hex, which browsers lack.
export { Buffer } from "buffer";
