// datasafe-admin: the operator's tool on the server host. Same configuration as the server; talks
// to Postgres directly. With --json it prints exactly one JSON object on stdout.
import { Command, CommanderError } from "commander";
import type { z } from "zod";
import { createStudioBody, createUserBody, email as emailSchema, setRoleBody } from "../../protocol/people.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { EXIT, exitForStatus, exitWithError } from "../../protocol/cli-exit.ts";
import { AppError, errors } from "../errors.ts";
import { createRuntime, type Runtime } from "../runtime.ts";
import { listAudit, OPERATOR } from "../services/audit.ts";
import { listStudioDevices, revokeDevice } from "../services/device-admin.ts";
import { createEnrollmentToken } from "../services/studios.ts";
import {
  createStaffUser,
  createStudioWithOwner,
  findUserByEmail,
  inviteOwner,
  passwordResetLink,
  setStaffRole,
} from "../services/users/accounts.ts";
import { resetTotp } from "../services/users/second-factor.ts";
import { addTokenKey } from "../services/users/token-keys.ts";
import { queueCounts } from "../jobs/queues.ts";
import { requestStudioVerification } from "../services/integrity/request-studio.ts";
import { verifyStudio } from "../services/integrity/verify-studio.ts";
import { toAppError } from "../to-app-error.ts";
import { parseDuration } from "./duration.ts";
import { usageCommands } from "./usage-commands.ts";

interface Global {
  json?: boolean;
}

async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await createRuntime(loadConfig(), "datasafe-admin", { logToStderr: true });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Options checked by the API's own schemas; a refusal is a usage error like the API's 400. */
function valid<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw errors.validation(first ? `${first.path.join(".")}: ${first.message}` : "invalid option");
}

