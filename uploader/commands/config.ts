// `datasafe config show|add-source|remove-source|set`: edit DATASAFE_HOME/agent.json. Every change
// is validated as a whole before it is saved (a bad value names its field and changes nothing).
// A running agent reads the file when it starts: restart it to apply a change.
import { stat } from "node:fs/promises";
import path from "node:path";
import { addSource, removeSource, setValue, type SourceOptions } from "../agent/config-edit.ts";
import { type AgentConfig, configPath, excludeSpecFor, loadConfig, saveConfig } from "../agent/config-file.ts";
import { DEFAULT_EXCLUDES } from "../backup/excludes.ts";
import { CliError } from "../errors.ts";

export interface ConfigResult {
  file: string;
  config: AgentConfig;
  /** The built-in exclude patterns, shown so a studio can see what `defaultExcludes` leaves out. */
  defaultExcludes: readonly string[];
}

async function edit(home: string, change: (c: AgentConfig) => AgentConfig | Promise<AgentConfig>): Promise<ConfigResult> {
  const config = await change(await loadConfig(home));
  await saveConfig(home, config);
  return { file: configPath(home), config, defaultExcludes: DEFAULT_EXCLUDES };
}

export async function showConfig(home: string): Promise<ConfigResult> {
  return { file: configPath(home), config: await loadConfig(home), defaultExcludes: DEFAULT_EXCLUDES };
}

export function addSourceCommand(home: string, dir: string, o: SourceOptions): Promise<ConfigResult> {
  return edit(home, async (c) => {
    // A typo would otherwise only show up as a failed backup at night.
    await stat(path.resolve(dir)).catch(() => {
      throw new CliError("NOT_FOUND", `"${path.resolve(dir)}" does not exist`);
    });
    return addSource(c, dir, o);
  });
}

export function removeSourceCommand(home: string, dir: string): Promise<ConfigResult> {
  return edit(home, (c) => removeSource(c, dir));
}

export function setCommand(home: string, key: string, value: string): Promise<ConfigResult> {
  return edit(home, (c) => setValue(c, key, value));
}

const rate = (n: number | null) => (n === null ? "unlimited" : `${(n / 1_000_000).toFixed(2)} MB/s`);

export function describeConfig(r: ConfigResult): string {
  const c = r.config;
  return [
    `configuration: ${r.file}`,
    `sources:${c.sources.length ? "" : " none (add one with `datasafe config add-source FOLDER`)"}`,
    ...c.sources.flatMap((s) => {
      const spec = excludeSpecFor(c, s);
      const excludes = [spec.defaults ? "default excludes" : "no default excludes", ...spec.patterns.map((p) => JSON.stringify(p))];
      return [`  ${s.path}${s.watch ? "  (watched)" : ""}`, `    excludes: ${excludes.join(", ")}`];
    }),
    `default excludes (${c.defaultExcludes ? "on" : "off"} unless a source says otherwise; \`datasafe config set defaultExcludes off\`):`,
    `  ${r.defaultExcludes.join("  ")}`,
    `schedule: ${c.schedule}`,
    `label: ${c.label ?? "-"}`,
    `bandwidth: ${rate(c.bandwidth.limit)}${c.bandwidth.windows.map((w) => `, ${w.from}-${w.to}: ${rate(w.limit)}`).join("")}`,
    `parallel uploads: ${c.parallelUploads}`,
    `watch: complete after ${c.watch.stableSeconds} s unchanged, checked every ${c.watch.pollSeconds} s`,
    `retry: ${c.retry.attempts} attempts, from ${c.retry.baseSeconds} s up to ${c.retry.maxSeconds} s apart`,
    `retention hint: ${c.retentionDays ? `${c.retentionDays} days` : "-"}`,
  ].join("\n");
}
