// The web app's entry: one bundle for every page under /app, chosen by the path.
//   /app/sign-in              sign-in (e-mail, password, then a TOTP code when the account has one)
//   /app/search               support's search (support, admin)
//   /app/studios/:studioId    a studio: support's desk for staff, the portal for its owners
//   /app/                     where a signed-in person starts (staff: search; owner: their studio)
// Every page states who is signed in, in which role, and which studio it shows.
import type { z } from "zod";
import type { meView } from "../../../protocol/people.ts";
import { ApiError, get, post } from "./api.ts";
import { showError } from "./show-error.ts";
import { h, replace } from "./dom.ts";
import { searchPage } from "./search.ts";
import { signInPage } from "./sign-in.ts";
import { studioPage } from "./studio-page.ts";

export type Me = z.infer<typeof meView>;
export const PREFIX = "/app";

const root = (): HTMLElement => document.getElementById("app")!;

function header(me: Me): HTMLElement {
  const signOut = h("button", { type: "button", class: "link" }, "Sign out");
  signOut.addEventListener("click", () => {
    void post("/v1/auth/logout")
      .catch(() => undefined)
      .then(() => location.assign(`${PREFIX}/sign-in`));
  });
  const staff = me.role !== "owner";
  return h(
    "header",
    {},
    h("a", { href: `${PREFIX}/`, class: "brand" }, "DataSafe"),
    staff ? h("a", { href: `${PREFIX}/search` }, "Find a studio") : null,
    h("span", { class: "who", "data-testid": "who" }, `${me.email} · `, h("strong", {}, me.role)),
    signOut,
  );
}

async function route(): Promise<void> {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const el = root();
  if (path === `${PREFIX}/sign-in`) return signInPage(el);
  let me: Me;
  try {
    me = await get<Me>("/v1/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401)
      return location.replace(`${PREFIX}/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    return showError(el, e);
  }
  const body = h("div", { class: "page" });
  replace(el, header(me), body);
  const studio = /^\/app\/studios\/([0-9a-f-]{36})$/.exec(path);
  if (studio) return studioPage(body, me, studio[1]!);
  if (path === `${PREFIX}/search` && me.role !== "owner") return searchPage(body);
  if (me.role !== "owner") return location.replace(`${PREFIX}/search`);
  if (me.studios.length === 1) return location.replace(`${PREFIX}/studios/${me.studios[0]!.id}`);
  document.title = "Your studios · DataSafe";
  replace(
    body,
    h("h1", {}, "Your studios"),
    me.studios.length
      ? h("ul", {}, ...me.studios.map((s) => h("li", {}, h("a", { href: `${PREFIX}/studios/${s.id}` }, s.name))))
      : h("p", {}, "You are not a member of any studio yet."),
  );
}

void route();
