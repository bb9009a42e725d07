// Prisma's errors (and the pg driver's under it) in the server's vocabulary, read where the vendor
// is imported (db.ts) and applied once, by to-app-error.ts. Two classes matter to a caller:
//   - a unique violation: a service checked, then wrote, and a concurrent request wrote first.
//     409 ALREADY_EXISTS: sending the request again meets the stored record and answers as usual;
//   - the database is unreachable, dropped the connection (a restart, a failover, an operator's
//     pg_terminate_backend) or has no free connection: 503 DATABASE_UNAVAILABLE with Retry-After,
//     which the uploader retries like any 503, instead of a 500 that reads as our bug.
// Anything else (a constraint a service should have checked, a syntax error) stays INTERNAL.
//
// How they arrive with the pg driver adapter (measured with Prisma 6.19, @prisma/adapter-pg 7):
// model queries throw PrismaClientKnownRequestError with a P code when Prisma maps the adapter's
// error kind (P2002 unique, P1001 unreachable, P1017 closed...), and the adapter's own
// DriverAdapterError, unwrapped, when it does not (a terminated backend: kind "postgres", SQLSTATE
// 57P01); raw queries throw P2010 with the adapter error in meta. pg-pool's wait for a free
// connection times out with a bare Error carrying no code, only its message.
import { errors, type AppError } from "./errors.ts";

/** Prisma codes: P2002 unique; the rest unreachable, timed out, closed, pool timeout, too many connections. */
const PRISMA_UNIQUE = "P2002";
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);
/** The adapter's error kinds (DriverAdapterError.cause.kind). */
const KIND_UNIQUE = "UniqueConstraintViolation";
const KINDS_UNAVAILABLE = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** SQLSTATE: 08xxx connection exceptions; admin shutdown, crash shutdown, cannot connect now; too many connections. */
const SQLSTATE_UNIQUE = "23505";
const SQLSTATE_UNAVAILABLE = new Set(["57P01", "57P02", "57P03", "53300"]);
/**
 * What pg and pg-pool throw with no code, which the adapter passes on as is: a wait for a free
 * connection that timed out, a socket the server closed. (Their socket errno errors are mapped
 * to the kinds above by the adapter; a bare ECONNREFUSED here could be Redis's, so it is not read.)
 */
const PG_MESSAGES_UNAVAILABLE =
  /^(timeout exceeded when trying to connect|Connection terminated( unexpectedly| due to connection timeout))$/;

interface DbErrorShape {
  name?: unknown;
  code?: unknown;
  errorCode?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: AdapterCause } };
  cause?: unknown;
}
interface AdapterCause {
  kind?: unknown;
  originalCode?: unknown;
  code?: unknown;
}

/** The AppError a database failure stands for, or undefined if `err` is none we classify. */
export function translateDbError(err: unknown): AppError | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const e = err as DbErrorShape;
  const prismaCode =
    typeof e.code === "string" && /^P\d{4}$/.test(e.code) ? e.code : typeof e.errorCode === "string" ? e.errorCode : undefined;
  const adapter =
    e.meta?.driverAdapterError?.cause ?? (e.name === "DriverAdapterError" ? (e.cause as AdapterCause | undefined) : undefined);
  const kind = adapter?.kind;
  const sqlState = adapter?.originalCode ?? adapter?.code ?? (isSqlState(e.code) ? e.code : undefined);

  if (prismaCode === PRISMA_UNIQUE || kind === KIND_UNIQUE || sqlState === SQLSTATE_UNIQUE) return errors.alreadyExists();
  if (
    (prismaCode !== undefined && PRISMA_UNAVAILABLE.has(prismaCode)) ||
    (typeof kind === "string" && KINDS_UNAVAILABLE.has(kind)) ||
    (typeof sqlState === "string" && (sqlState.startsWith("08") || SQLSTATE_UNAVAILABLE.has(sqlState))) ||
    (typeof e.message === "string" && PG_MESSAGES_UNAVAILABLE.test(e.message))
  ) {
    return errors.databaseUnavailable();
  }
  return undefined;
}

/** A Postgres SQLSTATE: five characters, digits and capitals (a pg DatabaseError's `code`). */
function isSqlState(code: unknown): code is string {
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith("P");
}
