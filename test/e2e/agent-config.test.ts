// `datasafe config`, `datasafe run` refusing a bad configuration, and `datasafe service` writing
// a systemd unit into DATASAFE_SYSTEMD_DIR (systemctl is never called here). Real CLI processes,
// homes and folders with spaces and non-ASCII names; no server needed.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { run } from "../support/cli.ts";
import { ROOT } from "../support/server.ts";

describe("agent configuration and service", { timeout: 60_000 }, () => {
  let dir: string;
  let home: string;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? os.homedir(),
    DATASAFE_HOME: home,
    ...extra,
  });
  const ds = (args: string[], extra?: NodeJS.ProcessEnv) => run("datasafe.js", ["--json", ...args], env(extra));

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "datasafe agent cfg "));
    home = path.join(dir, "Datensafe Heim ü");
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("edits the configuration and reports invalid values by field, changing nothing", async () => {
    const photos = path.join(dir, "Fotos Kunden é");
    await mkdir(photos);
    assert.equal((await ds(["config", "add-source", photos, "--watch"])).code, 0);
    const ok = await ds(["config", "set", "bandwidth.windows", "08:00-18:00=2MB,18:00-08:00=unlimited"]);
    assert.equal(ok.code, 0, ok.stderr);
    const config = ok.json.config as { sources: unknown; bandwidth: unknown; schedule: string };
    assert.deepEqual(config.sources, [{ path: photos, watch: true }]);
    assert.deepEqual(config.bandwidth, {
      limit: null,
      windows: [
        { from: "08:00", to: "18:00", limit: 2_000_000 },
        { from: "18:00", to: "08:00", limit: null },
      ],
    });
    assert.equal(config.schedule, "0 2 * * *", "daily at night by default");

    const cases: Array<[string[], number, RegExp]> = [
      [["config", "set", "schedule", "0 25 * * *"], 2, /^schedule: not a valid cron expression/],
      [["config", "set", "bandwidth.windows", "8-18=2MB"], 2, /^bandwidth\.windows\[0\]\.from: must be HH:MM/],
      [["config", "set", "bandwidth.limit", "fast"], 2, /^bandwidth\.limit: .*number/],
      [["config", "set", "parallelUploads", "0"], 2, /^parallelUploads: /],
      [["config", "set", "heartbeatSeconds", "600"], 2, /^heartbeatSeconds: /],
      [["config", "add-source", path.join(dir, "missing")], 4, /does not exist/],
      [["config", "add-source", path.join(dir, "x", "Fotos Kunden é")], 4, /does not exist/],
      [["config", "set", "nope", "1"], 2, /unknown setting "nope"/],
    ];
    const before = await readFile(path.join(home, "agent.json"), "utf8");
    for (const [args, code, problem] of cases) {
      const r = await ds(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      const err = r.json.error as { problems?: string[]; message: string };
      assert.match(err.problems?.[0] ?? err.message, problem, args.join(" "));
    }
    assert.equal(await readFile(path.join(home, "agent.json"), "utf8"), before, "a rejected change is not saved");
  });

  it("datasafe run refuses a hand-edited file with every problem named, before anything else", async () => {
    await writeFile(path.join(home, "agent.json"), JSON.stringify({ sources: [{ path: "Photos" }], schedule: "every night", bandwith: 5 }));
    const r = await ds(["run"]);
    assert.equal(r.code, 2, r.stderr);
    const err = r.json.error as { code: string; problems: string[]; message: string };
    assert.equal(err.code, "CONFIG_INVALID");
    assert.ok(err.message.startsWith(path.join(home, "agent.json")), err.message);
    assert.deepEqual(err.problems.map((p) => p.split(":")[0]).sort(), ["bandwith", "schedule", "sources[0].path"]);
    await writeFile(path.join(home, "agent.json"), "{ not json");
    const bad = await ds(["run"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /agent\.json: not valid JSON/);
    await rm(path.join(home, "agent.json"));
    const notEnrolled = await ds(["run"]);
    assert.equal(notEnrolled.code, 2);
    assert.equal((notEnrolled.json.error as { code: string }).code, "NOT_ENROLLED");
  });

  it("per-source exclude patterns and the default excludes: set, shown, validated by field", async () => {
    const other = { DATASAFE_HOME: path.join(dir, "home excludes") };
    const photos = path.join(dir, "Fotos Ausschluss");
    await mkdir(photos);
    const add = await ds(
      ["config", "add-source", photos, "--exclude", "*.xmp.bak", "--exclude", "/Exports/", "--no-default-excludes"],
      other,
    );
    assert.equal(add.code, 0, add.stderr);
    assert.deepEqual((add.json.config as { sources: unknown }).sources, [
      { path: photos, watch: false, exclude: ["*.xmp.bak", "/Exports/"], defaultExcludes: false },
    ]);
    assert.ok((add.json.defaultExcludes as string[]).includes("* Previews.lrdata/"), "the defaults are listed for the studio to see");
    // Re-adding with only --watch keeps the patterns.
    const watched = await ds(["config", "add-source", photos, "--watch"], other);
    assert.equal(watched.code, 0, watched.stderr);
    assert.deepEqual((watched.json.config as { sources: unknown }).sources, [
      { path: photos, watch: true, exclude: ["*.xmp.bak", "/Exports/"], defaultExcludes: false },
    ]);
    const off = await ds(["config", "set", "defaultExcludes", "off"], other);
    assert.equal(off.code, 0, off.stderr);
    assert.equal((off.json.config as { defaultExcludes: boolean }).defaultExcludes, false);

    const shown = await run("datasafe.js", ["config", "show"], env(other));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /excludes: no default excludes, "\*\.xmp\.bak", "\/Exports\/"/);
    assert.match(shown.stdout, /default excludes \(off unless a source says otherwise[^\n]*\n {2}\* Previews\.lrdata\/ .*Thumbs\.db/);

    const bad = await ds(["config", "add-source", photos, "--exclude", "ok", "--exclude", ""], other);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match((bad.json.error as { problems: string[] }).problems[0]!, /^sources\[0\]\.exclude\[1\]: exclude pattern is empty/);
    const notBool = await ds(["config", "set", "defaultExcludes", "maybe"], other);
    assert.equal(notBool.code, 2);
    assert.match((notBool.json.error as { problems: string[] }).problems[0]!, /^defaultExcludes: /);
  });

  it("service install writes a systemd unit that quotes paths with spaces and non-ASCII; uninstall removes it", async () => {
    const unitDir = path.join(dir, "systemd units");
    const r = await ds(["service", "install"], { DATASAFE_SYSTEMD_DIR: unitDir });
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(unitDir, "datasafe-agent.service");
    assert.equal(r.json.file, file);
    const unit = await readFile(file, "utf8");
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "";
    const args = [...exec.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
      m[1]!.replace(/\\(.)/g, "$1").replace(/%%/g, "%").replace(/\$\$/g, "$"),
    );
    assert.deepEqual(args, [process.execPath, path.join(ROOT, "bin", "datasafe.js"), "run", "--json"]);
    assert.ok(unit.includes(`Environment="DATASAFE_HOME=${home}"`), unit);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^WantedBy=/m);
    assert.deepEqual(
      r.json.next,
      process.getuid?.() === 0
        ? ["systemctl daemon-reload", "systemctl enable --now datasafe-agent.service"]
        : ["systemctl --user daemon-reload", "systemctl --user enable --now datasafe-agent.service"],
    );

    const u = await ds(["service", "uninstall"], { DATASAFE_SYSTEMD_DIR: unitDir });
    assert.equal(u.code, 0, u.stderr);
    await assert.rejects(stat(file), { code: "ENOENT" });
  });
});
