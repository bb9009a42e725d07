// datasafe-admin usage and set-quota (services/usage.ts, services/quota.ts; docs/quotas-and-usage.md).
import type { Command } from "commander";
import { errors } from "../errors.ts";
import type { Runtime } from "../runtime.ts";
import { OPERATOR } from "../services/audit.ts";
import { bytesText } from "../services/quota.ts";
import { currentUsage, lastCompleteDay, setQuota, usageDays, type StudioUsage, type UsageDayRow } from "../services/usage.ts";

interface Helpers {
  withRuntime<T>(fn: (rt: Runtime) => Promise<T>): Promise<T>;
  print(result: Record<string, unknown>, human: string): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function studioOption(id: string | undefined): string | undefined {
  if (id !== undefined && !UUID.test(id)) throw errors.notFound("studio");
  return id;
}

function describeUsage(u: StudioUsage): string {
  if (u.quotaBytes === null) return `studio ${u.studioId}: ${bytesText(u.storedBytes)} stored, no quota`;
  return (
    `studio ${u.studioId}: ${bytesText(u.storedBytes)} stored of a ${bytesText(u.quotaBytes)} quota (${u.percent} %, ${u.level}); ` +
    `uploads refused past ${bytesText(u.limitBytes ?? u.quotaBytes)}`
  );
}

const dayLine = (d: UsageDayRow) =>
  [
    d.day,
    d.studioId,
    `stored ${bytesText(d.storedBytes)}`,
    d.quotaBytes === null ? "no quota" : `quota ${bytesText(d.quotaBytes)}`,
    `${d.chunks} chunks`,
    `${d.restorePoints} restore points`,
    `uploaded ${bytesText(d.uploadedBytes)}`,
  ].join("  ");

export function usageCommands(program: Command, h: Helpers): void {
  program
    .command("usage")
    .description("daily usage rows for billing (UTC days) and, for one studio, its usage now against its quota")
    .option("--studio <id>", "one studio (default: every studio)")
    .option("--from <day>", "first day, YYYY-MM-DD (default: 30 days before --to for one studio, else --to)")
    .option("--to <day>", "last day, YYYY-MM-DD (default: the last complete day)")
    .action(async (o: { studio?: string; from?: string; to?: string }) => {
      const studioId = studioOption(o.studio);
      const r = await h.withRuntime(async (rt) => {
        const to = o.to ?? lastCompleteDay(rt.ctx.clock.now());
        const from = o.from ?? (studioId ? undefined : to);
        const days = await usageDays(rt.ctx, { ...(studioId ? { studioId } : {}), ...(from ? { from } : {}), to });
        return { current: studioId ? await currentUsage(rt.ctx, studioId) : null, days };
      });
      const lines = [...(r.current ? [describeUsage(r.current)] : []), ...(r.days.length ? r.days.map(dayLine) : ["no daily rows"])];
      h.print(r, lines.join("\n"));
    });

  program
    .command("set-quota")
    .description("set a studio's storage quota in bytes after dedup (or none); audited")
    .requiredOption("--studio <id>", "studio id")
    .option("--bytes <n>", "the quota in bytes (1 GB = 1000000000)")
    .option("--unlimited", "no quota")
    .action(async (o: { studio: string; bytes?: string; unlimited?: boolean }) => {
      if ((o.bytes === undefined) === !o.unlimited) throw errors.validation("give exactly one of --bytes N and --unlimited");
      if (o.bytes !== undefined && !/^\d{1,16}$/.test(o.bytes)) throw errors.validation("--bytes: a whole number of bytes");
      const studioId = studioOption(o.studio)!;
      const quotaBytes = o.unlimited ? null : Number(o.bytes);
      const u = await h.withRuntime((rt) => setQuota(rt.ctx, OPERATOR, { studioId, quotaBytes }));
      h.print({ ...u }, describeUsage(u));
    });
}
