// A test studio of the torture world: created with the admin CLI, one PC enrolled with the real
// uploader CLI (bin/datasafe.js), and a source tree of seeded random files that changes between
// backups. Every uploader run is a child process the crash scenario may SIGKILL.
import { appendFile, mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { ByteStream, Rng } from "../bench/prng.ts";
import { type NodeProcess, ROOT, spawnNode } from "../support/process.ts";
import { PASSPHRASE } from "../support/cli.ts";
import type { Rig } from "./rig.ts";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

export interface Size {
  /** Files in the first tree. */
  files: number;
  minBytes: number;
  maxBytes: number;
}

/** Runs a CLI (bin/NAME) with `env`; `onSpawn` gets the process (to kill it). */
export async function cli(bin: string, args: string[], env: NodeJS.ProcessEnv, onSpawn?: (p: NodeProcess) => void): Promise<CliRun> {
  const p = spawnNode([path.join(ROOT, "bin", bin), "--json", ...args], { env });
  onSpawn?.(p);
  const { code, signal } = await p.closed;
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(p.stdout()) as Record<string, unknown>;
  } catch {
    /* a killed run prints nothing */
  }
  return { code, signal, stdout: p.stdout(), stderr: p.stderr(), json };
}

export async function adminCli(rig: Rig, args: string[]): Promise<Record<string, unknown>> {
  const r = await cli("datasafe-admin.js", args, rig.env);
  if (r.code !== 0 && !(args[0] === "verify" && r.code !== null))
    throw new Error(`datasafe-admin ${args[0]} failed (${r.code}): ${r.stderr}`);
  return r.json;
}

export class Studio {
  private readonly rng: Rng;
  private readonly bytes: ByteStream;
  private serial = 0;

  private constructor(
    readonly name: string,
    readonly studioId: string,
    readonly home: string,
    /** The folder backed up; restores land in <to>/<basename>. */
    readonly src: string,
    private readonly serverUrl: string,
    seed: string,
  ) {
    this.rng = new Rng(`tree:${seed}`);
    this.bytes = new ByteStream(`tree:${seed}`);
  }

  static async create(rig: Rig, name: string, seed: string): Promise<Studio> {
    const created = await adminCli(rig, ["create-studio", "--name", name, "--owner-email", `owner@${name}.test`]);
    const studioId = String(created.studioId);
    const token = String((await adminCli(rig, ["enrollment-token", "--studio", studioId])).token);
    const home = path.join(rig.dir, "pcs", name);
    const src = path.join(rig.dir, "sources", name);
    await mkdir(home, { recursive: true });
    await mkdir(src, { recursive: true });
    const s = new Studio(name, studioId, home, src, rig.balancer.url, seed);
    const r = await s.run(["enroll", "--token", token, "--name", `${name}-pc`]);
    if (r.code !== 0) throw new Error(`enroll ${name} failed (${r.code}): ${r.stderr}`);
    return s;
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATASAFE_HOME: this.home,
      DATASAFE_SERVER: this.serverUrl,
      DATASAFE_PASSPHRASE: PASSPHRASE,
      ...extra,
    };
  }

  run(args: string[], extra?: NodeJS.ProcessEnv, onSpawn?: (p: NodeProcess) => void): Promise<CliRun> {
    return cli("datasafe.js", args, this.env(extra), onSpawn);
  }

  /** The first tree: `size.files` photos, a database dump and a nested folder. */
  async seedTree(size: Size): Promise<void> {
    await mkdir(path.join(this.src, "photos", "2026"), { recursive: true });
    await mkdir(path.join(this.src, "db"), { recursive: true });
    for (let i = 0; i < size.files; i++) await this.addPhoto(size);
    await writeFile(path.join(this.src, "db", "clients.sql"), this.sqlLines(200));
    await this.pinTimes();
  }

  /** A round's changes: new photos, one grown, one deleted, the dump rewritten in part. */
  async mutate(size: Size): Promise<void> {
    const dir = path.join(this.src, "photos", "2026");
    for (let n = this.rng.range(1, 2); n > 0; n--) await this.addPhoto(size);
    const names = (await readdir(dir)).sort();
    await appendFile(path.join(dir, this.rng.pick(names)), this.bytes.next(this.rng.range(1, 300_000)));
    if (names.length > 3) await rm(path.join(dir, this.rng.pick(names)));
    await appendFile(path.join(this.src, "db", "clients.sql"), this.sqlLines(this.rng.range(10, 100)));
    await this.pinTimes();
  }

  /**
   * Every mtime set from the seed, not the clock: two studios with the same seed then back up
   * byte-identical trees, and their packs have equal sizes (the bit-rot scenario swaps them).
   */
  private async pinTimes(): Promise<void> {
    const when = new Date(Date.UTC(2026, 0, 1) + this.rng.int(300 * 86_400) * 1000);
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(path.join(dir, e.name));
        await utimes(path.join(dir, e.name), when, when);
      }
    };
    await walk(this.src);
    await utimes(this.src, when, when);
  }

  private async addPhoto(size: Size): Promise<void> {
    const name = `IMG_${String(++this.serial).padStart(4, "0")}.jpg`;
    await writeFile(path.join(this.src, "photos", "2026", name), this.bytes.next(this.rng.range(size.minBytes, size.maxBytes)));
  }

  private sqlLines(n: number): string {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`INSERT INTO clients VALUES (${this.rng.u32()}, 'client-${this.rng.u32()}');\n`);
    return lines.join("");
  }
}

/** `count` studios made at once, each with its first tree: `nameAndSeed(i)` gives [name, seed]. */
export async function createStudios(
  rig: Rig,
  profile: { tree: Size },
  count: number,
  nameAndSeed: (i: number) => [string, string],
): Promise<Studio[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const [name, seed] = nameAndSeed(i);
      const s = await Studio.create(rig, name, seed);
      await s.seedTree(profile.tree);
      return s;
    }),
  );
}
