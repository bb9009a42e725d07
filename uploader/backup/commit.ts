// Commits a restore point: its references (sorted, unique chunk ids) go up in bounded pages, then
// one commit call that the server applies only if every referenced chunk is stored. Both steps
// are idempotent, so a commit interrupted anywhere can be retried.
import type { ApiClient, RestorePointView } from "../api/client.ts";
import { faultPoint } from "../faults.ts";
import { MAX_REFS_PER_PAGE } from "../../protocol/limits.ts";

export interface CommitSummary {
  restorePointId: string;
  rootChunkId: string;
  label: string | null;
  files: number;
  bytes: number;
  skipped: number;
}

export async function commitRestorePoint(api: ApiClient, ids: Iterable<string>, s: CommitSummary): Promise<RestorePointView> {
  const refs = [...ids].sort();
  let pages = 0;
  for (let i = 0; i < refs.length; i += MAX_REFS_PER_PAGE) {
    const page = Buffer.concat(refs.slice(i, i + MAX_REFS_PER_PAGE).map((h) => Buffer.from(h, "hex")));
    await api.putRefPage(s.restorePointId, pages++, page);
  }
  faultPoint("before-commit");
  return api.commit(s.restorePointId, {
    label: s.label,
    files: s.files,
    bytes: s.bytes,
    rootChunkId: s.rootChunkId,
    refPages: pages,
    refCount: refs.length,
    skipped: s.skipped,
  });
}
