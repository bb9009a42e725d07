// Support's search: results as you type (debounced; a newer query cancels the older request),
// by any part of a studio's name, owner e-mail, id or device name (GET /v1/support/studios).
// The query stays in the address (?q=) so Back returns to the same results.
import type { z } from "zod";
import type { studioSearchView } from "../../../protocol/people.ts";
import { ApiError, get } from "./api.ts";
import { h, replace, table } from "./dom.ts";
import { when } from "./format.ts";

type Results = z.infer<typeof studioSearchView>;
export const SEARCH_DEBOUNCE_MS = 200;

export function searchPage(el: HTMLElement): void {
  document.title = "Find a studio · DataSafe";
  const input = h("input", {
    id: "q",
    type: "search",
    autocomplete: "off",
    placeholder: "Studio name, owner e-mail, studio id or PC name",
    "aria-describedby": "search-status",
  });
  const status = h("p", { id: "search-status", role: "status" });
  const results = h("div", { id: "results" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: AbortController | undefined;

  async function run(q: string): Promise<void> {
    inflight?.abort();
    history.replaceState(null, "", q ? `?q=${encodeURIComponent(q)}` : location.pathname);
    if (!q) {
      status.textContent = "";
      return replace(results);
    }
    const ac = new AbortController();
    inflight = ac;
    status.textContent = "Searching…";
    try {
      const r = await get<Results>(`/v1/support/studios?q=${encodeURIComponent(q)}&limit=20`, ac.signal);
      if (ac.signal.aborted) return;
      status.textContent = r.studios.length ? `${r.studios.length} studio${r.studios.length === 1 ? "" : "s"}` : "No studio matches.";
      replace(
        results,
        r.studios.length
          ? table(
              "Studios",
              ["Studio", "Owner", "PCs", "Since", "Id"],
              r.studios.map((s) => [
                h("a", { href: `/app/studios/${s.id}` }, s.name),
                s.ownerEmail,
                s.devices,
                when(s.createdAt),
                h("code", {}, s.id),
              ]),
            )
          : null,
      );
    } catch (e) {
      if (ac.signal.aborted || (e instanceof DOMException && e.name === "AbortError")) return;
      status.textContent = e instanceof ApiError ? `Search failed: ${e.message}` : String(e);
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(input.value.trim()), SEARCH_DEBOUNCE_MS);
  });
  replace(el, h("h1", {}, "Find a studio"), h("label", { for: "q", class: "visually-hidden" }, "Search studios"), input, status, results);
  const q = new URLSearchParams(location.search).get("q");
  if (q) {
    input.value = q;
    void run(q);
  }
  input.focus();
}
