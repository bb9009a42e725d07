// One measured step of an end-to-end run (a backup or a restore by one tool), and the checks
// that keep the figures honest: a restore only counts if it reproduced the tree exactly.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Dataset } from "./dataset.ts";
import { mbps } from "./stats.ts";

export type PhaseName = "first backup" | "unchanged re-run" | "incremental" | "restore (new PC)";
export const PHASES: PhaseName[] = ["first backup", "unchanged re-run", "incremental", "restore (new PC)"];

export interface PhaseResult {
  wallMs: number;
  /** Tree bytes / wall time of the client process (start-up and key derivation included). */
  mbps: number;
  /** Bytes the client sent as chunk/pack bodies (restic: its data_added). */
  sentBytes: number;
  /** Chunks (restic: data blobs) the run uploaded: bytes stored / newChunks is the cost of a change. */
  newChunks: number;
  /** Growth of the tool's prefix in the bucket. */
  storedBytes: number;
  clientPeakRssMiB: number;
  clientCpuSec: number;
  serverPeakRssMiB: number;
  serverCpuSec: number;
  /** CPU of the S3 server (Ceph RGW's radosgw + ceph-osd on this machine) during the step; NaN if elsewhere. */
  storeCpuSec: number;
}

export function phase(treeBytes: number, p: Omit<PhaseResult, "mbps" | "storeCpuSec">): PhaseResult {
  return { ...p, mbps: mbps(treeBytes, p.wallMs), storeCpuSec: NaN };
}

/** SHA-256 of every file of the tree, keyed by its path relative to the tree root. */
export async function treeDigests(ds: Dataset): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of [ds.dbFile, ...ds.photoFiles]) {
    out.set(f.slice(ds.root.length + 1), createHash("sha256").update(await readFile(f)).digest("hex"));
  }
  return out;
}

/** Throws unless every file of `expected` is at `restoredRoot/<relative path>` with equal bytes. */
export async function verifyRestore(expected: Map<string, string>, restoredRoot: string, tool: string): Promise<void> {
  for (const [rel, digest] of expected) {
    const got = await readFile(`${restoredRoot}/${rel}`).then((b) => createHash("sha256").update(b).digest("hex"), () => "missing");
    if (got !== digest) throw new Error(`${tool} restore differs at ${rel} (${got === "missing" ? "missing" : "content"})`);
  }
}
