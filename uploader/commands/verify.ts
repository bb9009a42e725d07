// `datasafe verify [ID|latest] [--read-data-subset PERCENT]`: the restore drill the server cannot
// do (it holds no key). Opens the restore point (manifest signature, body digest: shared with
// restore), then downloads every chunk the files reference (or a random share of them), checks
// each one's authentication and id (AES-GCM with the AAD binding it to its id and studio, then
// the id recomputed from the plaintext), and each fully checked file's size against the manifest.
//
// The result goes to the server, signed with the studio sign key, which the passphrase unlocks
// and a device never holds (protocol/integrity-schemas.ts): the server records it as the
// point's last client verification, and marks chunks that failed authentication damaged so the
// next backup replaces them. The report carries codes and chunk ids only, never a file name.
import { createHash, randomInt, sign } from "node:crypto";
import { ApiClient } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import { ApiError } from "../api/api-error.ts";
import type { RetryPolicy } from "../api/retry.ts";
import { DecryptKeyring, FormatError, hexToId, openChunk, type ManifestEntry, type StudioSecrets } from "../format/index.ts";
import { hasCode } from "../errors.ts";
import { mb } from "../output.ts";
import { openRestorePoint } from "../restore/open-restore-point.ts";
import type { DeviceState } from "../state.ts";
import { unlockAsync } from "../studio-keys.ts";
import { Semaphore } from "../util/semaphore.ts";
import { REPORT_SIGNING_PREFIX, type ClientReport } from "../../protocol/integrity-schemas.ts";
import { MAX_REPORTED_CHUNKS } from "../../protocol/limits.ts";

export interface VerifyOptions {
  state: DeviceState;
  passphrase: string;
  id: string;
  /** Share of the chunks to download and check, in percent (100: all). */
  subsetPercent: number;
  parallel?: number;
}

export interface Problem {
  code: string;
  chunkId?: string;
  /** Local output only: never sent to the server. */
  path?: string;
  message: string;
}

export interface VerifyResult {
  restorePointId: string;
  chunksChecked: number;
  bytesChecked: number;
  ok: boolean;
  problems: Problem[];
}

type Damaged = ClientReport["damagedChunks"][number];

export async function runVerify(o: VerifyOptions): Promise<VerifyResult> {
  const api = new ApiClient(o.state.server, deviceCredentials(o.state));
  const view = await api.getRestorePoint(o.id);
  const result: VerifyResult = { restorePointId: view.id, chunksChecked: 0, bytesChecked: 0, ok: true, problems: [] };
  const damaged: Damaged[] = [];
  let secrets: StudioSecrets;
  try {
    const rp = await openRestorePoint(api, o.state, o.passphrase, view.id);
    const files: ManifestEntry[] = [];
    try {
      for await (const e of rp.entries) if (e.type === "file") files.push(e);
    } finally {
      await rp.close(); // only its manifest is used: chunks are fetched through the API below
    }
    secrets = rp.secrets;
    const unique = [...new Set(files.flatMap((f) => f.chunks ?? []))];
    const selected = sample(unique, o.subsetPercent);
    const sizes = await checkChunks(api, o.state, secrets, selected, o.parallel ?? 8, result, damaged);
    for (const f of files) {
      const chunks = f.chunks ?? [];
      if (!chunks.every((c) => sizes.has(c))) continue; // not (fully) checked, or already reported
      const total = chunks.reduce((n, c) => n + sizes.get(c)!, 0);
      if (total !== f.size)
        result.problems.push({
          code: "SIZE_MISMATCH",
          path: f.path,
          message: `${f.path}: chunks hold ${total} bytes, the manifest says ${f.size}`,
        });
    }
  } catch (err) {
    if (!hasCode(err, "NOT_AUTHENTIC")) throw err;
    // The manifest itself failed: nothing else can be checked, but the finding is reported.
    result.problems.push({ code: "MANIFEST_NOT_AUTHENTIC", message: err.message });
    secrets = await unlockAsync(await api.keyset(), o.passphrase);
  }
  result.ok = result.problems.length === 0;
  await report(api, o.state, secrets, view.id, o.subsetPercent, result, damaged);
  return result;
}

