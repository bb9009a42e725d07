// Scenario 1, crash: concurrent backups of several studios while a chaos loop SIGKILLs an API
// process, a worker or an uploader at random moments (and some uploader runs carry a named
// crash point, DATASAFE_FAULT_POINT). Killed servers come back after a random pause; killed
// uploaders run the same backup again. At most one API is down at a time: the other carries
// the load, as behind a real balancer. Pass: every round of every studio committed, then
// verify-world finds no data lost and no committed point referencing a missing chunk.
import { Rng } from "../../bench/prng.ts";
import type { NodeProcess } from "../../support/process.ts";
import { type BackupOutcome, backupUntilDone, sleep, waitVerified } from "../backups.ts";
import type { Profile } from "../profile.ts";
import type { ScenarioReport } from "../report.ts";
import type { Rig } from "../rig.ts";
import type { ServerProc } from "../server-procs.ts";
import { createStudios } from "../studio.ts";
import { verifyWorld, World } from "../world.ts";
import { finish } from "../verdict.ts";

/** Crash points the uploader knows (uploader/backup/chunk-sink.ts, commit.ts). */
const UPLOADER_POINTS = ["after-chunk-upload", "before-commit"];
/** Attempts of a round's backup that the chaos loop may kill. */
const MAX_KILLED_ATTEMPTS = 2;

export async function crashScenario(rig: Rig, seed: string, profile: Profile): Promise<ScenarioReport> {
  const t0 = Date.now();
  const p = profile.crash;
  const world = new World();
  for (const s of await createStudios(rig, profile, p.studios, (i) => [`crash-${i + 1}`, `${seed}:crash:${i}`])) world.add(s);
  rig.balancer.takeLog();
  const faults = { apiKills: 0, workerKills: 0, uploaderKills: 0, uploaderCrashPoints: 0, uploaderRetries: 0 };
  const running = new Map<NodeProcess, number>();
  const chaosRng = new Rng(`${seed}:crash:chaos`);
  const restarts: Array<Promise<void>> = [];
  let stop = false;

  const restartErrors: unknown[] = [];
  const killAndRestart = (proc: ServerProc) => {
    const downMs = chaosRng.range(...p.downMs);
    restarts.push(
      (async () => {
        await proc.kill();
        await sleep(downMs);
        await proc.start();
      })().catch((err: unknown) => void restartErrors.push(err)),
    );
  };
  const chaos = (async () => {
    for (;;) {
      await sleep(chaosRng.range(...p.chaosMs));
      if (stop) return;
      const victim = chaosRng.pick(["api", "worker", "uploader"] as const);
      if (victim === "api") {
        const up = rig.apis.filter((a) => a.backend.up);
        if (up.length < rig.apis.length) continue; // one down already
        faults.apiKills++;
        killAndRestart(chaosRng.pick(up));
      } else if (victim === "worker") {
        const up = rig.workers.filter((w) => w.running);
        if (!up.length) continue;
        faults.workerKills++;
        killAndRestart(chaosRng.pick(up));
      } else {
        // Only a round's first attempts: every backup must end, however unlucky the draws.
        const live = [...running].filter(([, attempt]) => attempt <= MAX_KILLED_ATTEMPTS).map(([proc]) => proc);
        if (!live.length) continue;
        faults.uploaderKills++;
        chaosRng.pick(live).proc.kill("SIGKILL");
      }
    }
  })();

  const backups: BackupOutcome[] = [];
  const phases: string[] = [`studios ready at ${((Date.now() - t0) / 1000).toFixed(1)} s`];
  try {
    for (let round = 0; round < p.rounds; round++) {
      await Promise.all(
        world.studios.map(async (s, i) => {
          if (round > 0) await s.mutate(profile.tree);
          await world.beginRound(s);
          const rng = new Rng(`${seed}:crash:uploader:${i}:${round}`);
          const out = await backupUntilDone(s, world, {
            running,
            envFor: (attempt) => {
              if (attempt > 1 || rng.int(3) !== 0) return {};
              faults.uploaderCrashPoints++;
              const point = rng.pick(UPLOADER_POINTS);
              return { DATASAFE_FAULT_POINT: point === "before-commit" ? point : `${point}:${rng.range(1, 6)}` };
            },
          });
          faults.uploaderRetries += out.attempts - 1;
          backups.push(out);
        }),
      );
      phases.push(`round ${round + 1} committed at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    stop = true;
    await chaos;
    await Promise.all(restarts);
  }
  const faultsEnd = Date.now();
  if (restartErrors.length) throw restartErrors[0];
  await rig.ensureAllUp();
  await waitVerified(rig, world.studios);
  const timeToRecoverMs = Date.now() - faultsEnd;
  const status = rig.balancer.takeLog();
  phases.push(`verified at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const check = await verifyWorld(rig, world);
  phases.push(`verify-world done at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const committedMs = backups.map((b) => b.lastMs).sort((a, b) => a - b);
  return finish("crash", t0, {
    details: { backupMsMedian: committedMs[committedMs.length >> 1], phases },
    load: `${p.studios} studios x ${p.rounds} rounds, ${backups.length} backups committed, ${check.restorePoints} restore points`,
    faults,
    status,
    timeToRecoverMs,
    check,
  });
}
