// People for tests: staff and owners created the operator's way (datasafe-admin prints a link,
// the person accepts it through the API with their own password), then signed in.
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

export async function api(server: TestServer, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
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

export async function signIn(server: TestServer, email: string, password: string = PASSWORD): Promise<{ accessToken: string; refreshToken: string }> {
  const r = await api(server, "POST", "/v1/auth/sign-in", { body: { email, password } });
  if (r.status !== 200) throw new Error(`sign-in of ${email} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { accessToken: r.body.accessToken as string, refreshToken: r.body.refreshToken as string };
}

async function signedIn(server: TestServer, email: string, link: string): Promise<Person> {
  const userId = await acceptLink(server, link);
  return { email, password: PASSWORD, userId, ...(await signIn(server, email)) };
}

export async function staff(server: TestServer, email: string, role: "support" | "admin"): Promise<Person> {
  const r = await admin(server, ["create-user", "--email", email, "--role", role]);
  if (r.code !== 0) throw new Error(`create-user failed: ${r.stderr}`);
  return signedIn(server, email, r.json.link as string);
}

export async function owner(server: TestServer, studioId: string, email: string): Promise<Person> {
  const r = await admin(server, ["invite-owner", "--studio", studioId, "--email", email]);
  if (r.code !== 0) throw new Error(`invite-owner failed: ${r.stderr}`);
  return signedIn(server, email, r.json.link as string);
}
