// Sign-in limits (issue 19): per account and per client address, in Redis so they hold across API
// replicas. Every attempt counts, successful or not, and is counted before the password is
// checked, so parallel guesses cannot slip past the limit while the hashes are computed. The
// account key is the e-mail address whether or not it has an account (the answer must not tell).
// Only new sign-ins are limited: sessions already open and their refresh are not, so an attacker
// who exhausts an account's attempts does not sign its owner out.
import { createHash } from "node:crypto";
import type { Ctx } from "../../context.ts";
import { errors } from "../../errors.ts";

// Invitation and reset links are limited the same way (scope "link", the account being the link).
const key = (scope: string, kind: string, value: string) =>
  `${scope}:${kind}:${createHash("sha256").update(value).digest("base64url").slice(0, 22)}`;

/** Where a request came from: its address as logged, and the key it is counted under (an IPv6 /64). */
export interface Client {
  address: string | null;
  limitKey: string;
}

export async function takeAttempt(ctx: Ctx, scope: "sign-in" | "link", account: string, client: Client): Promise<void> {
  const { perAccount, perAddress, windowSeconds } = ctx.config.signInLimits;
  let hits;
  try {
    hits = await Promise.all([
      ctx.counters.hit(key(scope, "account", account), windowSeconds),
      ctx.counters.hit(key(scope, "address", client.limitKey), windowSeconds),
    ]);
  } catch (err) {
    ctx.log.warn({ err }, "sign-in counters unavailable");
    throw errors.limitsUnavailable();
  }
  const [byAccount, byAddress] = hits;
  const over = [byAccount.count > perAccount ? byAccount.resetMs : 0, byAddress.count > perAddress ? byAddress.resetMs : 0];
  const wait = Math.max(...over);
  if (wait > 0) throw errors.tooManyAttempts(Math.ceil(wait / 1000));
}
