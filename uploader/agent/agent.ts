// `datasafe run`: the long-running agent. One loop owns every decision about WHEN to back up,
// so runs never overlap: there is at most one outstanding job (merging triggers), executed one
// at a time. Triggers:
// - schedule: the first cron slot after `coveredUntil` (status-file.ts) has come. A slot missed
//   while the agent was not running (PC off, asleep) gives ONE catch-up run soon after start,
//   not one per missed slot, because a completed run covers every slot up to its start.
// - watch: a watched folder has changed files, all complete (watcher.ts).
// - resume: the previous agent died or stopped mid-run or while waiting to retry.
// A failed run is retried with backoff (util/backoff.ts, at least half of each step) up to retry.attempts, then left to the next
// slot. Heartbeats and watching run on their own timers, so they go on during long uploads.
// Each run (each attempt) is reported to the server at its start and end (run-report.ts).
import { randomUUID } from "node:crypto";
import type { HeartbeatBody } from "../../protocol/schemas.ts";
import type { Progress } from "../progress.ts";
import type { DeviceState } from "../state.ts";
import { backoffMs } from "../util/backoff.ts";
import type { AgentConfig } from "./config-file.ts";
import { startHeartbeats, type Heartbeats } from "./heartbeat.ts";
import type { Log } from "./logger.ts";
import { isPermanent, runJob } from "./run-job.ts";
import { endReport, RunReporter, startReport } from "./run-report.ts";
import { nextSlot } from "./schedule.ts";
import { readStatus, writeStatus, type AgentStatus, type Trigger } from "./status-file.ts";
import { AGENT_VERSION, osDescription } from "./version.ts";
import { StableFileWatcher } from "./watcher.ts";
import { checkForUpdate } from "../update/agent-updater.ts";
import type { UpdateOutcome } from "../update/self-update.ts";

export interface AgentOptions {
  home: string;
  config: AgentConfig;
  state: DeviceState;
  log: Log;
  /**
   * Self-update (the single executable only: update/self-update.ts), checked at start and every
   * `everyMs` while no backup is due or running. After an update run() returns "updated": the
   * process exits and its service manager starts the new executable.
   */
  update?: { check(): Promise<UpdateOutcome>; everyMs: number };
}

interface Job {
  trigger: Trigger;
  attempt: number;
  notBefore: number;
}

const MAX_SLEEP_MS = 60_000; // re-check the clock at least every minute (sleep, clock changes)
const iso = (ms: number) => new Date(ms).toISOString();
/** A failed run waits at least half of its backoff step: a real pause, not an immediate retry. */
const runBackoff = (r: AgentConfig["retry"]) => ({ baseMs: r.baseSeconds * 1000, capMs: r.maxSeconds * 1000, minShare: 0.5 });

export class Agent {
  private status!: AgentStatus;
  private job: Job | null = null;
  private running = false;
  private stopped = false;
  private wakeUp: () => void = () => undefined;
  private readonly watcher: StableFileWatcher | null;
  private heartbeats: Heartbeats | null = null;
  private runs: RunReporter | null = null;
  private watchTimer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly startedAt = Date.now();
  private nextUpdateAt = 0;

  constructor(private readonly o: AgentOptions) {
    const watched = o.config.sources.filter((s) => s.watch).map((s) => s.path);
    this.watcher = watched.length ? new StableFileWatcher(watched, o.config.watch.stableSeconds * 1000) : null;
  }

  /** Runs until stop() ("stopped") or until this executable was replaced by a newer one ("updated"). */
  async run(): Promise<"stopped" | "updated"> {
    const { config, log } = this.o;
    const previous = await readStatus(this.o.home);
    this.status = {
      version: 1,
      pid: process.pid,
      agentVersion: AGENT_VERSION,
      startedAt: iso(this.startedAt),
      updatedAt: iso(this.startedAt),
      state: "idle",
      nextRunAt: null,
      coveredUntil: previous?.coveredUntil ?? iso(this.startedAt),
      retry: null,
      progress: null,
      lastRun: previous?.lastRun ?? null,
      lastSuccessAt: previous?.lastSuccessAt ?? null,
    };
    if (previous?.progress || previous?.retry) {
      this.job = { trigger: "resume", attempt: 1, notBefore: this.startedAt + config.catchUpDelaySeconds * 1000 };
      log.info("the previous agent stopped before its backup completed: resuming it", { at: iso(this.job.notBefore) });
    }
    this.runs = new RunReporter({ state: this.o.state, log, retryMs: config.heartbeatSeconds * 1000 });
    this.heartbeats = startHeartbeats({
      state: this.o.state,
      intervalMs: config.heartbeatSeconds * 1000,
      body: () => this.heartbeat(),
      log,
    });
    if (this.watcher) {
      await this.watcher.poll(); // baseline
      this.watchTimer = setInterval(() => void this.pollWatch(), config.watch.pollSeconds * 1000);
    }
    log.info("agent started", {
      version: AGENT_VERSION,
      schedule: config.schedule,
      sources: config.sources.map((s) => s.path),
      watched: config.sources.filter((s) => s.watch).map((s) => s.path),
      nextRunAt: this.nextRunAt()?.toISOString() ?? null,
    });
    while (!this.stopped) {
      const now = Date.now();
      this.planScheduled(now);
      if (this.job && this.job.notBefore <= now) {
        await this.execute(this.job);
        continue;
      }
      if (this.o.update && now >= this.nextUpdateAt) {
        this.nextUpdateAt = now + this.o.update.everyMs;
        if (await checkForUpdate(this.o.update.check, this.o.log)) return "updated";
        continue;
      }
      const next = this.nextRunAt();
      this.status.nextRunAt = next?.toISOString() ?? null;
      this.status.state = this.job && this.job.attempt > 1 ? "retrying" : "idle";
      await this.persist();
      await this.sleep(next ? Math.min(Math.max(next.getTime() - now, 0), MAX_SLEEP_MS) : MAX_SLEEP_MS);
    }
    return "stopped";
  }

