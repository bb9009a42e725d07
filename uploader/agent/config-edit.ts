// What `datasafe config add-source|remove-source|set` do to the configuration: pure functions
// from (config, user input) to a new config, validated by config-file.ts before it is saved.
// Values are parsed from the command line here (sizes, time windows, "none"); anything that does
// not parse is passed on as a string so the schema reports it against its field.
import path from "node:path";
import { CliError, usage } from "../errors.ts";
import { type AgentConfig, configError, validateConfig } from "./config-file.ts";

const NONE = /^(none|unlimited|off|)$/i;

/** "2MB", "500 KiB", "1000000", "unlimited" -> bytes per second (KB = 1000, KiB = 1024). */
export function parseRate(text: string): number | null | string {
  const t = text.trim().replace(/\/s$/i, "");
  if (NONE.test(t)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?)?b?$/i.exec(t);
  if (!m) return text; // the schema says "expected number"
  const unit = (m[2] ?? "").toLowerCase();
  const base = unit.endsWith("i") ? 1024 : 1000;
  const power = { "": 0, k: 1, m: 2, g: 3 }[unit.replace("i", "") as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * base ** power);
}

/** "08:00-18:00=2MB,22:00-06:00=unlimited" -> windows ("" or "none" clears them). */
export function parseWindows(text: string): unknown[] {
  if (NONE.test(text.trim())) return [];
  return text.split(",").map((part, i) => {
    const m = /^\s*([^-=\s]+)\s*-\s*([^=\s]+)\s*=\s*(.+?)\s*$/.exec(part);
    if (!m) throw configError("bandwidth.windows", [`[${i}] "${part.trim()}": expected FROM-TO=RATE, e.g. 08:00-18:00=2MB`]);
    return { from: m[1], to: m[2], limit: parseRate(m[3]!) };
  });
}

const number = (t: string): number | string => (t.trim() !== "" && Number.isFinite(Number(t)) ? Number(t) : t);
const nullableNumber = (t: string) => (NONE.test(t.trim()) ? null : number(t));
const nullableText = (t: string) => (/^(none|)$/i.test(t.trim()) ? null : t);

/** The keys `datasafe config set` accepts, with their parser. */
const onOff = (t: string): boolean | string => (/^(true|on|yes)$/i.test(t.trim()) ? true : /^(false|off|no)$/i.test(t.trim()) ? false : t);

export const SETTABLE: Record<string, (text: string) => unknown> = {
  schedule: (t) => t.trim(),
  defaultExcludes: onOff,
  label: nullableText,
  retentionDays: nullableNumber,
  "bandwidth.limit": parseRate,
  "bandwidth.windows": parseWindows,
  parallelUploads: number,
  "watch.stableSeconds": number,
  "watch.pollSeconds": number,
  heartbeatSeconds: number,
  catchUpDelaySeconds: number,
  "retry.attempts": number,
  "retry.baseSeconds": number,
  "retry.maxSeconds": number,
};

export function setValue(config: AgentConfig, key: string, text: string): AgentConfig {
  const parse = SETTABLE[key];
  if (!parse) throw usage(`unknown setting "${key}"; settable: ${Object.keys(SETTABLE).join(", ")}`);
  const next = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  const [a, b] = key.split(".") as [string, string | undefined];
  if (b === undefined) (next as Record<string, unknown>)[a] = parse(text);
  else next[a] = { ...next[a], [b]: parse(text) };
  return validateConfig(next, "invalid configuration");
}

export interface SourceOptions {
  watch: boolean;
  /** Replaces the source's patterns when given. */
  exclude?: string[];
  /** Overrides the global defaultExcludes for this source when given. */
  defaultExcludes?: boolean;
}

/** Adds a source, or changes an existing one (its patterns and default switch kept unless given). */
export function addSource(config: AgentConfig, dir: string, o: SourceOptions): AgentConfig {
  const abs = path.resolve(dir);
  const existing = config.sources.find((s) => s.path === abs);
  const next = {
    ...existing,
    path: abs,
    watch: o.watch,
    ...(o.exclude !== undefined ? { exclude: o.exclude } : {}),
    ...(o.defaultExcludes !== undefined ? { defaultExcludes: o.defaultExcludes } : {}),
  };
  if (existing && JSON.stringify(next) === JSON.stringify(existing)) throw usage(`"${abs}" is already a source`);
  const sources = existing ? config.sources.map((s) => (s.path === abs ? next : s)) : [...config.sources, next];
  return validateConfig({ ...config, sources }, "invalid configuration");
}

export function removeSource(config: AgentConfig, dir: string): AgentConfig {
  const abs = path.resolve(dir);
  if (!config.sources.some((s) => s.path === abs)) {
    throw new CliError("NOT_FOUND", `"${abs}" is not a source (see \`datasafe config show\`)`);
  }
  return validateConfig({ ...config, sources: config.sources.filter((s) => s.path !== abs) }, "invalid configuration");
}
