// Run reports: each backup run's start and end to the server (PUT /v1/runs/:runId, protocol/runs.ts),
// for the owners' and support's run history. Like heartbeats, best effort and never in the way of
// a backup; unlike a heartbeat, a lost report is a hole in the history, so reports wait in an
// outbox (in memory, at most OUTBOX_LIMIT runs, the oldest dropped first) and are sent again on
// a timer until the server took them. Resending is safe: the server keys a run on the id chosen
// here, and a run that has its result is final.
//
// Contract: report() never throws and never waits for the network unless awaited; reports leave
// in the order they were made; a newer report of a run replaces an unsent older one; a report
// the server refuses for good (a 4xx other than 401, 408 or 429) is dropped and logged.
import { randomUUID } from "node:crypto";
import type { RunReportBody, RunTrigger } from "../../protocol/runs.ts";
import { jsonCall } from "../api/http-transport.ts";
import { deviceCredentials } from "../api/credentials.ts";
import { ApiError } from "../api/api-error.ts";
import type { DeviceState } from "../state.ts";
import type { Log } from "./logger.ts";
import type { RunRecord, Trigger } from "./status-file.ts";

export const OUTBOX_LIMIT = 100;
const ONE_ATTEMPT = { attempts: 1, baseMs: 0, capMs: 0 };

/** The server's vocabulary. A resumed run continues one the previous agent left unfinished;
 *  what triggered that one is not kept across restarts, and a schedule is what starts most. */
export function runTrigger(t: Trigger | "manual"): RunTrigger {
  if (t === "watch") return "watched";
  if (t === "manual") return "manual";
  return "scheduled";
}

export function startReport(trigger: Trigger | "manual", startedAt: Date): RunReportBody {
  return {
    trigger: runTrigger(trigger),
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    result: null,
    errorCode: null,
    restorePointId: null,
    files: null,
    bytesRead: null,
    bytesUploaded: null,
    skipped: null,
  };
}

/** `partial`: the restore point exists but lacks files that could not be read. */
export function endReport(rec: Omit<RunRecord, "trigger" | "attempt"> & { trigger: Trigger | "manual" }): RunReportBody {
  return {
    trigger: runTrigger(rec.trigger),
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    result: rec.result === "failed" ? "failed" : rec.skipped > 0 ? "partial" : "success",
    errorCode: rec.errorCode,
    restorePointId: rec.restorePointId,
    files: rec.files,
    bytesRead: rec.bytesRead,
    bytesUploaded: rec.bytesUploaded,
    skipped: rec.skipped,
  };
}

const permanent = (err: unknown) =>
  err instanceof ApiError && err.status >= 400 && err.status < 500 && ![401, 408, 429].includes(err.status);

export class RunReporter {
  readonly #outbox = new Map<string, RunReportBody>();
  #sending: Promise<void> = Promise.resolve();
  #failing = false;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: { state: DeviceState; log: Log; retryMs?: number }) {
    if (o.retryMs) {
      this.#timer = setInterval(() => void this.flush(), o.retryMs);
      this.#timer.unref();
    }
  }

  /** Queues the report and sends the outbox; the promise settles when this attempt is over. */
  report(runId: string, body: RunReportBody): Promise<void> {
    this.#outbox.delete(runId); // re-inserted last: the order of reports is kept
    this.#outbox.set(runId, body);
    while (this.#outbox.size > OUTBOX_LIMIT) {
      const oldest = this.#outbox.keys().next().value as string;
      this.#outbox.delete(oldest);
      this.o.log.warn("run report dropped: too many unsent", { runId: oldest });
    }
    return this.flush();
  }

  /** Runs whose last report has not reached the server yet. */
  get pending(): number {
    return this.#outbox.size;
  }

  flush(): Promise<void> {
    this.#sending = this.#sending.then(() => this.#send());
    return this.#sending;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #send(): Promise<void> {
    const { state, log } = this.o;
    const base = state.server.endsWith("/") ? state.server : `${state.server}/`;
    for (const [runId, body] of [...this.#outbox]) {
      try {
        // Renews an expired token (credentials.ts) and reads the renewed one.
        await deviceCredentials(state).call(() =>
          jsonCall(
            "PUT",
            new URL(`v1/runs/${runId}`, base).toString(),
            { authorization: `Bearer ${state.accessToken}` },
            body,
            ONE_ATTEMPT,
          ),
        );
      } catch (err) {
        if (permanent(err)) {
          log.warn("run report refused by the server: dropped", { runId, error: (err as Error).message });
        } else {
          if (!this.#failing) log.warn("run report failed: will send it again", { runId, error: (err as Error).message });
          this.#failing = true;
          return; // keep the order: later reports wait for this one
        }
      }
      // Only what was sent: a newer report of this run queued meanwhile stays.
      if (this.#outbox.get(runId) === body) this.#outbox.delete(runId);
    }
    this.#failing = false;
  }
}

const MANUAL_ATTEMPTS = 2;

/**
 * `datasafe backup` by hand: its end report, sent before the command exits (two attempts, half a
 * second apart). Never throws and never changes the backup's outcome; a report still unsent is
 * lost (the command keeps no outbox) and said so on stderr.
 */
export async function reportManualRun(
  state: DeviceState,
  startedAt: Date,
  outcome: { restorePointId: string; files: number; bytesRead: number; bytesUploaded: number; skipped: number } | { errorCode: string },
): Promise<void> {
  const warn = (msg: string) => process.stderr.write(`datasafe: ${msg}\n`);
  const log: Log = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    close: async () => undefined,
  };
  const reporter = new RunReporter({ state, log });
  const finishedAt = new Date();
  const body = endReport({
    trigger: "manual",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    error: null,
    ...("errorCode" in outcome
      ? { result: "failed", errorCode: outcome.errorCode, restorePointId: null, files: 0, bytesRead: 0, bytesUploaded: 0, skipped: 0 }
      : { result: "ok", errorCode: null, ...outcome }),
  });
  await reporter.report(randomUUID(), body);
  for (let i = 1; i < MANUAL_ATTEMPTS && reporter.pending; i++) {
    await new Promise((r) => setTimeout(r, 500));
    await reporter.flush();
  }
  if (reporter.pending) warn("this backup could not be reported to the server's run history");
}