  /** Stops the loop and timers and records the state; an unfinished run resumes at next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    this.heartbeats?.stop();
    this.runs?.stop();
    clearInterval(this.watchTimer);
    if (this.status) {
      this.status.state = "stopped";
      await this.persist();
    }
  }

  private planScheduled(now: number): void {
    if (this.job) return;
    const slot = nextSlot(this.o.config.schedule, new Date(this.status.coveredUntil));
    if (!slot || slot.getTime() > now) return;
    const missed = slot.getTime() < this.startedAt;
    this.job = {
      trigger: missed ? "catch-up" : "schedule",
      attempt: 1,
      notBefore: missed ? this.startedAt + this.o.config.catchUpDelaySeconds * 1000 : now,
    };
    if (missed)
      this.o.log.info("a scheduled run was missed while the agent was not running: catching up once", {
        missed: slot.toISOString(),
        at: iso(this.job.notBefore),
      });
  }

  private nextRunAt(): Date | null {
    if (this.job) return new Date(this.job.notBefore);
    return nextSlot(this.o.config.schedule, new Date(this.status.coveredUntil));
  }

  private async execute(job: Job): Promise<void> {
    const { log, config } = this.o;
    this.running = true;
    const snapshot = this.watcher?.snapshot();
    const runId = randomUUID();
    this.status.progress = { trigger: job.trigger, startedAt: iso(Date.now()), bytesDone: 0, bytesTotal: 0 };
    this.status.retry = null;
    this.status.nextRunAt = null;
    const rec = await runJob(
      {
        ...this.o,
        progress: this.progress(),
        onWaitForLock: () => {
          this.status.state = "waiting-for-lock";
          void this.persist();
          log.info("another backup is running on this PC: waiting for it to finish");
        },
        onStart: () => {
          this.status.state = "running";
          void this.persist();
          void this.heartbeats?.beat();
          void this.runs?.report(runId, startReport(job.trigger, new Date()));
        },
      },
      job.trigger,
      job.attempt,
    );
    this.running = false;
    void this.runs?.report(runId, endReport(rec));
    this.status.progress = null;
    this.status.lastRun = rec;
    const covered = () => {
      if (Date.parse(rec.startedAt) > Date.parse(this.status.coveredUntil)) this.status.coveredUntil = rec.startedAt;
    };
    if (rec.result === "ok") {
      log.info("backup finished", { ...rec });
      this.status.lastSuccessAt = rec.finishedAt;
      covered();
      this.job = null;
      if (snapshot) this.watcher?.markSent(snapshot);
    } else if (isPermanent(rec.errorCode ?? "") || job.attempt >= config.retry.attempts) {
      log.error("backup failed: giving up until the next scheduled run", { ...rec });
      covered();
      this.job = null;
      if (snapshot) this.watcher?.markSent(snapshot); // else the watcher would trigger at once again
    } else {
      const at = Date.now() + backoffMs(job.attempt, runBackoff(config.retry));
      this.job = { trigger: job.trigger, attempt: job.attempt + 1, notBefore: at };
      this.status.retry = { trigger: job.trigger, attempt: job.attempt + 1, at: iso(at) };
      log.warn("backup failed: will retry", { ...rec, retryAt: iso(at) });
    }
    // Before the heartbeat below: it must not report the null set while running.
    this.status.nextRunAt = this.nextRunAt()?.toISOString() ?? null;
    this.status.state = this.job ? "retrying" : "idle";
    await this.persist();
    void this.heartbeats?.beat();
  }

  private async pollWatch(): Promise<void> {
    if (!this.watcher || this.running || this.stopped) return;
    const ready = await this.watcher.poll().catch(() => false);
    if (!ready || this.running || this.job) return;
    this.job = { trigger: "watch", attempt: 1, notBefore: Date.now() };
    this.o.log.info("files changed in a watched folder and are complete: backing up");
    this.wakeUp();
  }

  /** Progress of the current run into status.json, at most once a second. */
  private progress(): Progress {
    let timer: NodeJS.Timeout | undefined;
    const later = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        void this.persist();
      }, 1000);
    };
    return {
      start: (total) => {
        if (this.status.progress) this.status.progress.bytesTotal = total;
        void this.persist();
      },
      grow: (n) => {
        if (!this.status.progress) return;
        this.status.progress.bytesTotal += n;
        later();
      },
      advance: (n) => {
        if (!this.status.progress) return;
        this.status.progress.bytesDone += n;
        later();
      },
      stop: () => undefined,
    };
  }

  private heartbeat(): HeartbeatBody {
    const s = this.status;
    const last = s.lastRun;
    return {
      agentVersion: AGENT_VERSION,
      os: osDescription(),
      state: this.running ? "running" : s.retry ? "retrying" : "idle",
      nextRunAt: s.nextRunAt,
      lastRun: last && { at: last.finishedAt, result: last.result, errorCode: last.errorCode, restorePointId: last.restorePointId },
      lastSuccessAt: s.lastSuccessAt,
    };
  }

  /** Writes are queued: two overlapping renames of the same temp file would fail. */
  private persist(): Promise<void> {
    const snapshot = structuredClone(this.status);
    this.writing = this.writing
      .then(() => writeStatus(this.o.home, snapshot))
      .catch((err: unknown) => this.o.log.warn("cannot write status.json", { error: (err as Error).message }));
    return this.writing;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
