// Issue 19: when our staff (support, an admin, the operator's CLI) revoke a studio's device, its
// owners are told at once. "Please disable our old PC" is exactly what a social engineer asks
// support, so the owners must hear of it while they can still object: who revoked which device,
// when, the written reason, and how to reach us if nobody at the studio asked for it.
//
// The notice is an alert of kind "device_revoked" written in the revocation's own transaction
// (with its outbox rows), so a revocation and its notice stand or fall together, and the delivery
// job sends it like every other message (retried, at least once, one Message-ID). It is a record,
// not a condition that can go away: it is born resolved (no openKey, nothing to escalate or
// re-evaluate) and planned at once, with no daily limit: each revocation is news.
import type { Ctx } from "../../context.ts";
import type { Actor } from "../audit.ts";
import { describeDevice, describeWhen, registerAlertKind } from "./kinds.ts";
import { writeDeliveries } from "./plan-deliveries.ts";

export const DEVICE_REVOKED = "device_revoked";

type Tx = Parameters<Parameters<Ctx["db"]["$transaction"]>[0]>[0];

/** Staff act on a studio they do not belong to: their revocations are the ones owners must hear of. */
export const isStaffRevocation = (actor: Actor) => actor.role === "support" || actor.role === "admin" || actor.role === "operator";

const ROLE_NAME: Record<string, string> = {
  support: "DataSafe support",
  admin: "a DataSafe administrator",
  operator: "the server's operator",
};

/** Writes the notice and its outbox rows in the revocation's transaction; returns the alert id. */
export async function writeRevocationNotice(
  tx: Tx,
  ctx: Ctx,
  actor: Actor,
  device: { id: string; studioId: string; name: string },
  revokedAt: Date,
  reason: string | null,
): Promise<string> {
  const alert = await tx.alert.create({
    data: {
      studioId: device.studioId,
      kind: DEVICE_REVOKED,
      deviceId: device.id,
      details: {
        revokedAt: revokedAt.toISOString(),
        byRole: actor.role,
        by: actor.label,
        reason,
        contact: ctx.config.supportContact,
      },
      createdAt: revokedAt,
      resolvedAt: revokedAt,
      notifiedAt: revokedAt,
    },
    select: { id: true, studioId: true, kind: true },
  });
  await writeDeliveries(tx, alert, "opened", revokedAt, { limit: false });
  return alert.id;
}

registerAlertKind({
  kind: DEVICE_REVOKED,
  audience: "studio",
  notice: true,
  title: "a device was revoked by DataSafe staff",
  action:
    "If someone at your studio asked for this, nothing more is needed. If nobody did, contact us at once at the address below: someone may have asked in your name. The device can no longer back up; its restore points are kept.",
  describe: (d, name) => [
    describeDevice(name),
    `Revoked by: ${String(d.by ?? "unknown")} (${ROLE_NAME[String(d.byRole)] ?? String(d.byRole)})`,
    `When: ${describeWhen(d.revokedAt)}`,
    `Reason given: ${typeof d.reason === "string" && d.reason ? d.reason : "none"}`,
    `Did not ask for it? Contact us: ${String(d.contact ?? "")}`,
  ],
});
