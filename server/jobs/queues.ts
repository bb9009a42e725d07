// Queue names and typed payloads. Redis holds only work in progress; Postgres is the truth
// (DESIGN.md principle 2), so every job can be re-created from database state.
import { Queue } from "bullmq";

export const INTEGRITY_QUEUE = "integrity";

export interface VerifyRestorePointJob {
  studioId: string;
  restorePointId: string;
}

export function redisConnection(redisUrl: string) {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === "rediss:" ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

export function integrityQueue(redisUrl: string): Queue<VerifyRestorePointJob> {
  return new Queue<VerifyRestorePointJob>(INTEGRITY_QUEUE, { connection: redisConnection(redisUrl) });
}
