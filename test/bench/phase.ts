// One measured step of an end-to-end run (a backup or a restore by one tool). The restore
// checks are in tree.ts.
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
