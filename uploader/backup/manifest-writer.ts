// The restore point's manifest: the body (JSON Lines of entries) is written as the entries come,
// chunked and sent like data (an unchanged part of a large tree dedups), never held whole: a
// million files' body is ~200 MB. The root names the body's chunks, is signed by this device
// (certified by the studio key) and sent as one chunk.
import { createHash } from "node:crypto";
import {
  Chunker,
  chunkerParamsFor,
  encodeRoot,
  EntryEncoder,
  MAX_CHUNK_SIZE,
  MAX_SKIPPED_IN_ROOT,
  privateKeyFromB64,
  signRoot,
  type ManifestEntry,
  type ManifestStats,
} from "../format/index.ts";
import { CliError } from "../errors.ts";
import type { Skipped } from "../scanner.ts";
import type { DeviceState } from "../state.ts";
import type { AddedChunk, ChunkSink } from "./chunk-sink.ts";

export interface WrittenManifest {
  restorePointId: string;
  rootChunkId: string;
}

/** Lines are gathered into pieces of about this size before they are hashed and chunked. */
const PIECE_BYTES = 256 * 1024;

export class ManifestWriter {
  private readonly encoder = new EntryEncoder();
  private readonly chunker: Chunker;
  private readonly digest = createHash("sha256");
  private readonly chunks: Array<Promise<string>> = [];
  private lines: string[] = [];
  private pending = 0;

  constructor(
    private readonly sink: ChunkSink,
    private readonly state: DeviceState,
  ) {
    this.chunker = new Chunker(Buffer.from(state.chunkerKey, "base64"), chunkerParamsFor(state.chunking));
  }

  /** Adds the next entry (in canonical order); resolves once its bytes may be held no longer. */
  async add(entry: ManifestEntry): Promise<void> {
    const line = this.encoder.line(entry);
    this.lines.push(line);
    this.pending += line.length;
    if (this.pending >= PIECE_BYTES) await this.push(false);
  }

  /** Ends the body and sends the signed root; the sink still has to be flushed. */
  async finish(m: { restorePointId: string; stats: ManifestStats; skipped: Skipped[]; label: string | null }): Promise<WrittenManifest> {
    await this.push(true);
    const { restorePointId } = m;
    const root = encodeRoot(
      signRoot(
        {
          version: 1,
          restorePointId,
          studioId: this.state.studioId,
          deviceName: this.state.deviceName,
          createdAt: new Date().toISOString(),
          label: m.label,
          stats: m.stats,
          body: { chunks: await Promise.all(this.chunks), sha256: this.digest.digest("hex") },
          device: this.state.certificate,
          ...(m.skipped.length ? { skipped: m.skipped.slice(0, MAX_SKIPPED_IN_ROOT) } : {}),
        },
        privateKeyFromB64(this.state.signPrivateKey),
      ),
    );
    if (root.length > MAX_CHUNK_SIZE) throw new CliError("MANIFEST_TOO_LARGE", "the manifest root exceeds the maximum chunk size");
    return { restorePointId, rootChunkId: await (await this.sink.add(root)).hex };
  }

  private async push(last: boolean): Promise<void> {
    const piece = Buffer.from(this.lines.join(""), "utf8");
    this.lines = [];
    this.pending = 0;
    this.digest.update(piece);
    const done = this.chunker.push(piece);
    if (last) {
      const rest = this.chunker.finish();
      if (rest) done.push(rest);
    }
    for (const c of done) this.track(await this.sink.add(c));
  }

  private track(added: AddedChunk): void {
    added.hex.catch(() => undefined); // awaited in finish(); a failure also fails the sink's flush
    this.chunks.push(added.hex);
  }
}
