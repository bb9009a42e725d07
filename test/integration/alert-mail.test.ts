// Alert e-mail through a real SMTP server (the smtp-server package, in process on loopback) with
// the transport a server with SMTP_URL uses: the owner receives the message, which names the
// device and the times but no file or chunk; while the SMTP server is down the delivery is
// retried with backoff, and the message arrives once it is back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import { deliverDue } from "../../server/services/alerts/deliver.ts";
import { evaluateAlerts } from "../../server/services/alerts/evaluate.ts";
import { ALERT } from "../../server/services/alerts/kinds.ts";
import { defaultTransports } from "../../server/services/alerts/transports.ts";
import { HOUR, makeDevice, makeStudio } from "../support/alerts.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { freePort } from "../support/server.ts";
import { smtpServer, type Mail } from "../support/smtp.ts";

describe("alert e-mail", () => {
  let app: InProcess;
  let ctx: Ctx;
  let port: number;
  const clock = new ManualClock(new Date("2027-05-01T00:00:00Z"));

  before(async () => {
    port = await freePort();
    app = await startInProcess({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, ALERT_MAIL_FROM: "DataSafe <alerts@datasafe.test>" } });
    ctx = { ...app.ctx, clock };
  });
  after(async () => app?.close());

  it("reaches the owner through SMTP, retried while the server is down, with no file or chunk in it", async () => {
    const transports = defaultTransports(ctx.config);
    assert.ok(transports.email, "SMTP_URL gives an e-mail transport");
    const studioId = await makeStudio(ctx, "Darkroom Studio", ["cara@smtp.test"]);
    await makeDevice(ctx, studioId, "darkroom-pc");
    clock.advance(26 * HOUR + 60_000); // enrolled, never backed up
    await evaluateAlerts(ctx);
    const row = await ctx.db.alertDelivery.findFirstOrThrow({ where: { studioId, channel: "email", alert: { kind: ALERT.missedBackup } } });
    assert.equal(row.recipient, "cara@smtp.test");

    // Nothing listens yet: the attempt fails and is scheduled again.
    await deliverDue(ctx, transports, clock.now());
    const waiting = await ctx.db.alertDelivery.findUniqueOrThrow({ where: { id: row.id } });
    assert.equal(waiting.state, "pending");
    assert.equal(waiting.attempts, 1);
    assert.match(waiting.lastError ?? "", /^e-mail not accepted: .*ECONNREFUSED/);

    const inbox: Mail[] = [];
    const smtp = await smtpServer(port, inbox);
    try {
      clock.advance(2 * 60_000); // past the first backoff (1 minute)
      await deliverDue(ctx, transports, clock.now());
      const sent = await ctx.db.alertDelivery.findUniqueOrThrow({ where: { id: row.id } });
      assert.equal(sent.state, "sent");
      // The clock crossed midnight: the owner's daily digest went out too. This test follows the alert's message.
      const mine = () => inbox.filter((m) => m.raw.includes(`<${row.id}@datasafe>`));
      assert.equal(mine().length, 1);
      const [mail] = mine();
      assert.deepEqual(mail!.to, ["cara@smtp.test"]);
      assert.equal(mail!.from, "alerts@datasafe.test");
      assert.match(mail!.raw, /darkroom-pc/);
      assert.match(mail!.raw, new RegExp(`Message-ID: <${row.id}@datasafe>`, "i"));
      const alert = await ctx.db.alert.findUniqueOrThrow({ where: { id: row.alertId } });
      assert.equal(alert.kind, ALERT.missedBackup);
      // Zero knowledge: nothing but what the server has (names of studio and PC, times, counts).
      assert.doesNotMatch(mail!.raw, /[0-9a-f]{64}/, "no chunk id");

      // Delivered once: another run sends nothing more.
      clock.advance(60 * 60_000);
      await deliverDue(ctx, transports, clock.now());
      assert.equal(mine().length, 1);
    } finally {
      await smtp.close();
    }
  });
});
