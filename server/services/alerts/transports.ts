// How a message leaves: one transport per channel. A transport's contract: `send` resolves once
// the receiver accepted the message (SMTP 250, HTTP 2xx) and throws otherwise, with a short
// message (kept as lastError, shown to owners and support: never a secret); it may be called
// again for the same delivery (at least once), with the same `deliveryId`, so a receiver can
// drop the duplicate.
//
// E-mail goes through SMTP_URL (mail-transport.ts); without it, e-mail rows are planned
// (recipients, opt-outs, rate limit) and then marked "skipped" by deliver.ts.
import { signWebhook } from "../../../protocol/webhook-signature.ts";
import type { Config } from "../../config.ts";
import { mailTransport } from "./mail-transport.ts";
import type { RenderedAlert } from "./message.ts";

export interface OutgoingMessage {
  deliveryId: string;
  recipient: string;
  rendered: RenderedAlert;
  /** The studio's current webhook settings (webhook channel). */
  webhook: { url: string | null; secret: string | null };
  /** The signing time (ctx.clock). */
  now: Date;
}

export interface AlertTransport {
  send(m: OutgoingMessage): Promise<void>;
}

export type Transports = Partial<Record<"email" | "webhook", AlertTransport>>;

/** A delivery that must not be attempted again (the studio changed its webhook). */
export class PermanentDeliveryError extends Error {}

const WEBHOOK_TIMEOUT_MS = 10_000;

export const webhookTransport: AlertTransport = {
  async send(m) {
    // The URL may have changed since the row was planned: never post to an endpoint the owner removed.
    if (m.webhook.url !== m.recipient || !m.webhook.secret) throw new PermanentDeliveryError("webhook URL changed or removed since");
    const body = JSON.stringify(m.rendered.event);
    const timestamp = Math.floor(m.now.getTime() / 1000);
    const res = await fetch(m.recipient, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "DataSafe-Webhooks/1",
        "webhook-id": m.deliveryId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signWebhook(m.webhook.secret, m.deliveryId, timestamp, body),
      },
      body,
    }).catch((err: unknown) => {
      throw new Error(
        `webhook unreachable: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
      );
    });
    await res.body?.cancel();
    if (res.status < 200 || res.status > 299) throw new Error(`webhook answered HTTP ${res.status}`);
  },
};

/** The transports this process has: the webhook, and e-mail when SMTP_URL is set. */
export function defaultTransports(config: Config): Transports {
  return config.mail.smtpUrl
    ? { webhook: webhookTransport, email: mailTransport(config.mail.smtpUrl, config.mail.from) }
    : { webhook: webhookTransport };
}
