// `datasafe`: the studio-side command line. Each command lives in commands/; this file only
// declares options and wires them up.
import { Command } from "commander";
import { readEnv } from "./config.ts";
import { EXIT, usage } from "./errors.ts";
import { emit, fail, progressFor } from "./output.ts";
import { getPassphrase } from "./passphrase.ts";
import { enroll } from "./commands/enroll.ts";
import { runBackup } from "./backup/run-backup.ts";
import { checkPatterns } from "./backup/excludes.ts";
import { runRestore } from "./restore/run-restore.ts";
import { runVerify } from "./commands/verify.ts";
import { loadDeviceState } from "./state.ts";
import { withBackupLock } from "./agent/lock.ts";
import { errorCode } from "./agent/run-job.ts";
import { reportManualRun } from "./agent/run-report.ts";
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
const passphrase = (confirm = false) => () =>
  getPassphrase({ file: g().passphraseFile, env: env.passphrase, confirm });
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

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
    const human = r.recoveryKey
      ? `enrolled "${r.deviceName}" as the first device of studio ${r.studioId}\n\nRECOVERY KEY (shown once; store it offline, it unlocks your backups if the passphrase is lost):\n  ${r.recoveryKey}`
      : `enrolled "${r.deviceName}" into studio ${r.studioId}`;
    emit(mode(), r, human);
  });

program
  .command("backup")
  .description("back up files and folders (never needs the passphrase)")
  .argument("<path...>", "files or folders; each becomes a top-level entry named by its base name")
  .option("--label <text>", "a note for this restore point, e.g. \"before import\" (visible to the server and support; names and contents never are)")
  .option("--full-reread", "read every file, even those unchanged since the last backup")
  .option("--exclude <pattern>", "leave out what matches this gitignore-style pattern, relative to each path (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option("--no-default-excludes", "also back up the caches and OS files left out by default (see `datasafe config show`)")
  .action(async (paths: string[], o: { label?: string; fullReread?: boolean; exclude: string[]; defaultExcludes: boolean }) => {
    checkPatterns(o.exclude, "--exclude");
    const excludes = { defaults: o.defaultExcludes, patterns: o.exclude };
    const state = await loadDeviceState(env.home);
    // One backup at a time per PC: wait for the agent's run (or another backup) to finish.
    const onWait = () => process.stderr.write("datasafe: another backup is running on this PC; waiting for it to finish\n");
    // A backup by hand is a run too: the server's run history records it as "manual".
    let startedAt = new Date();
    const r = await withBackupLock(env.home, { wait: true, onWait }, () => {
      startedAt = new Date(); // the run starts once the lock is ours
      return runBackup({ state, home: env.home, paths, label: o.label ?? null, fullReread: Boolean(o.fullReread), excludes, progress: progressFor(mode()) });
    })
      .catch(async (err: unknown) => {
        await reportManualRun(state, startedAt, { errorCode: errorCode(err) });
        throw err;
      });
    await reportManualRun(state, startedAt, { restorePointId: r.restorePointId, files: r.files, bytesRead: r.bytesRead, bytesUploaded: r.bytesUploaded, skipped: r.skipped.length });
    const skipped = r.skipped.length ? `\n${r.skipped.length} skipped (not readable):\n${r.skipped.map((s) => `  ${s.path}: ${s.error}`).join("\n")}` : "";
    // FIFOs, sockets and devices hold no data: counted, never a reason for exit 5.
    const special = r.special ? `, ${r.special} special files (FIFOs, sockets, devices) not backed up` : "";
    const excluded = r.excluded ? `, ${r.excluded} excluded` : "";
    emit(mode(), r, `restore point ${r.restorePointId}: ${r.files} files (${r.filesUnchanged} unchanged)${excluded}${special}, ${mb(r.bytesRead)} read, ${mb(r.bytesUploaded)} uploaded (${r.chunksUploaded}/${r.chunksTotal} chunks) in ${(r.durationMs / 1000).toFixed(1)} s${skipped}`);
    // Partial success: the restore point exists but lacks the skipped files.
    if (r.skipped.length) process.exitCode = EXIT.partial;
  });

program
  .command("list")
  .description("list the studio's restore points, newest first (all devices)")
  .option("--device <name>", "only restore points of this device")
  .action(async (o: { device?: string }) => {
    const state = await loadDeviceState(env.home);
    const [{ ApiClient }, { deviceCredentials }] = await Promise.all([import("./api/client.ts"), import("./api/credentials.ts")]);
    const rows = await new ApiClient(state.server, deviceCredentials(state)).listRestorePoints(o.device);
    const restorePoints = rows.map(({ id, createdAt, label, files, bytes, deviceName, health, verifiedAt }) => ({ id, createdAt, label, files, bytes, deviceName, health, verifiedAt }));
    const human = restorePoints.length
      ? restorePoints.map((r) => `${r.id}  ${r.createdAt}  ${r.deviceName}  ${r.files} files  ${mb(r.bytes)}  ${r.health}${r.label ? `  "${r.label}"` : ""}`).join("\n")
      : "no restore points yet";
    emit(mode(), { restorePoints }, human);
  });

program
  .command("restore")
  .description("restore a restore point (needs the passphrase)")
  .argument("<id>", "restore point id, or `latest`")
  .requiredOption("--to <dir>", "folder to restore into (entries appear as DIR/<entry>/...)")
  .option("--path <path>", "restore only this entry, folder or file (repeatable; a name that is not UTF-8 as displayed, each invalid byte as U+FFFD)", (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option("--overwrite", "replace existing files and links (never writes through a link, never replaces a folder)")
  .option("--keep-special-bits", "keep setuid, setgid and sticky bits (dropped by default)")
  .action(async (id: string, o: { to: string; path: string[]; overwrite?: boolean; keepSpecialBits?: boolean }) => {
    const state = await loadDeviceState(env.home);
    const r = await runRestore({
      state, passphrase: await passphrase()(), id, to: o.to, paths: o.path, overwrite: Boolean(o.overwrite),
      keepSpecialBits: Boolean(o.keepSpecialBits), progress: progressFor(mode()),
    });
    const failed = r.failed.length ? `\n${r.failed.length} not restored:\n${r.failed.map((f) => `  ${f.path}: ${f.error}`).join("\n")}` : "";
    // Not a failure: every file is there, under a name this target can hold (FORMAT.md §6).
    const shown = r.mapped.slice(0, 50).map((m) => `  ${m.path} -> ${m.restoredAs}`);
    if (r.mapped.length > shown.length) shown.push(`  (and ${r.mapped.length - shown.length} more: --json lists them all)`);
    const mapped = r.mapped.length ? `\n${r.mapped.length} names this target cannot hold, restored under another name (FORMAT.md §6):\n${shown.join("\n")}` : "";
    emit(mode(), r, `restored ${r.files} files (${mb(r.bytes)}) from ${r.restorePointId} in ${(r.durationMs / 1000).toFixed(1)} s${mapped}${failed}`);
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
    const human = r.ok
      ? `restore point ${r.restorePointId}: OK (${r.chunksChecked} chunks, ${mb(r.bytesChecked)} checked)`
      : `restore point ${r.restorePointId}: ${r.problems.length} PROBLEMS\n${r.problems.map((p) => `  ${p.code}: ${p.message}`).join("\n")}`;
    emit(mode(), r, human);
    if (!r.ok) process.exitCode = EXIT.error;
  });

registerAgentCommands(program, env, mode);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  fail(err, json);
}