export function describeVerify(r: VerifyResult): string {
  return r.ok
    ? `restore point ${r.restorePointId}: OK (${r.chunksChecked} chunks, ${mb(r.bytesChecked)} checked)`
    : `restore point ${r.restorePointId}: ${r.problems.length} PROBLEMS\n${r.problems.map((p) => `  ${p.code}: ${p.message}`).join("\n")}`;
}

/** A uniformly random share of `ids` (at least one when there is any and the share is > 0). */
function sample(ids: string[], percent: number): string[] {
  if (percent >= 100) return ids;
  const k = Math.min(ids.length, Math.ceil((ids.length * percent) / 100));
  const pool = [...ids];
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

/** Chunk downloads retry briefly: a chunk the server cannot serve is a finding here, not an outage to wait out. */
const DOWNLOAD_RETRY: RetryPolicy = { attempts: 3, baseMs: 250, capMs: 2000 };

/** Downloads and authenticates chunks; returns the plaintext size of each good one. */
async function checkChunks(
  api: ApiClient,
  state: DeviceState,
  secrets: StudioSecrets,
  ids: string[],
  parallel: number,
  result: VerifyResult,
  damaged: Damaged[],
): Promise<Map<string, number>> {
  const keyring = new DecryptKeyring(secrets);
  const sizes = new Map<string, number>();
  const slots = new Semaphore(parallel);
  await Promise.all(
    ids.map(async (hex) => {
      await slots.acquire();
      try {
        let envelope: Buffer;
        try {
          envelope = await api.getChunk(hex, DOWNLOAD_RETRY);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          result.problems.push({ code: err.code, chunkId: hex, message: `chunk ${hex} could not be downloaded: ${err.message}` });
          damaged.push({ id: hex, sha256: null, code: err.code.replace(/[^A-Z0-9_]/g, "_").slice(0, 64) || "DOWNLOAD_FAILED" });
          return;
        }
        result.chunksChecked++;
        try {
          const plain = await openChunk(keyring, secrets.chunkIdKey, state.studioId, hexToId(hex), envelope);
          sizes.set(hex, plain.length);
          result.bytesChecked += plain.length;
        } catch (err) {
          const code = err instanceof FormatError ? err.code : "NOT_AUTHENTIC";
          result.problems.push({ code, chunkId: hex, message: `chunk ${hex} failed authentication (${code})` });
          damaged.push({ id: hex, sha256: createHash("sha256").update(envelope).digest("hex"), code });
        }
      } finally {
        slots.release();
      }
    }),
  );
  return sizes;
}

async function report(
  api: ApiClient,
  state: DeviceState,
  secrets: StudioSecrets,
  restorePointId: string,
  subsetPercent: number,
  r: VerifyResult,
  damaged: Damaged[],
): Promise<void> {
  const body: ClientReport = {
    version: 1,
    studioId: state.studioId,
    restorePointId,
    checkedAt: new Date().toISOString(),
    subsetPercent,
    chunksChecked: r.chunksChecked,
    bytesChecked: r.bytesChecked,
    ok: r.ok,
    problems: r.problems.slice(0, MAX_REPORTED_CHUNKS).map((p) => ({ code: p.code, chunkId: p.chunkId ?? null })),
    damagedChunks: damaged.slice(0, MAX_REPORTED_CHUNKS),
  };
  const text = JSON.stringify(body);
  const signature = sign(null, Buffer.concat([Buffer.from(REPORT_SIGNING_PREFIX), Buffer.from(text)]), secrets.signPrivateKey).toString(
    "base64",
  );
  await api.reportClientVerification(restorePointId, { report: text, signature });
}
