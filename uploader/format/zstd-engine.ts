// One contract, two zstd engines: Node's built-in zstd (node:zlib, Node >= 22.15: the runtime of the
// shipped single executable, which must load no native addon) and the zstd-napi addon (Node 20 in a
// checkout, which has no built-in zstd). Both write standard frames with the content size in the
// header (zstd's one-shot compression always records it), so either decodes what the other wrote:
// test/unit/uploader/format/zstd-engine.test.ts checks frames against zstd-napi's own header parser,
// and the single-executable test restores with the checkout what the executable backed up.
import { createRequire } from "node:module";
import zlib from "node:zlib";

export { frameContentSize } from "./frame.ts";

export interface ZstdEngine {
  readonly name: "node:zlib" | "zstd-napi";
  /** `src` compressed at `level`; null when the result would not be shorter than `limit` bytes. */
  compress(src: Buffer, level: number, limit: number): Buffer | null;
  /** The frame's content, which its header says is `size` bytes; throws if the frame is invalid or disagrees. */
  decompress(frame: Buffer, size: number): Buffer;
}

/** Node's built-in zstd, present from Node 22.15 / 23.8 (typed here: @types/node 20 lacks it). */
interface BuiltinZstd {
  zstdCompressSync(src: Buffer, options: { params: Record<number, number> }): Buffer;
  zstdDecompressSync(src: Buffer, options: { maxOutputLength: number }): Buffer;
  constants: { ZSTD_c_compressionLevel: number };
}

function builtinEngine(z: BuiltinZstd): ZstdEngine {
  return {
    name: "node:zlib",
    compress(src, level, limit) {
      const out = z.zstdCompressSync(src, { params: { [z.constants.ZSTD_c_compressionLevel]: level } });
      return out.length < limit ? out : null;
    },
    decompress(frame, size) {
      // maxOutputLength >= 1: a frame stating 0 bytes must still fail if it holds more.
      const out = z.zstdDecompressSync(frame, { maxOutputLength: Math.max(1, size) });
      if (out.length !== size) throw new Error(`zstd frame decoded to ${out.length} bytes, header says ${size}`);
      return out;
    },
  };
}

/** The addon: one context and one scratch output buffer per thread (calls are synchronous, never shared). */
function addonEngine(): ZstdEngine {
  const { CCtx, DCtx } = createRequire(import.meta.url)("zstd-napi/binding.js") as typeof import("zstd-napi/binding.js");
  const cctx = new CCtx();
  const dctx = new DCtx();
  let scratch = Buffer.alloc(0);
  return {
    name: "zstd-napi",
    compress(src, level, limit) {
      if (scratch.length < limit) scratch = Buffer.allocUnsafe(limit);
      try {
        return scratch.subarray(0, cctx.compress(scratch.subarray(0, limit), src, level));
      } catch (err) {
        // The output buffer is `limit` bytes: "too small" means "does not compress enough".
        if (/too small/i.test((err as Error).message)) return null;
        throw err;
      }
    },
    decompress(frame, size) {
      const out = Buffer.allocUnsafe(size);
      const n = dctx.decompress(out, frame);
      if (n !== size) throw new Error(`zstd frame decoded to ${n} bytes, header says ${size}`);
      return out;
    },
  };
}

let engine: ZstdEngine | undefined;

/**
 * The built-in engine when the runtime has one, else the addon (loaded on first use only, so a
 * runtime with built-in zstd never looks for it). The returned compress() result may be a view
 * of a scratch buffer that the next call overwrites: copy what must be kept.
 */
export function zstdEngine(): ZstdEngine {
  if (engine) return engine;
  const z = zlib as unknown as Partial<BuiltinZstd>;
  engine = typeof z.zstdCompressSync === "function" ? builtinEngine(z as BuiltinZstd) : addonEngine();
  return engine;
}
