// Commits a restore point: its references (sorted, unique chunk ids, 32 bytes each end to end:
// ChunkSink.refs()) go up in bounded pages, then
// one commit call that the server applies only if every referenced chunk is stored. Both steps
// are idempotent, so a commit interrupted anywhere can be retried.
import type { ApiClient, RestorePointView } from "../api/client.ts";
import { faultPoint } from "../faults.ts";
import { MAX_REFS_PER_PAGE } from "../../protocol/limits.ts";
import { CHUNK_ID_SIZE } from "../format/constants.ts";

export interface CommitSummary {
  restorePointId: string;
  rootChunkId: string;
  label: string | null;
  files: number;
  bytes: number;
  skipped: number;
}

export async function commitRestorePoint(api: ApiClient, refs: Buffer, s: CommitSummary): Promise<RestorePointView> {
  const count = refs.length / CHUNK_ID_SIZE;
  let pages = 0;
  for (let i = 0; i < count; i += MAX_REFS_PER_PAGE) {
    await api.putRefPage(
      s.restorePointId,
      pages++,
      refs.subarray(i * CHUNK_ID_SIZE, Math.min(count, i + MAX_REFS_PER_PAGE) * CHUNK_ID_SIZE),
    );
  }
  faultPoint("before-commit");
  return api.commit(s.restorePointId, {
    label: s.label,
    files: s.files,
    bytes: s.bytes,
    rootChunkId: s.rootChunkId,
    refPages: pages,
    refCount: count,
    skipped: s.skipped,
  });
}
