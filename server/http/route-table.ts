// Mounting routes from the route table (protocol/routes.ts): a route is mounted by its name only,
// and the guard of its declared audience goes in front of its handlers: nothing for anonymous,
// a device credential for device, a person's credential and role (and studio membership) for
// owner, support and admin. A table entry whose audience is empty or mixes kinds is refused
// when mounted, and `assertComplete` refuses an app that leaves a declared route unmounted, so
// table and server cannot drift apart. Route files receive a Mount and never create routers
// (eslint: no Router in server/http/routes/).
import type { RequestHandler, Router } from "express";
import { routes, type Audience, type RouteName, type RouteSpec } from "../../protocol/routes.ts";
import type { Ctx } from "../context.ts";
import { requireDevice } from "./middleware/auth.ts";
import { requireUser } from "./middleware/user-auth.ts";

export type Mount = (name: RouteName, ...handlers: RequestHandler[]) => void;

const PEOPLE: ReadonlySet<Audience> = new Set(["owner", "support", "admin"]);

/** The guard of a route's audience; throws for an audience that is empty or mixes kinds. */
export function guardOf(ctx: Ctx, name: string, spec: RouteSpec): RequestHandler[] {
  const a = spec.audience;
  if (a.length === 0) throw new Error(`route ${name}: no audience declared`);
  if (a.includes("anonymous")) {
    if (a.length !== 1) throw new Error(`route ${name}: anonymous cannot be combined with another audience`);
    return [];
  }
  if (a.includes("device")) {
    if (a.length !== 1) throw new Error(`route ${name}: device cannot be combined with another audience`);
    return [requireDevice(ctx)];
  }
  if (!a.every((x) => PEOPLE.has(x))) throw new Error(`route ${name}: unknown audience ${a.join(",")}`);
  return [requireUser(ctx, spec)];
}

export class RouteTable {
  readonly #mounted = new Set<RouteName>();

  constructor(
    private readonly ctx: Ctx,
    private readonly router: Router,
  ) {}

  readonly mount: Mount = (name, ...handlers) => {
    const spec: RouteSpec | undefined = routes[name];
    if (!spec) throw new Error(`route ${String(name)} is not in protocol/routes.ts`);
    if (this.#mounted.has(name)) throw new Error(`route ${name} mounted twice`);
    const method = spec.method.toLowerCase() as "get" | "post" | "put" | "delete";
    this.router[method](spec.path, ...guardOf(this.ctx, name, spec), ...handlers);
    this.#mounted.add(name);
  };

  /** Every route of the table is mounted. */
  assertComplete(): void {
    const missing = (Object.keys(routes) as RouteName[]).filter((n) => !this.#mounted.has(n));
    if (missing.length) throw new Error(`routes declared but not mounted: ${missing.join(", ")}`);
  }
}
