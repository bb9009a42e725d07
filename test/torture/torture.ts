// `npm run torture -- [--profile quick|long] [--seed S] [--scenarios crash,datastores,bitrot] [--out DIR]`
// Starts the rig, runs the scenarios in order, writes the report (JSON + Markdown) and prints
// it. Exit 1 when a scenario failed. The seed is printed first: `--seed` replays the choices.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { Rng } from "../bench/prng.ts";
import { PROFILES } from "./profile.ts";
import { markdown, type ScenarioReport, type TortureReport, writeReport } from "./report.ts";
import { startRig } from "./rig.ts";
import { SCENARIOS, type ScenarioName } from "./scenarios/index.ts";

export interface TortureOptions {
  profile: keyof typeof PROFILES;
  seed: string;
  scenarios: ScenarioName[];
  out: string;
  log?: (line: string) => void;
}

export async function runTorture(o: TortureOptions): Promise<TortureReport> {
  const log = o.log ?? ((l: string) => console.error(l));
  const profile = PROFILES[o.profile];
  const t0 = Date.now();
  log(`torture: profile ${profile.name}, seed ${o.seed} (replay with --seed ${o.seed})`);
  const rig = await startRig(new Rng(`${o.seed}:rig`));
  log(
    `torture: rig up in ${((Date.now() - t0) / 1000).toFixed(1)} s (postgres :${rig.pg.port}, redis :${rig.redis.port}, s3 proxy ${rig.proxy.url})`,
  );
  const scenarios: ScenarioReport[] = [];
  // Ctrl-C: never leave the rig's Postgres, Redis or servers running.
  const interrupted = () => void rig.stop().finally(() => process.exit(130));
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    for (const name of o.scenarios) {
      const s0 = Date.now();
      log(`torture: scenario ${name}...`);
      const s3Before = rig.proxy.stats.requests;
      const r = await SCENARIOS[name](rig, o.seed, profile);
      r.details.s3RequestsThroughProxy = rig.proxy.stats.requests - s3Before;
      scenarios.push(r);
      log(
        `torture: scenario ${name} ${r.failures.length ? `FAILED: ${r.failures.join("; ")}` : "ok"} in ${((Date.now() - s0) / 1000).toFixed(1)} s`,
      );
    }
  } catch (err) {
    const tail = [...rig.apis, ...rig.workers].map((p) => `--- ${p.name}\n${p.logs().slice(-3000)}`).join("\n");
    log(`torture: aborted: ${(err as Error).stack}\n${tail}`);
    throw err;
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await rig.stop();
  }
  const report: TortureReport = {
    seed: o.seed,
    profile: profile.name,
    startedAt: new Date(t0).toISOString(),
    wallMs: Date.now() - t0,
    scenarios,
    ok: scenarios.every((s) => s.failures.length === 0),
  };
  const files = await writeReport(report, o.out);
  log(`${markdown(report)}\nreport: ${files.json}, ${files.md}`);
  return report;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: "string", default: "quick" },
      seed: { type: "string" },
      scenarios: { type: "string", default: Object.keys(SCENARIOS).join(",") },
      out: { type: "string", default: "torture-report" },
    },
  });
  if (!(values.profile! in PROFILES)) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(", ")}`);
  const names = values.scenarios!.split(",").map((s) => s.trim());
  for (const n of names) if (!(n in SCENARIOS)) throw new Error(`unknown scenario "${n}" (known: ${Object.keys(SCENARIOS).join(", ")})`);
  const report = await runTorture({
    profile: values.profile as keyof typeof PROFILES,
    seed: values.seed ?? randomBytes(4).toString("hex"),
    scenarios: names as ScenarioName[],
    out: path.resolve(values.out!),
  });
  process.exitCode = report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
