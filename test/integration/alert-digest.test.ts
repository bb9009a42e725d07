// The daily digest: once a UTC day has ended, each owner who did not turn it off receives, through
// a real SMTP server on loopback, one mail saying what happened to the studio's backups that day:
// which PCs backed up and which did not, the restore points and their checks, failed runs, open
// alerts, storage. Written once by racing evaluations, once per day; not in the alert list.
// Real Postgres; a ManualClock for time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../server/clock.ts";
import type { Ctx } from "../../server/context.ts";
import type { Actor } from "../../server/services/audit.ts";
import { deliverDue } from "../../server/services/alerts/deliver.ts";
import { DAILY_DIGEST } from "../../server/services/alerts/digest.ts";
import { evaluateAlerts } from "../../server/services/alerts/evaluate.ts";
import { listStudioAlerts } from "../../server/services/alerts/queries.ts";
import { alertSettings, updateAlertSettings } from "../../server/services/alerts/settings.ts";
import { defaultTransports } from "../../server/services/alerts/transports.ts";
import { commitAt, HOUR, makeDevice, makeStudio, run } from "../support/alerts.ts";
import { startInProcess, type InProcess } from "../support/in-process.ts";
import { freePort } from "../support/server.ts";
import { plainText, smtpServer, type Mail } from "../support/smtp.ts";

const OWNER: Actor = { id: null, role: "owner", label: "anna@digest.test", address: null };

describe("daily digest", () => {
  let app: InProcess;
  let ctx: Ctx;
  let smtp: { close(): Promise<void> };
  const inbox: Mail[] = [];
  const clock = new ManualClock(new Date("2027-07-01T10:00:00Z"));

  before(async () => {
    const port = await freePort();
    smtp = await smtpServer(port, inbox);
    app = await startInProcess({ env: { SMTP_URL: `smtp://127.0.0.1:${port}`, ALERT_MAIL_FROM: "DataSafe <alerts@datasafe.test>" } });
    ctx = { ...app.ctx, clock };
  });
  after(async () => {
    await app?.close();
    await smtp?.close();
  });

  it("tells each owner who wants it what happened yesterday, once per day", async () => {
    const studioId = await makeStudio(ctx, "Digest Photo", ["anna@digest.test", "ben@digest.test"]);
    await updateAlertSettings(ctx, OWNER, studioId, { digestOptOut: ["BEN@digest.test"] });
    assert.deepEqual(
      (await alertSettings(ctx, studioId)).recipients.map((r) => [r.email, r.digest]),
      [
        ["anna@digest.test", true],
        ["ben@digest.test", false],
      ],
    );
    await ctx.db.studio.create({ data: { name: "Nobody's Photo", ownerEmail: "nobody@digest.test" } }); // no member: no digest
    const front = await makeDevice(ctx, studioId, "pc-front");
    await makeDevice(ctx, studioId, "pc-back");
    const first = await commitAt(ctx, front);
    await ctx.db.restorePoint.update({ where: { id: first }, data: { health: "verified" } });
    clock.advance(2 * HOUR);
    await commitAt(ctx, front);
    await run(ctx, front, "failed");

    // Not before the day is over.
    await evaluateAlerts(ctx);
    assert.equal(await ctx.db.alert.count({ where: { kind: DAILY_DIGEST } }), 0);

    clock.advance(12 * HOUR + 5 * 60_000); // 2027-07-02 00:05
    await Promise.all([evaluateAlerts(ctx), evaluateAlerts(ctx), evaluateAlerts(ctx)]);
    const digests = await ctx.db.alert.findMany({ where: { kind: DAILY_DIGEST }, include: { deliveries: true } });
    assert.equal(digests.length, 1, "one digest, for the studio with an owner, by racing evaluations");
    assert.equal(digests[0]!.studioId, studioId);
    assert.deepEqual(
      digests[0]!.deliveries.map((d) => [d.channel, d.recipient]),
      [["email", "anna@digest.test"]],
    );

    await deliverDue(ctx, defaultTransports(ctx.config), clock.now());
    assert.equal(inbox.length, 1);
    assert.deepEqual(inbox[0]!.to, ["anna@digest.test"]);
    const text = plainText(inbox[0]!.raw);
    assert.match(text, /Digest Photo: your backups yesterday/);
    for (const line of [
      "Day: 2027-07-01 (UTC)",
      "PCs that backed up: 1 of 2",
      "Restore points: 2 (0.00 GB), verified 1, damaged 0, not yet checked 1",
      "pc-back: no backup",
      "pc-front: 2 backups, last 2027-07-01 12:00 UTC, 1 failed run",
      "Open alerts: 0",
    ])
      assert.ok(text.includes(line), `${line}\n---\n${text}`);
    assert.doesNotMatch(text, /Since:/, "a report, not a condition");
    assert.equal((await listStudioAlerts(ctx, studioId, { state: "all", limit: 100 })).length, 0, "not in the alert list");

    // Later the same day: nothing new. The next day: the next digest, which says nobody backed up.
    clock.advance(6 * HOUR);
    await evaluateAlerts(ctx);
    assert.equal(await ctx.db.alert.count({ where: { kind: DAILY_DIGEST } }), 1);
    clock.advance(18 * HOUR);
    await evaluateAlerts(ctx);
    await deliverDue(ctx, defaultTransports(ctx.config), clock.now());
    assert.equal(await ctx.db.alert.count({ where: { kind: DAILY_DIGEST } }), 2);
    // The day also left both PCs without a backup: their missed-backup alerts go out beside it.
    const digestMails = inbox.filter((m) => plainText(m.raw).includes("your backups yesterday"));
    assert.equal(digestMails.length, 2);
    const second = plainText(digestMails[1]!.raw);
    assert.ok(second.includes("Day: 2027-07-02 (UTC)"), second);
    assert.ok(second.includes("PCs that backed up: 0 of 2"), second);
    assert.ok(second.includes("Open alerts: 2"), "the missed backups raised just before it");
  });
});
