// Watched folders: a file that is new or changed triggers a backup once it is complete, so a
// database utility's half-written backup file is never what gets sent. "Complete" means its
// size, mtime and file id have not changed for `stableMs`, and it can be opened for reading
// (on Windows, a writer holding the file exclusively makes the open fail with EBUSY).
//
// Polling rather than change events: stability needs repeated stat calls anyway, and polling
// also works on network shares and after missed events. Meant for the database utility's
// backup folder, not for a 200 GB photo tree (every poll walks the folder).
//
// The first poll is the baseline: what exists when the agent starts is not "changed" (a missed
// change while the agent was off is covered by the schedule's catch-up run).
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";

type Signatures = Map<string, string>;

export class StableFileWatcher {
  private readonly seen = new Map<string, { sig: string; since: number }>();
  private readonly sent: Signatures = new Map();
  private primed = false;

  constructor(
    private readonly dirs: string[],
    private readonly stableMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks once; true when some file changed since it was last sent and every changed file is complete. */
  async poll(): Promise<boolean> {
    const current = new Map<string, string>();
    for (const dir of this.dirs) await walk(dir, current);
    const t = this.now();
    for (const [file, sig] of current) {
      if (this.seen.get(file)?.sig !== sig) this.seen.set(file, { sig, since: t });
    }
    for (const file of [...this.seen.keys()]) if (!current.has(file)) this.seen.delete(file);
    if (!this.primed) {
      this.primed = true;
      this.markSent(this.snapshot());
      return false;
    }
    const changed = [...this.seen].filter(([file, s]) => this.sent.get(file) !== s.sig);
    if (changed.length === 0) return false;
    for (const [file, s] of changed) {
      if (t - s.since < this.stableMs) return false;
      if (!(await openable(file))) return false;
    }
    return true;
  }

  /** The files as last seen; after a backup that started at this point succeeded, pass it to markSent. */
  snapshot(): Signatures {
    return new Map([...this.seen].map(([file, s]) => [file, s.sig]));
  }

  markSent(snapshot: Signatures): void {
    for (const [file, sig] of snapshot) this.sent.set(file, sig);
  }
}

async function walk(dir: string, out: Signatures): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) await walk(abs, out);
    else if (e.isFile()) {
      const st = await stat(abs).catch(() => null); // deleted meanwhile
      if (st) out.set(abs, `${st.size}:${st.mtimeMs}:${st.ino}`);
    }
  }
}

/** EBUSY (a writer holds it exclusively) means "not yet"; any other error is for the backup to report. */
async function openable(file: string): Promise<boolean> {
  try {
    await (await open(file, "r")).close();
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "EBUSY";
  }
}
