// Issue 19: support revokes a studio's PC through the API with a written reason, and the studio's
// owners receive, through a real SMTP server on loopback and the server's own worker, a mail that
// says who from support revoked which device, when, the reason, and how to reach us if nobody asked
// for it. An owner revoking their own PC sends nothing (they know). The whole server runs as in
// production (a child process with SMTP_URL): the notice goes through the alert outbox.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { enrolledPcs } from "../support/cli.ts";
import { waitFor } from "../support/integrity.ts";
import { api, owner, staff, type Person } from "../support/people.ts";
import { freePort, startServer, type TestServer } from "../support/server.ts";
import { plainText, smtpServer, type Mail } from "../support/smtp.ts";

const CONTACT = "help@datasafe.test or +44 20 7946 0000";

describe("a device revoked by support is mailed to the studio's owners", () => {
  let server: TestServer;
  let smtp: { close(): Promise<void> };
  const inbox: Mail[] = [];
  let studioId: string;
  let deviceIds: string[];
  let anna: Person;
  let support: Person;

  before(async () => {
    const port = await freePort();
    smtp = await smtpServer(port, inbox);
    server = await startServer({
      env: {
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        ALERT_MAIL_FROM: "DataSafe <alerts@datasafe.test>",
        SUPPORT_CONTACT: CONTACT,
        SWEEP_INTERVAL_SECONDS: "0.5",
      },
    });
    const studio = await enrolledPcs(server, 2);
    studioId = studio.studioId;
    deviceIds = await Promise.all(studio.pcs.map(async (pc) => (await pc.state()).deviceId));
    anna = await owner(server, studioId, "anna@revoked.test");
    await owner(server, studioId, "bo@revoked.test");
    support = await staff(server, "sam@datasafe.test", "support");
  });
  after(async () => {
    await server?.stop();
    await smtp?.close();
  });

  it("names the support person, the device, the time, the reason and our contact; an owner's own revocation sends nothing", async () => {
    const path = (deviceId: string) => `/v1/studios/${studioId}/devices/${deviceId}/revoke`;
    const noReason = await api(server, "POST", path(deviceIds[0]!), { token: support.accessToken, body: {} });
    assert.equal(noReason.status, 400, "support must give a reason");

    const reason = "Caller said the front-desk PC was stolen on Monday";
    const r = await api(server, "POST", path(deviceIds[0]!), { token: support.accessToken, body: { reason } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const revokedAt = r.body.revokedAt as string;

    await waitFor("both owners' mails", async () => inbox.length >= 2, 30_000);
    assert.deepEqual(inbox.map((m) => m.to).sort(), [["anna@revoked.test"], ["bo@revoked.test"]]);
    for (const mail of inbox) {
      assert.equal(mail.from, "alerts@datasafe.test");
      const text = plainText(mail.raw);
      assert.match(text, /a device was revoked by DataSafe staff/);
      assert.match(text, /Device: pc-1\n/);
      assert.match(text, /Revoked by: sam@datasafe\.test \(DataSafe support\)/);
      assert.ok(text.includes(`When: ${revokedAt.replace("T", " ").slice(0, 16)} UTC`), text);
      assert.ok(text.includes(`Reason given: ${reason}`), text);
      assert.ok(text.includes(`Contact us: ${CONTACT}`), text);
      assert.match(text, /If nobody did, contact us at once/);
    }

    // The owner's portal lists the notice with its delivery log.
    const alerts = await api(server, "GET", `/v1/studios/${studioId}/alerts?state=all`, { token: anna.accessToken });
    assert.equal(alerts.status, 200);
    const notices = (alerts.body.alerts as { kind: string; deviceId: string; deliveries: { state: string }[] }[]).filter(
      (a) => a.kind === "device_revoked",
    );
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.deviceId, deviceIds[0]);
    assert.deepEqual(
      notices[0]!.deliveries.map((d) => d.state),
      ["sent", "sent"],
    );

    // An owner revoking their own studio's PC: no notice (they did it; the audit log has it).
    const own = await api(server, "POST", path(deviceIds[1]!), { token: anna.accessToken, body: {} });
    assert.equal(own.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // several sweeps and deliveries
    assert.equal(inbox.length, 2, "nothing more was sent");
    // Revoking again keeps the first revocation and sends nothing either.
    const again = await api(server, "POST", path(deviceIds[0]!), { token: support.accessToken, body: { reason: "again" } });
    assert.equal(again.body.alreadyRevoked, true);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(inbox.length, 2);
  });
});
