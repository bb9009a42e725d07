// The agent's configuration: DATASAFE_HOME/agent.json, edited by `datasafe config` and read by
// `datasafe run` at start. Validated here, in one schema; every problem names its field
// (`bandwidth.windows[0].from: must be HH:MM`) and unknown fields are errors, so a typo in a
// hand-edited file is reported instead of silently ignored.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { CliError } from "../errors.ts";
import { type ExcludeSpec, MAX_PATTERNS, patternProblem } from "../backup/excludes.ts";
import { topLevelName } from "../scanner.ts";
import { cronProblem, DEFAULT_SCHEDULE } from "./schedule.ts";

export const CONFIG_FILE = "agent.json";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour clock)");
/** Bytes per second; null means unlimited. */
const rate = z.number().int().min(1024, "must be at least 1 KiB/s (1024 bytes/s)").nullable();

const pattern = z.string().superRefine((p, ctx) => {
  const problem = patternProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: `exclude pattern ${problem}` });
});

const source = z.strictObject({
  path: z
    .string()
    .min(1)
    .refine((p) => path.isAbsolute(p), "must be an absolute path"),
  /** Also back up soon after a file here changes and is complete (watcher.ts). */
  watch: z.boolean().default(false),
  /** gitignore-style patterns relative to this source (backup/excludes.ts), after the defaults. */
  exclude: z.array(pattern).max(MAX_PATTERNS).optional(),
  /** Overrides the global `defaultExcludes` for this source. */
  defaultExcludes: z.boolean().optional(),
});

const window = z.strictObject({ from: hhmm, to: hhmm, limit: rate });

export const agentConfigSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    sources: z.array(source).default([]),
    /** Leave out DEFAULT_EXCLUDES (caches, OS files) of every source that does not say otherwise. */
    defaultExcludes: z.boolean().default(true),
    schedule: z
      .string()
      .default(DEFAULT_SCHEDULE)
      .superRefine((v, ctx) => {
        const problem = cronProblem(v);
        if (problem) ctx.addIssue({ code: "custom", message: `not a valid cron expression (${problem})` });
      }),
    /** Label of scheduled and watch-triggered restore points. */
    label: z.string().max(200).nullable().default(null),
    /** Kept for the server's retention policy (not applied by the agent itself). */
    retentionDays: z.number().int().min(1).max(3650).nullable().default(null),
    bandwidth: z
      .strictObject({
        /** Outside every window. */
        limit: rate.default(null),
        /** Local time of day; the first window containing "now" wins; from > to wraps midnight. */
        windows: z.array(window).default([]),
      })
      .default({ limit: null, windows: [] }),
    parallelUploads: z.number().int().min(1).max(32).default(4),
    watch: z
      .strictObject({
        /** A changed file is complete once size and mtime were unchanged this long. */
        stableSeconds: z.number().min(1).max(86_400).default(30),
        pollSeconds: z.number().min(0.2).max(3600).default(10),
      })
      .default({ stableSeconds: 30, pollSeconds: 10 }),
    /** The server wants one at least every 5 minutes. */
    heartbeatSeconds: z.number().min(1).max(300).default(300),
    /** Delay of the one catch-up run after the agent starts and finds a missed slot. */
    catchUpDelaySeconds: z.number().min(0).max(86_400).default(60),
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(50).default(6),
        baseSeconds: z.number().min(0.1).max(86_400).default(60),
        maxSeconds: z.number().min(0.1).max(86_400).default(3600),
      })
      .default({ attempts: 6, baseSeconds: 60, maxSeconds: 3600 }),
  })
  .superRefine((c, ctx) => {
    // Each source becomes a top-level entry named by its base name (scanner.ts): they must differ.
    const seen = new Map<string, number>();
    c.sources.forEach((s, i) => {
      const name = topLevelName(s.path);
      const other = seen.get(name);
      if (!name) ctx.addIssue({ code: "custom", path: ["sources", i, "path"], message: "a drive or filesystem root cannot be a source" });
      else if (other !== undefined) {
        ctx.addIssue({ code: "custom", path: ["sources", i, "path"], message: `has the same folder name "${name}" as sources[${other}]` });
      } else seen.set(name, i);
    });
  });

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export type AgentSource = AgentConfig["sources"][number];

/** What the backup leaves out of a source. */
export const excludeSpecFor = (c: AgentConfig, s: AgentSource): ExcludeSpec => ({
  defaults: s.defaultExcludes ?? c.defaultExcludes,
  patterns: s.exclude ?? [],
});

export const defaultConfig = (): AgentConfig => agentConfigSchema.parse({});

/** `bandwidth.windows[0].from` from a zod path. */
export function fieldName(p: ReadonlyArray<PropertyKey>): string {
  return p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "") || "(file)";
}

export function configError(where: string, problems: string[]): CliError {
  return new CliError("CONFIG_INVALID", `${where}: ${problems.join("; ")}`, { problems });
}

/** Validates a parsed value; throws CONFIG_INVALID listing every problem with its field. */
export function validateConfig(value: unknown, where: string): AgentConfig {
  const parsed = agentConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw configError(
    where,
    parsed.error.issues.flatMap((i) =>
      i.code === "unrecognized_keys"
        ? i.keys.map((k) => `${fieldName([...i.path, k])}: unknown field`)
        : [`${fieldName(i.path)}: ${i.message}`],
    ),
  );
}

export const configPath = (home: string) => path.join(home, CONFIG_FILE);

/** The configuration, or the defaults (no sources) when the file does not exist yet. */
export async function loadConfig(home: string): Promise<AgentConfig> {
  const file = configPath(home);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return defaultConfig();
    throw new CliError("CONFIG_UNREADABLE", `cannot read ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw configError(file, [`not valid JSON (${(err as Error).message})`]);
  }
  return validateConfig(value, file);
}

/** Atomic replace (temp file + rename), owner-only: the file lists the PC's backed-up folders. */
export async function saveConfig(home: string, config: AgentConfig): Promise<void> {
  const valid = validateConfig(config, configPath(home));
  await mkdir(home, { recursive: true, mode: 0o700 });
  const tmp = `${configPath(home)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, configPath(home));
}
