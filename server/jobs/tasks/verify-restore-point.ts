// Job "verify": the server-side check of one committed restore point (services/integrity).
import type { Ctx } from "../../context.ts";
import { verifyRestorePoint, type VerifyOutcome } from "../../services/integrity/verify-restore-point.ts";
import type { VerifyRestorePointJob } from "../queues.ts";

export async function verifyTask(ctx: Ctx, job: VerifyRestorePointJob): Promise<VerifyOutcome> {
  return verifyRestorePoint(ctx, job);
}
