// The shipped uploader (`npm run package`): the Linux executable alone in an empty folder, with no
// Node on PATH and no checkout around, enrolls, backs up, runs the agent for one scheduled backup
// and restores byte for byte against a real server; the checkout's CLI (zstd from the addon)
// restores what the executable (zstd from node:zlib) backed up. The Windows executable is built
// too and its embedded bundle checked (it cannot run here).
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { cronIn } from "../support/agent.ts";
import { newStudio, PASSPHRASE, Pc } from "../support/cli.ts";
import { ROOT } from "../support/process.ts";
import { startServer, type TestServer } from "../support/server.ts";
import { describeTree, makeStudioTree } from "../support/tree.ts";

const exec = promisify(execFile);

describe("the single executable", { timeout: 600_000 }, () => {
  let server: TestServer;
  let dir: string;
  let exe: string;
  let manifest: { version: string; files: Array<{ name: string; size: number; sha256: string }> };

  before(async () => {
    // Built for this run (never a stale one): about a minute with the runtimes cached in dist/sea-cache.
    await exec(process.execPath, [path.join(ROOT, "scripts", "package.mjs")], { cwd: ROOT, maxBuffer: 1 << 24 });
    manifest = JSON.parse(await readFile(path.join(ROOT, "dist", "release", "release.json"), "utf8")) as typeof manifest;
    server = await startServer();
    dir = await mkdtemp(path.join(server.dir, "lonely-"));
    exe = path.join(dir, "datasafe");
    await copyFile(path.join(ROOT, "dist", "release", "datasafe-linux-x64"), exe);
  });
  after(async () => server?.stop());

  /** The executable's environment: an empty PATH folder (no node, no npm), cwd the empty folder. */
  function env(home: string): NodeJS.ProcessEnv {
    return {
      PATH: path.join(dir, "no-such-bin"),
      HOME: home,
      DATASAFE_HOME: home,
      DATASAFE_SERVER: server.url,
      DATASAFE_PASSPHRASE: PASSPHRASE,
    };
  }
  async function run(home: string, args: string[]): Promise<Record<string, unknown>> {
    try {
      const { stdout } = await exec(exe, ["--json", ...args], { cwd: dir, env: env(home), maxBuffer: 1 << 24 });
      return JSON.parse(stdout) as Record<string, unknown>;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`datasafe ${args.join(" ")} failed:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
  }

  it("backs up, runs a scheduled backup and restores byte for byte, with no Node and no checkout", async () => {
    const home = path.join(dir, "home");
    const src = path.join(server.dir, "studio");
    await mkdir(home);
    await makeStudioTree(src, { dbBytes: 3_000_000, photos: 3 });
    const studio = await newStudio(server);
    await run(home, ["enroll", "--token", await studio.token(), "--name", "front-desk"]);

    const first = await run(home, ["backup", src]);
    const restored = path.join(dir, "restored");
    await run(home, ["restore", String(first.restorePointId), "--to", restored]);
    assert.deepEqual(await describeTree(path.join(restored, "studio")), await describeTree(src));

    // The agent: one scheduled backup, then a clean stop.
    await run(home, ["config", "add-source", src]);
    await run(home, ["config", "set", "heartbeatSeconds", "1"]);
    // A slot far enough ahead that the agent is up before it, even on a loaded machine.
    await run(home, ["config", "set", "schedule", cronIn(15_000)]);
    const agent = spawn(exe, ["run", "--json"], { cwd: dir, env: env(home), stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((resolve) => agent.once("exit", resolve));
    let done: Record<string, unknown>;
    try {
      done = await logLine(agent, (l) => l.msg === "backup finished", 120_000);
    } finally {
      agent.kill("SIGTERM");
      await exited;
    }
    assert.equal(done.trigger, "schedule");

    const devices = (await (
      await fetch(`${server.url}/v1/devices`, { headers: { authorization: `Bearer ${(await pcState(home)).accessToken}` } })
    ).json()) as { devices: Array<{ heartbeat: { agentVersion: string } | null }> };
    assert.equal(devices.devices[0]?.heartbeat?.agentVersion, manifest.version, "the version built into the executable");

    // The checkout restores the agent's restore point: frames of node:zlib's zstd read by the addon.
    const pc = await Pc.create(server);
    const viaCheckout = path.join(server.dir, "via-checkout");
    const r = await pc.run(["restore", String(done.restorePointId), "--to", viaCheckout], { DATASAFE_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await describeTree(path.join(viaCheckout, "studio")), await describeTree(src));
  });

  it("the release lists each executable's SHA-256, and the Windows one carries the same bundle", async () => {
    const win = manifest.files.find((f) => f.name === "datasafe-win-x64.exe");
    assert.ok(win, "the Windows executable is built");
    const bytes = await readFile(path.join(ROOT, "dist", "release", win.name));
    assert.equal(bytes.length, win.size);
    assert.equal(bytes.subarray(0, 2).toString("latin1"), "MZ", "a PE executable");
    const bundle = await readFile(path.join(ROOT, "dist", "sea", "datasafe.cjs"));
    const worker = await readFile(path.join(ROOT, "dist", "sea", "crypto-worker.cjs"));
    assert.ok(bytes.includes(bundle.subarray(0, 4096)), "the CLI bundle is injected");
    assert.ok(bytes.includes(worker.subarray(0, 4096)), "the crypto worker is embedded");
  });
});

async function pcState(home: string): Promise<{ accessToken: string }> {
  return JSON.parse(await readFile(path.join(home, "device.json"), "utf8")) as { accessToken: string };
}

/** The first JSON log line of `proc` matching `pred`. */
function logLine(proc: ChildProcess, pred: (l: Record<string, unknown>) => boolean, ms: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buf = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no matching log line in ${ms} ms:\n${buf}\n${err}`)), ms);
    proc.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    proc.stdout!.on("data", (b: Buffer) => {
      buf += b.toString();
      for (const line of buf.split("\n")) {
        try {
          const l = JSON.parse(line) as Record<string, unknown>;
          if (pred(l)) {
            clearTimeout(timer);
            resolve(l);
          }
        } catch {
          /* a partial line */
        }
      }
    });
    proc.once("exit", (code) => reject(new Error(`the agent exited (${code}) first:\n${buf}\n${err}`)));
  });
}
