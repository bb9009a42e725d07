// `datasafe list [--device NAME]`: the studio's restore points, newest first (every device's:
// any PC of the studio may restore any of them).
import { ApiClient, type RestorePointView } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import { mb } from "../output.ts";
import { loadDeviceState } from "../state.ts";

/** What the command prints: only the fields a person choosing a restore point needs. */
export type ListedRestorePoint = Pick<
  RestorePointView,
  | "id"
  | "createdAt"
  | "label"
  | "files"
  | "bytes"
  | "deviceName"
  | "health"
  | "verifiedAt"
  | "expiresAt"
  | "keptBecause"
  | "deletedAt"
  | "purgeAt"
>;

export async function listRestorePoints(o: { home: string; device?: string }): Promise<{ restorePoints: ListedRestorePoint[] }> {
  const state = await loadDeviceState(o.home);
  const rows = await new ApiClient(state.server, deviceCredentials(state)).listRestorePoints(o.device);
  const restorePoints = rows.map(
    ({ id, createdAt, label, files, bytes, deviceName, health, verifiedAt, expiresAt, keptBecause, deletedAt, purgeAt }) => ({
      id,
      createdAt,
      label,
      files,
      bytes,
      deviceName,
      health,
      verifiedAt,
      ...(keptBecause ? { expiresAt: expiresAt ?? null, keptBecause, deletedAt: deletedAt ?? null, purgeAt: purgeAt ?? null } : {}),
    }),
  );
  return { restorePoints };
}

export function describeRestorePoints(r: { restorePoints: ListedRestorePoint[] }): string {
  if (!r.restorePoints.length) return "no restore points yet";
  return r.restorePoints
    .map(
      (p) =>
        `${p.id}  ${p.createdAt}  ${p.deviceName}  ${p.files} files  ${mb(p.bytes)}  ${p.health}${p.label ? `  "${p.label}"` : ""}  ${retention(p)}`,
    )
    .join("\n");
}

/** When the point goes and why it stays (docs/retention.md); older servers send neither. */
export function retention(p: ListedRestorePoint): string {
  if (p.deletedAt) return `deleted, restorable until ${p.purgeAt ?? "?"}`;
  if (p.keptBecause === undefined) return "";
  if (!p.keptBecause.length) return "expires at the next retention run";
  return `${p.expiresAt ? `kept until ${p.expiresAt}` : "kept"} (${p.keptBecause.join(", ")})`;
}
