// `datasafe backup`: scan -> chunk -> dedup/upload -> manifest (encrypted, chunked, signed) ->
// reference pages -> commit. Never needs the passphrase: chunks are encrypted to the studio's
// public key through a per-run ephemeral key that is never stored.
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { readlink } from "node:fs/promises";
import { ApiClient } from "../api/client.ts";
import {
  bodyDigest, Chunker, encodeEntries, encodeRoot, MAX_CHUNK_SIZE, newSessionKey, privateKeyFromB64,
  signRoot, type ManifestEntry, type ManifestStats,
} from "../format/index.ts";
import { MAX_REFS_PER_PAGE } from "../../server/http/schemas.ts";
import { CliError, EXIT } from "../errors.ts";
import { scan } from "../scanner.ts";
import type { DeviceState } from "../state.ts";
import type { Progress } from "../progress.ts";
import { ChunkSink, DEFAULT_SINK_OPTIONS, type SinkOptions } from "./chunk-sink.ts";

export interface BackupOptions {
  state: DeviceState;
  paths: string[];
  label: string | null;
  progress: Progress;
  sink?: Partial<SinkOptions>;
}

export interface BackupResult {
  restorePointId: string;
  files: number;
  bytesRead: number;
  bytesUploaded: number;
  chunksTotal: number;
  chunksUploaded: number;
  durationMs: number;
}

const READ_BUFFER = 1024 * 1024;

export async function runBackup(o: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const { state } = o;
  const api = new ApiClient(state.server, state.accessToken);
  const entries = await scan(o.paths);
  const totalBytes = entries.reduce((n, e) => n + (e.type === "file" ? e.stat.size : 0), 0);
  o.progress.start(totalBytes, "backing up");

  const sink = new ChunkSink(
    api,
    newSessionKey(Buffer.from(state.studioBoxPublicKey, "base64")),
    Buffer.from(state.chunkIdKey, "base64"),
    state.studioId,
    { ...DEFAULT_SINK_OPTIONS, ...o.sink },
  );
  const chunkerKey = Buffer.from(state.chunkerKey, "base64");
  const chunker = new Chunker(chunkerKey);
  const stats: ManifestStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0 };
  const manifest: ManifestEntry[] = [];
  let bytesRead = 0;

  for (const e of entries) {
    const base = { path: e.path, mode: e.stat.mode & 0o7777, mtimeMs: Math.trunc(e.stat.mtimeMs) };
    if (e.type === "dir") {
      stats.dirs++;
      manifest.push({ ...base, type: "dir" });
    } else if (e.type === "symlink") {
      stats.symlinks++;
      manifest.push({ ...base, type: "symlink", target: await readlink(e.abs) });
    } else {
      const chunks: string[] = [];
      let size = 0;
      for await (const piece of createReadStream(e.abs, { highWaterMark: READ_BUFFER })) {
        const buf = piece as Buffer;
        size += buf.length;
        for (const c of chunker.push(buf)) chunks.push(await sink.add(c));
        o.progress.advance(buf.length);
      }
      const last = chunker.finish();
      if (last) chunks.push(await sink.add(last));
      bytesRead += size;
      stats.files++;
      stats.bytes += size;
      manifest.push({ ...base, type: "file", size, chunks });
    }
  }

  // The manifest body is chunked like data, so an unchanged part of a large tree dedups too.
  const body = encodeEntries(manifest);
  const bodyChunks: string[] = [];
  const bodyChunker = new Chunker(chunkerKey);
  for (const c of bodyChunker.push(body)) bodyChunks.push(await sink.add(c));
  const lastBody = bodyChunker.finish();
  if (lastBody) bodyChunks.push(await sink.add(lastBody));

  const restorePointId = randomUUID();
  const root = encodeRoot(
    signRoot(
      {
        version: 1,
        restorePointId,
        studioId: state.studioId,
        deviceName: state.deviceName,
        createdAt: new Date().toISOString(),
        label: o.label,
        stats,
        body: { chunks: bodyChunks, sha256: bodyDigest(body) },
        device: state.certificate,
      },
      privateKeyFromB64(state.signPrivateKey),
    ),
  );
  if (root.length > MAX_CHUNK_SIZE) throw new CliError("MANIFEST_TOO_LARGE", "the manifest root exceeds the maximum chunk size", EXIT.error);
  const rootChunkId = await sink.add(root);
  await sink.flush();

  const refs = [...sink.ids].sort();
  let pages = 0;
  for (let i = 0; i < refs.length; i += MAX_REFS_PER_PAGE) {
    const page = Buffer.concat(refs.slice(i, i + MAX_REFS_PER_PAGE).map((h) => Buffer.from(h, "hex")));
    await api.putRefPage(restorePointId, pages++, page);
  }
  const committed = await api.commit(restorePointId, {
    label: o.label,
    files: stats.files,
    bytes: stats.bytes,
    rootChunkId,
    refPages: pages,
    refCount: refs.length,
  });
  o.progress.stop();
  return {
    restorePointId: committed.id,
    files: stats.files,
    bytesRead,
    bytesUploaded: sink.stats.bytesUploaded,
    chunksTotal: sink.stats.chunksTotal,
    chunksUploaded: sink.stats.chunksUploaded,
    durationMs: Date.now() - started,
  };
}
