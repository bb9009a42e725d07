// People for tests: staff and owners created the operator's way (datasafe-admin prints a link,
// the person accepts it through the API with their own password), then signed in. Staff also
// enroll a TOTP second factor, as they must before staff routes answer them.
import { fromBase32, totp, TOTP_STEP_SECONDS, totpStep } from "../../server/services/users/totp.ts";
import { admin } from "./cli.ts";
import type { TestServer } from "./server.ts";

export const PASSWORD = "a long enough test password";

export interface Person {
  email: string;
  password: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

export function linkToken(link: string): string {
  const m = /#token=(dsl_[A-Za-z0-9_-]{43})$/.exec(link);
  if (!m) throw new Error(`not a link: ${link}`);
  return m[1]!;
}

export async function api(
  server: TestServer,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}

export async function acceptLink(server: TestServer, link: string, password: string = PASSWORD): Promise<string> {
  const r = await api(server, "POST", "/v1/auth/invitations/accept", { body: { token: linkToken(link), password } });
  if (r.status !== 200) throw new Error(`accept failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.userId as string;
}

/**
 * Second factors of staff created here, by e-mail. A TOTP code is accepted once per 30-second
 * step and tests sign staff in more often than that, so sign-ins spend recovery codes first, then
 * codes of steps not used yet (waiting for the next step if need be).
 */
const secondFactors = new Map<string, { secret: Buffer; lastStep: number; recoveryCodes: string[] }>();

async function secondFactorOf(email: string): Promise<Record<string, string>> {
  const f = secondFactors.get(email);
  if (!f) return {};
  const recoveryCode = f.recoveryCodes.shift();
  if (recoveryCode) return { recoveryCode };
  while (totpStep(new Date()) <= f.lastStep) await new Promise((r) => setTimeout(r, 1000));
  f.lastStep = totpStep(new Date());
  return { totp: totp(f.secret, new Date(f.lastStep * TOTP_STEP_SECONDS * 1000)) };
}

export async function signIn(
  server: TestServer,
  email: string,
  password: string = PASSWORD,
): Promise<{ accessToken: string; refreshToken: string }> {
  const r = await api(server, "POST", "/v1/auth/sign-in", { body: { email, password, ...(await secondFactorOf(email)) } });
  if (r.status !== 200) throw new Error(`sign-in of ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { accessToken: r.body.accessToken as string, refreshToken: r.body.refreshToken as string };
}

async function signedIn(server: TestServer, email: string, link: string): Promise<Person> {
  const userId = await acceptLink(server, link);
  return { email, password: PASSWORD, userId, ...(await signIn(server, email)) };
}

/** A staff account, signed in with its second factor enrolled (unless `secondFactor: false`). */
export async function staff(
  server: TestServer,
  email: string,
  role: "support" | "admin",
  o: { secondFactor?: boolean } = {},
): Promise<Person> {
  const r = await admin(server, ["create-user", "--email", email, "--role", role]);
  if (r.code !== 0) throw new Error(`create-user failed: ${r.stderr}`);
  const person = await signedIn(server, email, r.json.link as string);
  if (o.secondFactor === false) return person;
  const begin = await api(server, "POST", "/v1/me/totp", { token: person.accessToken });
  if (begin.status !== 201) throw new Error(`TOTP enrollment failed: ${begin.status} ${JSON.stringify(begin.body)}`);
  const secret = fromBase32(begin.body.secret as string);
  const now = new Date();
  const confirm = await api(server, "POST", "/v1/me/totp/confirm", { token: person.accessToken, body: { code: totp(secret, now) } });
  if (confirm.status !== 200) throw new Error(`TOTP confirmation failed: ${confirm.status} ${JSON.stringify(confirm.body)}`);
  secondFactors.set(email, { secret, lastStep: totpStep(now), recoveryCodes: [...(confirm.body.recoveryCodes as string[])] });
  return person;
}

export async function owner(server: TestServer, studioId: string, email: string): Promise<Person> {
  const r = await admin(server, ["invite-owner", "--studio", studioId, "--email", email]);
  if (r.code !== 0) throw new Error(`invite-owner failed: ${r.stderr}`);
  return signedIn(server, email, r.json.link as string);
}
