// Alert e-mail through the operator's SMTP server (SMTP_URL), with nodemailer: the maintained SMTP
// client for Node. Contract as every transport (transports.ts): resolves once the server accepted
// the message (250), throws otherwise. The delivery id is the Message-ID, so the same message
// retried after a lost answer is recognisable as a duplicate by any mail system that cares.
import nodemailer from "nodemailer";
import type { AlertTransport } from "./transports.ts";

const TIMEOUT_MS = 20_000;

export function mailTransport(smtpUrl: string, from: string): AlertTransport {
  const smtp = nodemailer.createTransport(smtpUrl, {
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  return {
    async send(m) {
      try {
        await smtp.sendMail({
          from,
          to: m.recipient,
          subject: m.rendered.subject,
          text: m.rendered.text,
          html: m.rendered.html,
          messageId: `<${m.deliveryId}@datasafe>`,
          headers: { "X-DataSafe-Delivery": m.deliveryId },
        });
      } catch (err) {
        // nodemailer's messages name the host and the SMTP reply, never the URL's password.
        throw new Error(`e-mail not accepted: ${(err as Error).message}`.slice(0, 300));
      }
    },
  };
}
