// What a page shows when the API refuses or fails: 404 reads "not found" (another studio's id
// answers exactly as a studio that does not exist).
import { ApiError } from "./api.ts";
import { h, replace } from "./dom.ts";

export function showError(el: HTMLElement, e: unknown): void {
  if (e instanceof ApiError && e.status === 404)
    replace(el, h("p", { class: "error", role: "alert" }, "Not found: no such studio, or not yours to see."));
  else if (e instanceof ApiError && e.code === "TOTP_ENROLLMENT_REQUIRED")
    replace(
      el,
      h(
        "p",
        { class: "error", role: "alert" },
        "Staff need a second factor before these pages open: enroll an authenticator (POST /v1/me/totp), then sign in again.",
      ),
    );
  else replace(el, h("p", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e)));
}
