// The support console and the owner portal in a real browser (Debian's Chromium through
// playwright-core) against a real server (API + worker, Postgres, Redis): support signs in with a
// TOTP code, finds a studio by part of its owner's e-mail as they type, reads the last backup and
// the latest restore point's time and health that the API reports, sees the 90-day strip; the
// look is audited; support creates an enrollment token and revokes a PC with a written reason
// (audited); the owner sees their studio, who from support looked, and not another studio.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { StudioDeskView } from "../../protocol/people.ts";
import { fromBase32, totp, TOTP_STEP_SECONDS } from "../../server/services/users/totp.ts";
import { CONTENT_SECURITY_POLICY } from "../../server/web/serve.ts";
import { admin as adminCli, Pc } from "../support/cli.ts";
import { waitFor } from "../support/integrity.ts";
import { acceptLink, api, PASSWORD, signIn, staff, type Person } from "../support/people.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { launchChromium, type Browser } from "./browser.ts";

const DAY_MS = 86_400_000;
const SHOTS = process.env.WEB_SCREENSHOT_DIR ?? "/tmp";

/** The page's "YYYY-MM-DD HH:MM" (the browser runs in UTC). */
const shown = (iso: string) => iso.slice(0, 16).replace("T", " ");
const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

describe("web console in Chromium", { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let studioA: string;
  let studioB: string;
  let deviceA: string;
  let supportEmail: string;
  let supportSecret: Buffer;
  let support: Person;
  let operator: Person;
  const ownerA = "anna@lumen-photography.test";

  async function createStudio(name: string, ownerEmail: string): Promise<string> {
    const r = await adminCli(server, ["create-studio", "--name", name, "--owner-email", ownerEmail]);
    assert.equal(r.code, 0, r.stderr);
    await acceptLink(server, (r.json.invitation as { link: string }).link);
    return r.json.studioId as string;
  }

  before(async () => {
    server = await startServer();
    studioA = await createStudio("Lumen Photography", ownerA);
    studioB = await createStudio("Other Studio B", "bob@other-studio.test");

    // A PC of studio A backs up a small tree; the worker verifies the restore point.
    const token = await adminCli(server, ["enrollment-token", "--studio", studioA]);
    const pc = await Pc.create(server);
    assert.equal((await pc.run(["enroll", "--token", token.json.token as string, "--name", "front-desk"])).code, 0);
    const src = path.join(server.dir, "src");
    await mkdir(src);
    await writeFile(path.join(src, "portrait.jpg"), "not really a photo");
    const backup = await pc.run(["backup", src]);
    assert.equal(backup.code, 0, backup.stderr);
    const rp = String(backup.json.restorePointId);
    const device = await pc.auth();
    deviceA = (await pc.state()).deviceId;
    // Its agent's reports: a heartbeat, yesterday's successful run and the day before's failure.
    const hb = await api(server, "POST", "/v1/heartbeats", {
      headers: device,
      body: {
        agentVersion: "1.4.2",
        os: "Windows 11",
        state: "idle",
        nextRunAt: new Date(Date.now() + 6 * 3600_000).toISOString(),
        lastRun: null,
        lastSuccessAt: null,
      },
    });
    assert.equal(hb.status, 200, JSON.stringify(hb.body));
    const run = (daysAgo: number, result: "success" | "failed", errorCode: string | null, restorePointId: string | null) => {
      const startedAt = new Date(Date.now() - daysAgo * DAY_MS);
      return api(server, "PUT", `/v1/runs/${randomUUID()}`, {
        headers: device,
        body: {
          trigger: "scheduled",
          startedAt: startedAt.toISOString(),
          finishedAt: new Date(startedAt.getTime() + 60_000).toISOString(),
          result,
          errorCode,
          restorePointId,
        },
      });
    };
    assert.equal((await run(1, "success", null, rp)).status, 200);
    assert.equal((await run(2, "failed", "DISK_FULL", null)).status, 200);

    // Support: invited, enrolls TOTP through the API (the test keeps the secret to type codes).
    supportEmail = "sam@support.datasafe.test";
    const created = await adminCli(server, ["create-user", "--email", supportEmail, "--role", "support"]);
    await acceptLink(server, created.json.link as string);
    support = { email: supportEmail, password: PASSWORD, userId: "", ...(await signIn(server, supportEmail)) };
    const begin = await api(server, "POST", "/v1/me/totp", { token: support.accessToken });
    supportSecret = fromBase32(begin.body.secret as string);
    const confirm = await api(server, "POST", "/v1/me/totp/confirm", {
      token: support.accessToken,
      body: { code: totp(supportSecret, new Date()) },
    });
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    support.userId = ((await api(server, "GET", "/v1/me", { token: support.accessToken })).body.userId as string) ?? "";
    operator = await staff(server, "ops@datasafe.test", "admin");
    await waitFor("the restore point verified", async () => {
      const r = await api(server, "GET", `/v1/studios/${studioA}/restore-points`, { token: operator.accessToken });
      return (r.body.restorePoints as Array<{ health: string }>)[0]?.health === "verified";
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const audit = async () =>
    (await api(server, "GET", `/v1/admin/audit?studioId=${studioA}&limit=1000`, { token: operator.accessToken })).body.events as Array<{
      action: string;
      actorId: string | null;
      target: string | null;
      details: Record<string, unknown>;
    }>;

  it("support signs in with a TOTP code, finds the studio by part of its owner's e-mail as they type, and reads the last backup", async () => {
    const { page } = browser;
    const res = await page.goto(`${server.url}/app/`);
    assert.equal(res?.headers()["content-security-policy"], CONTENT_SECURITY_POLICY);
    await page.waitForURL(/\/app\/sign-in\?next=/);
    await page.fill("#email", supportEmail);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.locator("#code").waitFor({ state: "visible" }); // the API answered TOTP_REQUIRED
    // The next 30-second step's code: the one used to confirm is spent, one step of drift is allowed.
    await page.fill("#code", totp(supportSecret, new Date(Date.now() + TOTP_STEP_SECONDS * 1000)));
    await page.click("button[type=submit]");
    await page.waitForURL(/\/app\/search$/);
    assert.match(await page.locator("[data-testid=who]").innerText(), new RegExp(`${supportEmail}.*support`));

    const searches: string[] = [];
    page.on("request", (r) => void (r.url().includes("/v1/support/studios") && searches.push(r.url())));
    await page.locator("#q").pressSequentially("lumen-photog", { delay: 40 });
    const link = page.locator("#results a", { hasText: "Lumen Photography" });
    await link.waitFor();
    assert.ok(searches.length >= 1 && searches.length <= 2, `debounced: ${searches.length} searches for 12 keystrokes`);
    assert.equal(await page.locator("#results a").count(), 1, "studio B does not match");
    await link.click();
    await page.waitForURL(new RegExp(`/app/studios/${studioA}$`));
    await page.locator("[data-testid=studio-name]", { hasText: "Lumen Photography" }).waitFor();

    const desk = (await api(server, "GET", `/v1/studios/${studioA}`, { token: operator.accessToken })).body as unknown as StudioDeskView;
    assert.equal(await page.locator("[data-testid=latest]").innerText(), `${shown(desk.latest!.createdAt)} Verified`);
    const status = page.locator("[data-testid=last-backup]");
    assert.equal(await status.getAttribute("data-freshness"), "ok");
    assert.match(await status.innerText(), /OK\s+Last backup (just now|\d+ minutes? ago)/);
    const row = await page.locator("tbody tr", { hasText: "front-desk" }).first().innerText();
    for (const text of ["1.4.2", "Windows 11", "idle"]) assert.ok(row.includes(text), `${text} in ${row}`);

    // The strip: yesterday verified, the day before failed, today nothing yet.
    const squares = page.locator(".strip[data-device=front-desk] .day");
    assert.equal(await squares.count(), 90);
    const states = await squares.evaluateAll((els) =>
      els.map((e) => `${e.getAttribute("title")?.slice(0, 10)} ${e.getAttribute("data-state")}`),
    );
    assert.equal(states.at(-2), `${utcDay(Date.now() - DAY_MS)} verified`);
    assert.equal(states.at(-3), `${utcDay(Date.now() - 2 * DAY_MS)} failed`);
    await page.screenshot({ path: path.join(SHOTS, "datasafe-web-support-studio.png"), fullPage: true });

    const looks = (await audit()).filter((e) => e.action === "support.lookup" && e.actorId === support.userId);
    assert.ok(looks.length >= 1, "the audit log holds support's look at the studio");
  });

  it("support creates an enrollment token (shown once, works) and revokes a PC only with a written reason (audited)", async () => {
    const { page } = browser;
    await page.click("#new-token");
    const token = await page.locator("#token").inputValue();
    const lookup = await api(server, "POST", "/v1/enrollments/lookup", { body: { token } });
    assert.equal(lookup.status, 200, JSON.stringify(lookup.body));
    assert.equal(lookup.body.studioId, studioA);
    assert.ok((await page.locator("pre").innerText()).includes(`--token ${token}`));

    await page.click("[data-revoke=front-desk]");
    await page.click("form.confirm button[type=submit]");
    await page.locator("form.confirm [role=alert]", { hasText: "Write why" }).waitFor();
    assert.equal((await audit()).filter((e) => e.action === "device.revoked").length, 0, "nothing revoked without a reason");
    await page.fill("form.confirm textarea", "PC stolen in a break-in, ticket 4711");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/devices/${deviceA}/revoke`), { timeout: 15_000 }),
      page.click("form.confirm button[type=submit]"),
    ]);
    assert.equal(answer.status(), 200, await answer.text());
    await page
      .locator("tbody tr", { hasText: "front-desk" })
      .locator(".badge", { hasText: /^Revoked$/ })
      .waitFor();
    const events = await audit();
    const revoked = events.filter((e) => e.action === "device.revoked");
    assert.equal(revoked.length, 1, JSON.stringify(events.map((e) => [e.action, e.target, e.details])));
    assert.equal(revoked[0]!.actorId, support.userId);
    assert.equal(revoked[0]!.target, deviceA);
    assert.equal(revoked[0]!.details.reason, "PC stolen in a break-in, ticket 4711");
  });

  it("the owner sees their studio's restore points and support's looks, and not another studio", async () => {
    const { page } = browser;
    await page.goto(`${server.url}/app/sign-in`);
    await page.fill("#email", ownerA);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(new RegExp(`/app/studios/${studioA}$`)); // their only studio
    await page.locator("[data-testid=studio-name]", { hasText: "Lumen Photography" }).waitFor();
    assert.match(await page.locator("[data-testid=who]").innerText(), /anna@lumen-photography\.test.*owner/);
    const section = (title: string) => page.locator("section").filter({ has: page.getByRole("heading", { name: title, exact: true }) });
    const points = section("Restore points").locator("tbody tr");
    assert.equal(await points.count(), 1);
    assert.match(await points.first().innerText(), /Verified\s+front-desk/);
    const looks = await section("Who from support looked").innerText();
    assert.ok(looks.includes(supportEmail), looks);
    await page.screenshot({ path: path.join(SHOTS, "datasafe-web-owner-portal.png"), fullPage: true });

    await page.goto(`${server.url}/app/studios/${studioB}`);
    await page.locator("[role=alert]", { hasText: "Not found" }).waitFor();
    assert.ok(!(await page.content()).includes("Other Studio B"));
    const direct = await page.request.get(`${server.url}/v1/studios/${studioB}`);
    assert.equal(direct.status(), 404);
  });

  it("the CSP blocks an injected inline script, and the pages ran without script errors", async () => {
    const { page } = browser;
    const violated = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective), { once: true });
          const s = document.createElement("script");
          s.textContent = "window.injected = true";
          document.body.append(s);
        }),
    );
    assert.match(violated, /^script-src/);
    assert.equal(await page.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined);
    // Expected: 401 before sign-in (and its refresh attempt) and for the TOTP step, 404 for studio B.
    const unexpected = browser.problems.filter((p) => !/status of 40[14]|Content Security Policy.*inline/i.test(p));
    assert.deepEqual(unexpected, []);
  });
});
