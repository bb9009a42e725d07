// What an alert says when it leaves the server: a mail (subject, plain text, simple HTML) and a
// webhook event (JSON), both built from the kind's registry entry (kinds.ts). Zero knowledge:
// only the kind's `describe` lines, the studio and device names and times go out; the raw
// details stay in the database (the damage details hold chunk ids, which are keyed hashes of
// content and have no business leaving it).
import { alertKind } from "./kinds.ts";
// Kinds registered outside the evaluators (evaluate.ts imports those): a worker that only
// delivers must render them too, not fall back to the generic text.
import "./revocation-notice.ts";
import "./digest.ts";

export interface AlertForMessage {
  id: string;
  kind: string;
  studioId: string | null;
  deviceId: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
  details: unknown;
}

export interface RenderedAlert {
  subject: string;
  text: string;
  html: string;
  /** The webhook body, before JSON.stringify. */
  event: AlertEvent;
}

export interface AlertEvent {
  type: "alert.opened";
  /** The delivery's id: the same on every retry of this message (webhook-id). */
  id: string;
  alert: {
    id: string;
    kind: string;
    title: string;
    studioId: string | null;
    studioName: string;
    deviceId: string | null;
    deviceName: string | null;
    openedAt: string;
    resolvedAt: string | null;
    facts: string[];
    action: string;
  };
  portalUrl: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The studio's page in the web app; support's alert queue for an operator alert with no studio. */
export function portalLink(publicUrl: string, studioId: string | null): string {
  return studioId ? `${publicUrl}/app/studios/${studioId}` : `${publicUrl}/app`;
}

/** How an operator alert about the whole deployment is named where a studio's name would be. */
export const OPERATIONS_NAME = "DataSafe operations";

export function renderAlert(
  deliveryId: string,
  alert: AlertForMessage,
  names: { studio: string | null; device: string | null },
  publicUrl: string,
): RenderedAlert {
  const k = alertKind(alert.kind);
  const studio = names.studio ?? OPERATIONS_NAME;
  const details = alert.details && typeof alert.details === "object" ? (alert.details as Record<string, unknown>) : {};
  const since = k.notice ? [] : [`Since: ${alert.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC`];
  const facts = [...since, ...k.describe(details, names.device)];
  const link = portalLink(publicUrl, alert.studioId);
  const subject = `DataSafe: ${studio}: ${k.title}`;
  const text = [`${studio}: ${k.title}.`, "", ...facts, "", `What to do: ${k.action}`, "", `Details: ${link}`, ""].join("\n");
  const html = [
    `<p><strong>${escapeHtml(studio)}: ${escapeHtml(k.title)}.</strong></p>`,
    `<ul>${facts.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>`,
    `<p>What to do: ${escapeHtml(k.action)}</p>`,
    `<p><a href="${escapeHtml(link)}">Open the portal</a></p>`,
  ].join("\n");
  return {
    subject,
    text,
    html,
    event: {
      type: "alert.opened",
      id: deliveryId,
      alert: {
        id: alert.id,
        kind: alert.kind,
        title: k.title,
        studioId: alert.studioId,
        studioName: studio,
        deviceId: alert.deviceId,
        deviceName: names.device,
        openedAt: alert.createdAt.toISOString(),
        resolvedAt: alert.resolvedAt?.toISOString() ?? null,
        facts,
        action: k.action,
      },
      portalUrl: link,
    },
  };
}
