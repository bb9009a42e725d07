// Issue 22, the API: owners list their studio's alerts and set who hears of them (mail opt-out,
// webhook URL, secret rotation), another studio's owner gets 404, support lists the open alerts of
// every studio oldest first and resends one (audited), and the running server's worker delivers
// the resend to a real webhook receiver, signed with the rotated secret.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { verifyWebhook } from "../../protocol/webhook-signature.ts";
import { webhookReceiver } from "../support/alerts.ts";
import { newStudio } from "../support/cli.ts";
import { waitFor } from "../support/integrity.ts";
import { api, owner, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";

interface AlertJson {
  id: string;
  studioId: string;
  kind: string;
  title: string;
  facts: string[];
  openedAt: string;
  studioName?: string;
  deliveries: Array<{ channel: string; state: string }>;
}

describe("alerts API", () => {
  let server: TestServer;
  let db: pg.Client;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  let a: string;
  let b: string;
  let ownerA: Person;
  let ownerB: Person;
  let support: Person;
  const alertIds: string[] = [];
  let hookSecret = "";

  // A kind no evaluator resolves (the running worker evaluates all the time); its cause has its own tests.
  const insertAlert = async (studioId: string, hoursAgo: number) => {
    const id = randomUUID();
    await db.query(
      `INSERT INTO "Alert" (id, "studioId", kind, details, "createdAt", "openKey", "notifiedAt")
       VALUES ($1, $2, 'restore_point_damaged', $3, now() - make_interval(hours => $4), $5, now())`,
      [id, studioId, JSON.stringify({ damagedChunks: 4 }), hoursAgo, `restore_point_damaged:${id}`],
    );
    return id;
  };

  before(async () => {
    server = await startServer({ env: { SWEEP_INTERVAL_SECONDS: "0.5" } });
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
    hook = await webhookReceiver();
    a = (await newStudio(server, "Alpha Photo")).studioId;
    b = (await newStudio(server, "Beta Photo")).studioId;
    ownerA = await owner(server, a, "owner@alpha.test");
    ownerB = await owner(server, b, "owner@beta.test");
    support = await staff(server, "desk@support.test", "support");
    alertIds.push(await insertAlert(a, 5), await insertAlert(b, 30), await insertAlert(a, 50));
  });
  after(async () => {
    await hook?.close();
    await db?.end();
    await server?.stop();
  });

  it("owners see their studio's alerts, zero knowledge, and not another studio's", async () => {
    const r = await api(server, "GET", `/v1/studios/${a}/alerts`, { token: ownerA.accessToken });
    assert.equal(r.status, 200);
    const alerts = r.body.alerts as AlertJson[];
    assert.deepEqual(alerts.map((x) => x.id).sort(), [alertIds[0], alertIds[2]].sort());
    assert.ok(alerts[0]!.facts.includes("Damaged pieces: 4"));
    assert.equal((await api(server, "GET", `/v1/studios/${a}/alerts`, { token: ownerB.accessToken })).status, 404);
  });

  it("owners set recipients and the webhook, rotate its secret; support may not; each change is audited", async () => {
    const put = await api(server, "PUT", `/v1/studios/${a}/alert-settings`, {
      token: ownerA.accessToken,
      body: { emailOptOut: ["Owner@Alpha.test"], webhookUrl: hook.url },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.recipients, [{ email: "owner@alpha.test", optedOut: true, digest: true }]);
    assert.equal(put.body.webhookUrl, hook.url);
    assert.equal(put.body.webhookSecretSet, false);
    const bad = await api(server, "PUT", `/v1/studios/${a}/alert-settings`, {
      token: ownerA.accessToken,
      body: { webhookUrl: "ftp://x.test/" },
    });
    assert.equal(bad.status, 400);
    const secret = await api(server, "POST", `/v1/studios/${a}/alert-settings/webhook-secret`, { token: ownerA.accessToken });
    assert.equal(secret.status, 201);
    assert.match(secret.body.secret as string, /^whsec_/);
    const get = await api(server, "GET", `/v1/studios/${a}/alert-settings`, { token: ownerA.accessToken });
    assert.equal(get.body.webhookSecretSet, true);
    assert.ok(!JSON.stringify(get.body).includes(secret.body.secret as string), "the secret is shown once");
    const bySupport = await api(server, "PUT", `/v1/studios/${a}/alert-settings`, {
      token: support.accessToken,
      body: { webhookUrl: null },
    });
    assert.equal(bySupport.status, 403);
    const actions = (
      await db.query<{ action: string }>(
        `SELECT action FROM "AuditEvent" WHERE "studioId" = $1 AND (action LIKE 'alert%' OR action LIKE 'webhook%')`,
        [a],
      )
    ).rows.map((r) => r.action);
    assert.ok(actions.includes("alert-settings.changed") && actions.includes("webhook-secret.rotated"), actions.join(","));
    hookSecret = secret.body.secret as string;
  });

  it("support lists open alerts across studios oldest first and resends one (audited, delivered, signed)", async () => {
    const q = await api(server, "GET", "/v1/support/alerts?scope=open", { token: support.accessToken });
    assert.equal(q.status, 200);
    const listed = (q.body.alerts as AlertJson[]).map((x) => x.id);
    assert.deepEqual(listed, [alertIds[2], alertIds[1], alertIds[0]], "oldest first, both studios");
    assert.equal((q.body.alerts as AlertJson[])[1]!.studioName, "Beta Photo");
    assert.equal((await api(server, "GET", "/v1/support/alerts", { token: ownerA.accessToken })).status, 403);

    const r = await api(server, "POST", `/v1/support/alerts/${alertIds[0]}/resend`, { token: support.accessToken });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.deliveries, 1, "the webhook only: the one owner opted out of mail");
    await waitFor("the webhook", async () => hook.received.length > 0, 30_000);
    const got = hook.received[0]!;
    const verdict = verifyWebhook(
      hookSecret,
      {
        id: got.headers["webhook-id"] as string,
        timestamp: got.headers["webhook-timestamp"] as string,
        signature: got.headers["webhook-signature"] as string,
      },
      got.body,
      Math.floor(Date.now() / 1000),
    );
    assert.equal(verdict, "ok");
    assert.equal((JSON.parse(got.body) as { alert: { id: string } }).alert.id, alertIds[0]);
    const audited = await db.query(`SELECT 1 FROM "AuditEvent" WHERE action = 'alert.resent' AND target = $1 AND "actorRole" = 'support'`, [
      alertIds[0],
    ]);
    assert.equal(audited.rowCount, 1);
    const list = await api(server, "GET", `/v1/studios/${a}/alerts`, { token: ownerA.accessToken });
    const shown = (list.body.alerts as AlertJson[]).find((x) => x.id === alertIds[0])!;
    assert.deepEqual(
      shown.deliveries.map((d) => [d.channel, d.state]),
      [["webhook", "sent"]],
      "the delivery log owners see",
    );
  });
});
