// Alert webhooks are signed as the Standard Webhooks convention does (standardwebhooks.com):
//   webhook-id:        the message id, the same on every retry (drop a duplicate by it)
//   webhook-timestamp: Unix seconds when this attempt was signed
//   webhook-signature: "v1," + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`))
// The key is the base64 part of the studio's secret "whsec_<base64>". A receiver recomputes the
// signature over the raw body, compares it in constant time, and refuses a timestamp further
// than its tolerance from its own clock: a captured request replayed later is refused.
import { createHmac, timingSafeEqual } from "node:crypto";

export const WEBHOOK_SECRET_PREFIX = "whsec_";
/** Standard Webhooks' suggested tolerance. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

function key(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error("not a webhook secret");
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), "base64");
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac("sha256", key(secret)).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
}

export type WebhookVerdict = "ok" | "bad-signature" | "stale-timestamp" | "missing-headers";

/** The receiver's check. `headers`: the three webhook-* headers as received. */
export function verifyWebhook(
  secret: string,
  headers: { id?: string | null; timestamp?: string | null; signature?: string | null },
  body: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): WebhookVerdict {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return "missing-headers";
  const expected = Buffer.from(signWebhook(secret, id, Number(timestamp), body));
  // Several space-separated signatures may be sent during a secret rotation.
  const match = signature.split(" ").some((s) => {
    const got = Buffer.from(s);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  if (!match) return "bad-signature";
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return "stale-timestamp";
  return "ok";
}
