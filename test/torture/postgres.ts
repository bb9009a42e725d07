// The rig's own Postgres cluster (initdb in a temporary directory, its own port and socket), so
// the datastore scenario can crash and restart it without touching the machine's shared
// instance on 5432. Postgres refuses to run as root: when the rig runs as root, the cluster runs
// as the `postgres` user (runuser) in a directory chowned to it.
import { execFile } from "node:child_process";
import { chown, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const BIN = "/usr/lib/postgresql/15/bin";

export class PgCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly asPostgres: boolean,
  ) {}

  /** A fresh cluster under `parent`, started. */
  static async create(parent: string, port: number): Promise<PgCluster> {
    const dir = path.join(parent, "pg");
    await mkdir(dir, { recursive: true });
    const asPostgres = os.userInfo().uid === 0;
    if (asPostgres) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const pg = new PgCluster(dir, port, asPostgres);
    await pg.exec("initdb", ["-D", pg.dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
    await pg.start();
    return pg;
  }

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/datasafe`;
  }

  /** fsync off: the scenarios crash Postgres, never the machine (the page cache survives). */
  async start(): Promise<void> {
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir} -c fsync=off -c max_connections=200`;
    await this.exec("pg_ctl", ["-D", this.dataDir, "-l", path.join(this.dir, "log"), "-o", opts, "-w", "-t", "60", "start"]);
  }

  /** "immediate": every backend exits at once without a checkpoint, so the restart runs crash
   * recovery: what a power cut or an OOM kill of the postmaster leaves. */
  async crash(): Promise<void> {
    await this.exec("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "stop"]);
  }

  async stop(): Promise<void> {
    await this.exec("pg_ctl", ["-D", this.dataDir, "-m", "fast", "-w", "stop"]).catch(() => undefined);
  }

  private async exec(bin: string, args: string[]): Promise<void> {
    const cmd = path.join(BIN, bin);
    if (this.asPostgres) await run("runuser", ["-u", "postgres", "--", cmd, ...args], { cwd: this.dir });
    else await run(cmd, args, { cwd: this.dir });
  }
}
