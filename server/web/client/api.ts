// Same-origin calls to the API with the cookie session (protocol/people.ts): the access and
// refresh tokens are HttpOnly cookies the page never sees; every request other than GET carries
// the CSRF cookie's value in the CSRF header. An expired access token is renewed once through
// POST /v1/auth/refresh and the request repeated; a 401 after that means "sign in again".
// The cookie and header names are protocol/people.ts's (test/web/client-model.test.ts checks):
// importing them from there would bundle zod into the page.
export const CSRF_COOKIE = "__Host-ds_csrf";
export const CSRF_HEADER = "x-csrf-token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

function csrfToken(): string | undefined {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === CSRF_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

async function send(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") {
    const csrf = csrfToken();
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
}

async function failure(res: Response): Promise<ApiError> {
  let code = "HTTP_" + res.status;
  let message = res.statusText || "request failed";
  try {
    const j = (await res.json()) as { error?: { code?: string; message?: string } };
    if (j.error?.code) code = j.error.code;
    if (j.error?.message) message = j.error.message;
  } catch {
    // not JSON: keep the status line
  }
  const retry = Number(res.headers.get("retry-after"));
  return new ApiError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : null);
}

let refreshing: Promise<boolean> | null = null;
/** One refresh at a time: parallel requests that all met an expired token share it (a refresh token works once). */
function refresh(): Promise<boolean> {
  refreshing ??= send("POST", "/v1/auth/refresh", {})
    .then((r) => r.ok)
    .catch(() => false)
    .finally(() => setTimeout(() => (refreshing = null), 0));
  return refreshing;
}

export async function call<T>(method: "GET" | "POST", path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res = await send(method, path, body, signal);
  if (res.status === 401 && !path.startsWith("/v1/auth/") && (await refresh())) res = await send(method, path, body, signal);
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A binary answer (a chunk's stored bytes), with the same session renewal as call(). */
export async function getBytes(path: string): Promise<Uint8Array> {
  let res = await send("GET", path, undefined);
  if (res.status === 401 && (await refresh())) res = await send("GET", path, undefined);
  if (!res.ok) throw await failure(res);
  return new Uint8Array(await res.arrayBuffer());
}

export const get = <T>(path: string, signal?: AbortSignal): Promise<T> => call<T>("GET", path, undefined, signal);
export const post = <T>(path: string, body?: unknown): Promise<T> => call<T>("POST", path, body ?? {});
