// `datasafe`: the studio-side command line. Each command lives in commands/ (the agent's are
// declared in agent-cli.ts); this file only declares options and prints what a command returns.
import { Command } from "commander";
import { readEnv } from "./config.ts";
import { EXIT } from "../protocol/cli-exit.ts";
import { usage } from "./errors.ts";
import { emit, fail, progressFor } from "./output.ts";
import { getPassphrase } from "./passphrase.ts";
import { backup, describeBackup } from "./commands/backup.ts";
import { describeEnrollment, enroll } from "./commands/enroll.ts";
import { describeRestorePoints, listRestorePoints } from "./commands/list.ts";
import { describeRestore, restore } from "./commands/restore.ts";
import { describeVerify, runVerify } from "./commands/verify.ts";
import { loadDeviceState } from "./state.ts";
import { versionInfo } from "./update/version-info.ts";
import { registerAgentCommands } from "./agent-cli.ts";

const env = readEnv();
const json = process.argv.includes("--json");

interface Global {
  json?: boolean;
  passphraseFile?: string;
}

const program = new Command("datasafe")
  .description("DataSafe uploader: encrypted, deduplicated offsite backup for your studio")
  .option("--json", "print exactly one JSON object on stdout")
  .option("--passphrase-file <file>", "read the studio passphrase from a file (else DATASAFE_PASSPHRASE or a prompt)")
  .exitOverride()
  .configureOutput({ outputError: () => undefined });

const g = () => program.opts<Global>();
const mode = () => ({ json: Boolean(g().json) });
const passphrase =
  (confirm = false) =>
  () =>
    getPassphrase({ file: g().passphraseFile, env: env.passphrase, confirm });

program
  .command("enroll")
  .description("enroll this PC into a studio (needs the studio passphrase)")
  .option("--server <url>", "DataSafe server URL (or DATASAFE_SERVER)")
  .requiredOption("--token <token>", "one-use enrollment token from your DataSafe operator")
  .option("--name <name>", "device name (default: this computer's host name)")
  .action(async (o: { server?: string; token: string; name?: string }) => {
    const server = o.server ?? env.server;
    if (!server) throw usage("give --server URL or set DATASAFE_SERVER");
    const r = await enroll({ home: env.home, server, token: o.token, name: o.name, passphrase: passphrase(true) });
    emit(mode(), r, describeEnrollment(r));
  });

program
  .command("backup")
  .description("back up files and folders (never needs the passphrase)")
  .argument("<path...>", "files or folders; each becomes a top-level entry named by its base name")
  .option(
    "--label <text>",
    'a note for this restore point, e.g. "before import" (visible to the server and support; names and contents never are)',
  )
  .option("--full-reread", "read every file, even those unchanged since the last backup")
  .option(
    "--exclude <pattern>",
    "leave out what matches this gitignore-style pattern, relative to each path (repeatable)",
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option("--no-default-excludes", "also back up the caches and OS files left out by default (see `datasafe config show`)")
  .action(async (paths: string[], o: { label?: string; fullReread?: boolean; exclude: string[]; defaultExcludes: boolean }) => {
    const r = await backup({
      home: env.home,
      paths,
      label: o.label ?? null,
      fullReread: Boolean(o.fullReread),
      exclude: o.exclude,
      defaultExcludes: o.defaultExcludes,
      progress: progressFor(mode()),
    });
    emit(mode(), r, describeBackup(r));
    // Partial success: the restore point exists but lacks the skipped files.
    if (r.skipped.length) process.exitCode = EXIT.partial;
  });

program
  .command("list")
  .description("list the studio's restore points, newest first (all devices)")
  .option("--device <name>", "only restore points of this device")
  .action(async (o: { device?: string }) => {
    const r = await listRestorePoints({ home: env.home, device: o.device });
    emit(mode(), r, describeRestorePoints(r));
  });

program
  .command("restore")
  .description("restore a restore point (needs the passphrase)")
  .argument("<id>", "restore point id, or `latest`")
  .requiredOption("--to <dir>", "folder to restore into (entries appear as DIR/<entry>/...)")
  .option(
    "--path <path>",
    "restore only this entry, folder or file (repeatable; a name that is not UTF-8 as displayed, each invalid byte as U+FFFD)",
    (v: string, acc: string[]) => [...acc, v],
    [] as string[],
  )
  .option("--overwrite", "replace existing files and links (never writes through a link, never replaces a folder)")
  .option("--keep-special-bits", "keep setuid, setgid and sticky bits (dropped by default)")
  .action(async (id: string, o: { to: string; path: string[]; overwrite?: boolean; keepSpecialBits?: boolean }) => {
    const r = await restore({
      home: env.home,
      passphrase: passphrase(),
      id,
      to: o.to,
      paths: o.path,
      overwrite: Boolean(o.overwrite),
      keepSpecialBits: Boolean(o.keepSpecialBits),
      progress: progressFor(mode()),
    });
    emit(mode(), r, describeRestore(r));
    // Partial success, as for backup: every other entry was restored.
    if (r.failed.length) process.exitCode = EXIT.partial;
  });

program
  .command("verify")
  .description("download, decrypt and check a restore point (needs the passphrase); reports the result to the server")
  .argument("[id]", "restore point id, or `latest`", "latest")
  .option("--read-data-subset <percent>", "check only a random share of the chunks, e.g. 10 or 10%", "100")
  .action(async (id: string, o: { readDataSubset: string }) => {
    const subsetPercent = Number(o.readDataSubset.replace(/%$/, ""));
    if (!(subsetPercent > 0 && subsetPercent <= 100)) throw usage("--read-data-subset must be a percentage in (0, 100]");
    const state = await loadDeviceState(env.home);
    const r = await runVerify({ state, passphrase: await passphrase()(), id, subsetPercent });
    emit(mode(), r, describeVerify(r));
    if (!r.ok) process.exitCode = EXIT.error;
  });

program
  .command("version")
  .description("print this uploader's version, its Node runtime, and whether it can update itself")
  .action(() => {
    const r = versionInfo();
    emit(
      mode(),
      r,
      `datasafe ${r.version} (Node ${r.node}${r.executable ? ", single executable" : ", from a checkout"}; ${r.selfUpdate ? "updates itself" : "does not update itself"})`,
    );
  });

registerAgentCommands(program, env, mode);

// No top-level await: the single executable's bundle is CommonJS (scripts/package.mjs).
program.parseAsync(process.argv).catch((err: unknown) => fail(err, json));
