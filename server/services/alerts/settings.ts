// A studio's alert settings (AlertSettings): which owners opted out of e-mail, the webhook URL and
// its signing secret. Changed by owners and admins, audited in the same transaction.
import { randomBytes } from "node:crypto";
import { WEBHOOK_SECRET_PREFIX } from "../../../protocol/webhook-signature.ts";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";
import { audit, type Actor } from "../audit.ts";

export async function alertSettings(ctx: Ctx, studioId: string) {
  const [members, settings] = await Promise.all([
    ctx.db.studioMember.findMany({ where: { studioId }, select: { user: { select: { email: true } } }, orderBy: { createdAt: "asc" } }),
    ctx.db.alertSettings.findUnique({ where: { studioId } }),
  ]);
  const optOut = new Set(settings?.emailOptOut ?? []);
  const noDigest = new Set(settings?.digestOptOut ?? []);
  return {
    recipients: members.map((m) => ({
      email: m.user.email,
      optedOut: optOut.has(m.user.email.toLowerCase()),
      digest: !noDigest.has(m.user.email.toLowerCase()),
    })),
    webhookUrl: settings?.webhookUrl ?? null,
    webhookSecretSet: Boolean(settings?.webhookSecret),
  };
}

export async function updateAlertSettings(
  ctx: Ctx,
  actor: Actor,
  studioId: string,
  input: { emailOptOut?: string[] | undefined; digestOptOut?: string[] | undefined; webhookUrl?: string | null | undefined },
) {
  // A plain-HTTP webhook would carry the studio's alerts and signatures in the clear.
  if (input.webhookUrl && ctx.config.production && !input.webhookUrl.startsWith("https://"))
    throw errors.validation("the webhook URL must be https://");
  const data = {
    ...(input.emailOptOut === undefined ? {} : { emailOptOut: [...new Set(input.emailOptOut.map((e) => e.toLowerCase()))] }),
    ...(input.digestOptOut === undefined ? {} : { digestOptOut: [...new Set(input.digestOptOut.map((e) => e.toLowerCase()))] }),
    ...(input.webhookUrl === undefined ? {} : { webhookUrl: input.webhookUrl }),
    updatedAt: ctx.clock.now(),
  };
  await ctx.db.$transaction(async (tx) => {
    await tx.alertSettings.upsert({ where: { studioId }, create: { studioId, ...data }, update: data });
    await audit(tx, actor, {
      action: "alert-settings.changed",
      studioId,
      details: {
        ...(input.emailOptOut === undefined ? {} : { emailOptOut: data.emailOptOut ?? [] }),
        ...(input.digestOptOut === undefined ? {} : { digestOptOut: data.digestOptOut ?? [] }),
        ...(input.webhookUrl === undefined ? {} : { webhookUrl: input.webhookUrl }),
      },
    });
  });
  return alertSettings(ctx, studioId);
}

/** A new signing secret, returned once; messages signed from now on use it. */
export async function rotateWebhookSecret(ctx: Ctx, actor: Actor, studioId: string): Promise<{ secret: string }> {
  const secret = `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString("base64")}`;
  const now = ctx.clock.now();
  await ctx.db.$transaction(async (tx) => {
    await tx.alertSettings.upsert({
      where: { studioId },
      create: { studioId, webhookSecret: secret, updatedAt: now },
      update: { webhookSecret: secret, updatedAt: now },
    });
    await audit(tx, actor, { action: "webhook-secret.rotated", studioId });
  });
  return { secret };
}
