// The agent's subcommands (config, run, status, service), declared apart from cli.ts so that
// file stays a short list of the core commands. Same conventions: one JSON object with --json.
import type { Command } from "commander";
import { describeConfig, addSourceCommand, removeSourceCommand, setCommand, showConfig, type ConfigResult } from "./commands/config.ts";
import { runAgent } from "./commands/run.ts";
import { installService, uninstallService, type ServiceResult } from "./commands/service.ts";
import { agentStatus, describeStatus } from "./commands/status.ts";
import { readServiceEnv, type UploaderEnv } from "./config.ts";
import { emit, type OutputMode } from "./output.ts";

export function registerAgentCommands(program: Command, env: UploaderEnv, mode: () => OutputMode): void {
  const config = program.command("config").description("show or change what the agent backs up, when, and how fast");
  const shown = (r: ConfigResult, what: string) => emit(mode(), r, `${what}\n\n${describeConfig(r)}`);
  config
    .command("show")
    .description("print the configuration")
    .action(async () => {
      const r = await showConfig(env.home);
      emit(mode(), r, describeConfig(r));
    });
  config
    .command("add-source")
    .description("back up this folder (or file); --watch also backs up soon after a file in it changes")
    .argument("<path>")
    .option("--watch", "back up when a file here is new or changed and complete (e.g. the database utility's backup folder)")
    .option(
      "--exclude <pattern>",
      "leave out what matches this gitignore-style pattern, relative to the source (repeatable; replaces the source's list)",
      (v: string, acc: string[] | undefined) => [...(acc ?? []), v],
    )
    .option("--default-excludes", "leave out the default caches and OS files here (the global setting applies otherwise)")
    .option("--no-default-excludes", "back up the default caches and OS files here too")
    .action(async (p: string, o: { watch?: boolean; exclude?: string[]; defaultExcludes?: boolean }) =>
      shown(
        await addSourceCommand(env.home, p, { watch: Boolean(o.watch), exclude: o.exclude, defaultExcludes: o.defaultExcludes }),
        `added source ${p}`,
      ),
    );
  config
    .command("remove-source")
    .description("stop backing up this folder (restore points keep it)")
    .argument("<path>")
    .action(async (p: string) => shown(await removeSourceCommand(env.home, p), `removed source ${p}`));
  config
    .command("set")
    .description(
      'set schedule (cron, e.g. "0 2 * * *"), defaultExcludes (on|off), label, bandwidth.limit (e.g. 2MB, unlimited), bandwidth.windows (e.g. 08:00-18:00=2MB), parallelUploads, watch.stableSeconds, watch.pollSeconds, heartbeatSeconds, catchUpDelaySeconds, retry.attempts, retry.baseSeconds, retry.maxSeconds, retentionDays',
    )
    .argument("<key>")
    .argument("<value>")
    .action(async (k: string, v: string) => shown(await setCommand(env.home, k, v), `set ${k}`));

  program
    .command("run")
    .description("run the backup agent: scheduled and watched backups, heartbeats (logs JSON lines unless on a terminal)")
    .option("--verbose", "also print debug lines")
    .action(async (o: { verbose?: boolean }) => {
      await runAgent({ home: env.home, json: mode().json || !process.stdout.isTTY, verbose: Boolean(o.verbose) });
    });

  program
    .command("status")
    .description("the agent's last run, next run, last result and current progress")
    .action(async () => {
      const v = await agentStatus(env.home);
      emit(mode(), v, describeStatus(v));
    });

  const service = program.command("service").description("run the agent at boot (systemd on Linux, a startup task on Windows)");
  const done = (r: ServiceResult, what: string) =>
    emit(mode(), r, `${what}: ${r.file}${r.next.length ? `\nnow run:\n  ${r.next.join("\n  ")}` : ""}`);
  service.command("install").action(async () => done(await installService({ home: env.home, ...readServiceEnv() }), "installed"));
  service.command("uninstall").action(async () => done(await uninstallService(readServiceEnv()), "removed"));
}
