// GET /v1/studios/:studioId/support-access: who from support or the operators looked at a studio
// and when (issue 19: transparency for the studio's owners). Read from the audit log's
// support.lookup rows, which the server writes for every look of staff at a studio.
import { z } from "zod";

export const supportAccessQuery = z.object({
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const supportLookView = z.object({
  at: z.iso.datetime(),
  /** The staff member's e-mail address as it was when they looked. */
  email: z.string().nullable(),
  role: z.enum(["support", "admin"]),
  /** What they looked at: the route (`GET /v1/studios/:studioId/devices`) and its summary. */
  what: z.string().nullable(),
  summary: z.string().nullable(),
});
export const supportAccessView = z.object({ looks: z.array(supportLookView) });
export type SupportLookView = z.infer<typeof supportLookView>;
