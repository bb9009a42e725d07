// Turns the scanned tree into the restore point's manifest: the body (JSON Lines of entries) is
// chunked and sent like data, so an unchanged part of a large tree dedups; the root names the
// body's chunks, is signed by this device (certified by the studio key) and sent as one chunk.
import {
  bodyDigest, Chunker, chunkerParamsFor, encodeEntries, encodeRoot, MAX_CHUNK_SIZE, MAX_SKIPPED_IN_ROOT, privateKeyFromB64,
  signRoot, type ManifestEntry, type ManifestStats,
} from "../format/index.ts";
import { CliError } from "../errors.ts";
import type { Skipped } from "../scanner.ts";
import type { DeviceState } from "../state.ts";
import type { ChunkSink } from "./chunk-sink.ts";

export interface WrittenManifest {
  restorePointId: string;
  rootChunkId: string;
}

export async function writeManifest(
  sink: ChunkSink,
  state: DeviceState,
  m: { restorePointId: string; entries: ManifestEntry[]; stats: ManifestStats; skipped: Skipped[]; label: string | null },
): Promise<WrittenManifest> {
  const body = encodeEntries(m.entries);
  const bodyChunks: string[] = [];
  const chunker = new Chunker(Buffer.from(state.chunkerKey, "base64"), chunkerParamsFor(state.chunking));
  const pieces = chunker.push(body);
  const last = chunker.finish();
  if (last) pieces.push(last);
  for (const c of pieces) bodyChunks.push(await (await sink.add(c)).hex);

  const { restorePointId } = m;
  const root = encodeRoot(
    signRoot(
      {
        version: 1,
        restorePointId,
        studioId: state.studioId,
        deviceName: state.deviceName,
        createdAt: new Date().toISOString(),
        label: m.label,
        stats: m.stats,
        body: { chunks: bodyChunks, sha256: bodyDigest(body) },
        device: state.certificate,
        ...(m.skipped.length ? { skipped: m.skipped.slice(0, MAX_SKIPPED_IN_ROOT) } : {}),
      },
      privateKeyFromB64(state.signPrivateKey),
    ),
  );
  if (root.length > MAX_CHUNK_SIZE) throw new CliError("MANIFEST_TOO_LARGE", "the manifest root exceeds the maximum chunk size");
  return { restorePointId, rootChunkId: await (await sink.add(root)).hex };
}
