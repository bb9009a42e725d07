// Scenario 2, datastores: backups of several studios in flight while the rig's Postgres crashes
// (pg_ctl stop -m immediate: crash recovery on restart) and while its Redis is flushed
// (FLUSHALL: every queued job and lock gone) and killed, each down for a few seconds. A probe
// asks the API through the balancer all along. Pass: every status an API gave while a datastore
// was down is a 2xx/4xx or a 503 with Retry-After (never a 500), no server process died, every
// backup completes after recovery, every committed restore point gets verified again (the
// sweeper re-enqueues what Redis lost), and verify-world finds nothing lost.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Rng } from "../../bench/prng.ts";
import { emptyLog, type StatusLog } from "../balancer.ts";
import { type BackupOutcome, backupUntilDone, sleep, waitVerified } from "../backups.ts";
import type { Profile } from "../profile.ts";
import type { ScenarioReport } from "../report.ts";
import type { Rig } from "../rig.ts";
import { createStudios } from "../studio.ts";
import { verifyWorld, World } from "../world.ts";
import { finish } from "../verdict.ts";

export async function datastoresScenario(rig: Rig, seed: string, profile: Profile): Promise<ScenarioReport> {
  const t0 = Date.now();
  const p = profile.datastores;
  const rng = new Rng(`${seed}:datastores`);
  const world = new World();
  for (const s of await createStudios(rig, profile, p.studios, (i) => [`ds-${i + 1}`, `${seed}:ds:${i}`])) world.add(s);
  const faults = { postgresCrashes: 0, redisFlushAndKills: 0, probes: 0 };
  const whileDown: Record<string, StatusLog> = { postgres: emptyLog(), redis: emptyLog() };
  const recoverMs: Record<string, number[]> = { postgres: [], redis: [] };
  const failures: string[] = [];
  const total = emptyLog();
  const collect = (into?: StatusLog) => {
    const l = rig.balancer.takeLog();
    merge(total, l);
    if (into) merge(into, l);
  };
  collect();

  // The probe: a device's read of its restore points, and the API's readiness, every ~150 ms.
  let probing = true;
  const probeAuth = async () => ({
    authorization: `Bearer ${(JSON.parse(await readFile(path.join(world.studios[0]!.home, "device.json"), "utf8")) as { accessToken: string }).accessToken}`,
  });
  let lastProbeOk = Date.now();
  const probe = (async () => {
    while (probing) {
      faults.probes++;
      const ok = await fetch(`${rig.balancer.url}/v1/restore-points`, { headers: await probeAuth() }).then(
        (r) => r.ok,
        () => false,
      );
      await fetch(`${rig.balancer.url}/readyz`).catch(() => undefined);
      if (ok) lastProbeOk = Date.now();
      await sleep(150);
    }
  })();
  const okSince = async (t: number) => {
    while (lastProbeOk <= t) await sleep(50);
    return Date.now() - t;
  };

  const backups: BackupOutcome[] = [];
  const round = async (first: boolean) => {
    for (const s of world.studios) {
      if (!first) await s.mutate(profile.tree);
      await world.beginRound(s);
    }
    return Promise.all(world.studios.map((s) => backupUntilDone(s, world).then((b) => void backups.push(b))));
  };
  let lastFault = Date.now();
  try {
    for (let n = 0; n < p.outages; n++) {
      const inFlight = round(n === 0);
      await sleep(rng.range(200, 1500));
      collect();
      await rig.pg.crash();
      faults.postgresCrashes++;
      await sleep(rng.range(...p.downMs));
      await rig.pg.start();
      collect(whileDown.postgres);
      lastFault = Date.now();
      recoverMs.postgres!.push(await okSince(lastFault));

      await sleep(rng.range(200, 1000));
      collect();
      await rig.redis.flushAll();
      await rig.redis.kill();
      faults.redisFlushAndKills++;
      await sleep(rng.range(...p.downMs));
      await rig.redis.start();
      collect(whileDown.redis);
      lastFault = Date.now();
      recoverMs.redis!.push(await okSince(lastFault));
      await inFlight;
    }
    for (const proc of [...rig.apis, ...rig.workers]) {
      if (!proc.running) failures.push(`${proc.name} died during an outage: ${proc.logs().slice(-500)}`);
    }
    await rig.ensureAllUp();
    await round(false); // and the service works as before
  } finally {
    probing = false;
    await probe;
  }
  await waitVerified(rig, world.studios);
  const timeToRecoverMs = Date.now() - lastFault;
  collect();
  const check = await verifyWorld(rig, world);
  return finish("datastores", t0, {
    load: `${p.studios} studios, ${backups.length} backups committed across ${p.outages} Postgres and ${p.outages} Redis outages, ${faults.probes} probes`,
    faults,
    status: total,
    timeToRecoverMs,
    check,
    failures,
    details: { whileDown, recoverMs },
  });
}

function merge(into: StatusLog, l: StatusLog): void {
  for (const [k, v] of Object.entries(l.byStatus)) into.byStatus[k] = (into.byStatus[k] ?? 0) + v;
  into.unavailableWithoutRetryAfter += l.unavailableWithoutRetryAfter;
  into.cut += l.cut;
  into.noBackend += l.noBackend;
}