function print(program: Command, result: Record<string, unknown>, human: string): void {
  if ((program.opts() as Global).json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${human}\n`);
}

const program = new Command("datasafe-admin")
  .description("DataSafe operator tool (runs on the server host, uses the server's configuration)")
  .option("--json", "print exactly one JSON object on stdout")
  .exitOverride()
  .configureOutput({ outputError: () => undefined }); // fail() prints the one error line

program
  .command("create-studio")
  .description("create a studio (tenant) and print its owner's one-use invitation link")
  .requiredOption("--name <name>", "studio name")
  .requiredOption("--owner-email <email>", "owner's e-mail address")
  .action(async (o: { name: string; ownerEmail: string }) => {
    const input = valid(createStudioBody, { name: o.name, ownerEmail: o.ownerEmail });
    const r = await withRuntime((rt) => createStudioWithOwner(rt.ctx, OPERATOR, input));
    print(program, r, `studio ${r.studioId} created\nowner invitation (one use, until ${r.invitation.expiresAt}): ${r.invitation.link}`);
  });

program
  .command("create-user")
  .description("create a staff account and print its one-use invitation link (the person sets their password)")
  .requiredOption("--email <email>", "e-mail address")
  .requiredOption("--role <role>", "support or admin")
  .action(async (o: { email: string; role: string }) => {
    const input = valid(createUserBody, { email: o.email, role: o.role });
    const r = await withRuntime((rt) => createStaffUser(rt.ctx, OPERATOR, input));
    print(program, { ...r }, `invitation (one use, until ${r.expiresAt}): ${r.link}`);
  });

program
  .command("invite-owner")
  .description("invite someone to own a studio (an account is created if needed) and print the one-use link")
  .requiredOption("--studio <id>", "studio id")
  .requiredOption("--email <email>", "e-mail address")
  .action(async (o: { studio: string; email: string }) => {
    const email = valid(emailSchema, o.email);
    const r = await withRuntime((rt) => inviteOwner(rt.ctx, OPERATOR, { studioId: o.studio, email }));
    print(program, { ...r }, `invitation (one use, until ${r.expiresAt}): ${r.link}`);
  });

program
  .command("reset-password")
  .description("print a one-use password reset link (setting the password ends every session of the account)")
  .requiredOption("--email <email>", "e-mail address")
  .action(async (o: { email: string }) => {
    const email = valid(emailSchema, o.email);
    const r = await withRuntime((rt) => passwordResetLink(rt.ctx, OPERATOR, email));
    print(program, { ...r }, `reset link (one use, until ${r.expiresAt}): ${r.link}`);
  });

program
  .command("reset-totp")
  .description("remove a person's second factor and recovery codes (lost phone and codes); ends their sessions, they enroll again")
  .requiredOption("--email <email>", "e-mail address")
  .action(async (o: { email: string }) => {
    const email = valid(emailSchema, o.email);
    const r = await withRuntime(async (rt) => resetTotp(rt.ctx, OPERATOR, (await findUserByEmail(rt.ctx, email)).id));
    print(program, r, `${email} has no second factor now; ${r.sessionsRevoked} sessions ended`);
  });

program
  .command("set-role")
  .description("change a person's staff role (support, admin or none); ends their sessions")
  .requiredOption("--email <email>", "e-mail address")
  .requiredOption("--role <role>", "support, admin or none")
  .action(async (o: { email: string; role: string }) => {
    const email = valid(emailSchema, o.email);
    const { role } = valid(setRoleBody, { role: o.role === "none" ? null : o.role });
    const r = await withRuntime(async (rt) => setStaffRole(rt.ctx, OPERATOR, { userId: (await findUserByEmail(rt.ctx, email)).id, role }));
    print(program, r, `${email} is now ${r.role}; ${r.sessionsRevoked} sessions ended`);
  });

program
  .command("audit")
  .description("the audit log, newest first")
  .option("--studio <id>", "one studio's events only")
  .option("--since <time>", "from this ISO 8601 time on")
  .option("--limit <n>", "at most this many events", "100")
  .action(async (o: { studio?: string; since?: string; limit: string }) => {
    const since = o.since === undefined ? undefined : new Date(o.since);
    if (since && Number.isNaN(since.getTime())) throw errors.validation("--since: not a time (ISO 8601, e.g. 2026-12-01T00:00:00Z)");
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw errors.validation("--limit: 1-10000");
    if (o.studio && !/^[0-9a-f-]{36}$/i.test(o.studio)) throw errors.notFound("studio");
    const events = await withRuntime((rt) =>
      listAudit(rt.ctx, { ...(o.studio ? { studioId: o.studio } : {}), ...(since ? { since } : {}), limit }),
    );
    const lines = events.map((e) =>
      [
        e.at,
        e.action,
        `${e.actorRole}${e.actorLabel ? ` ${e.actorLabel}` : ""}`,
        e.studioId ? `studio ${e.studioId}` : "",
        e.target ?? "",
        e.address ?? "",
      ]
        .filter(Boolean)
        .join("  "),
    );
    print(program, { events }, lines.length ? lines.join("\n") : "no events");
  });

program
  .command("token-key")
  .description(
    "add a new signing key for people's access tokens (it signs from now on; remove an old one 15 minutes after it stopped signing)",
  )
  .action(() => {
    const kid = addTokenKey(loadConfig().tokenKeysDir);
    print(program, { kid }, `key ${kid} added`);
  });

program
  .command("enrollment-token")
  .description("issue a one-use token that enrolls one device into a studio")
  .requiredOption("--studio <id>", "studio id")
  .option(
    "--ttl <duration>",
    "validity, e.g. 30m, 24h, at most 7d (the token fetches the studio's passphrase-wrapped keys: keep it short)",
    "1h",
  )
  .action(async (o: { studio: string; ttl: string }) => {
    const ttlMs = parseDuration(o.ttl);
    const r = await withRuntime((rt) => createEnrollmentToken(rt.ctx, OPERATOR, { studioId: o.studio, ttlMs }));
    print(program, r, `token: ${r.token}\nexpires: ${r.expiresAt}`);
  });

program
  .command("list-devices")
  .description("list a studio's devices: revoked or not (with the reason), last heartbeat")
  .requiredOption("--studio <id>", "studio id")
  .action(async (o: { studio: string }) => {
    const devices = await withRuntime((rt) => listStudioDevices(rt.ctx, o.studio));
    const lines = devices.map((d) =>
      [
        d.id,
        d.name,
        `enrolled ${d.createdAt}`,
        d.lastSeenAt ? `last seen ${d.lastSeenAt}` : "never seen",
        d.revokedAt ? `REVOKED ${d.revokedAt}: ${d.revokedReason ?? ""}` : "active",
      ].join("  "),
    );
    print(program, { devices }, lines.length ? lines.join("\n") : "no devices");
  });

program
  .command("revoke-device")
  .description("revoke a device: its next request fails within seconds and it can no longer renew its credential")
  .argument("<id>", "device id (see list-devices)")
  .requiredOption("--reason <text>", 'why, e.g. "PC stolen 2026-12-01" (kept with the device)')
  .action(async (id: string, o: { reason: string }) => {
    const r = await withRuntime((rt) => revokeDevice(rt.ctx, OPERATOR, { deviceId: id, reason: o.reason }));
    print(
      program,
      r,
      r.alreadyRevoked ? `device ${r.deviceId} was already revoked at ${r.revokedAt}` : `device ${r.deviceId} revoked at ${r.revokedAt}`,
    );
  });

program
  .command("verify")
  .description("re-read every blob the studio's restore points reference and record their health")
  .requiredOption("--studio <id>", "studio id")
  .option("--wait", "do it now in this process and print the result (else queue it for the workers)")
  .action(async (o: { studio: string; wait?: boolean }) => {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    if (!o.wait) {
      const r = await withRuntime((rt) => requestStudioVerification(rt.ctx, o.studio));
      print(program, r, `verification of ${r.restorePoints} restore points queued`);
      return;
    }
    const r = await withRuntime((rt) => verifyStudio(rt.ctx, o.studio));
    const lines = [
      `${r.restorePoints} restore points: ${r.verified} verified, ${r.damaged} damaged; ${r.chunksChecked} chunks (${mb(r.bytesChecked)}) re-read`,
    ];
    for (const id of r.damagedRestorePoints) lines.push(`  damaged: ${id}`);
    print(program, { ...r }, lines.join("\n"));
    if (r.damaged) process.exitCode = EXIT.error;
  });

program
  .command("queue")
  .description("job counts of the integrity queue (waiting, active, delayed, failed, ...)")
  .action(async () => {
    const counts = await withRuntime((rt) => queueCounts(rt.queue()));
    print(
      program,
      { queue: "integrity", counts },
      Object.entries(counts)
        .map(([k, v]) => `${k}: ${v}`)
        .join("\n"),
    );
  });

usageCommands(program, { withRuntime, print: (result, human) => print(program, result, human) });

/** `err` in the server's vocabulary (protocol/api-errors.ts), with the raw message of an INTERNAL one: the operator debugs it. */
function failureOf(err: unknown): AppError {
  if (err instanceof CommanderError) return new AppError("USAGE", err.message.replace(/^error: /, ""));
  if (err instanceof ConfigError) return new AppError("CONFIG_INVALID", err.message);
  const e = toAppError(err);
  return e.code === "INTERNAL" && !(err instanceof AppError) ? new AppError("INTERNAL", String((err as Error)?.message ?? err)) : e;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError && err.exitCode === 0) process.exit(0); // --help, --version
  const e = failureOf(err);
  // A 400 here is the operator's input (an id, a duration): a usage error, unlike the uploader's.
  const exit = e.status === 400 ? EXIT.usage : exitForStatus(e.status);
  exitWithError("datasafe-admin", e, exit, process.argv.includes("--json"));
}
