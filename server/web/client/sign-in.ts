// Sign-in with the cookie session (protocol/people.ts, mode "cookie"). The second-factor field
// appears when the API answers TOTP_REQUIRED; it takes a 6-digit code or a recovery code.
import { ApiError, post } from "./api.ts";
import { h, replace } from "./dom.ts";

function nextPath(): string {
  const next = new URLSearchParams(location.search).get("next") ?? "";
  // Only a path of this app: never an absolute or protocol-relative address (no open redirect).
  return /^\/app\/[A-Za-z0-9/_?=&%.-]*$/.test(next) && !next.startsWith("//") ? next : "/app/";
}

export function signInPage(el: HTMLElement): void {
  document.title = "Sign in · DataSafe";
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const code = h("input", { id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 20 });
  const codeRow = h("p", { hidden: true }, h("label", { for: "code" }, "Code from your authenticator app (or a recovery code)"), code);
  const message = h("p", { class: "error", role: "alert" });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow" },
    h("h1", {}, "Sign in to DataSafe"),
    h("p", {}, h("label", { for: "email" }, "E-mail"), email),
    h("p", {}, h("label", { for: "password" }, "Password"), password),
    codeRow,
    message,
    button,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void submit();
  });
  async function submit(): Promise<void> {
    message.textContent = "";
    button.disabled = true;
    const c = code.value.trim();
    const factor = codeRow.hidden || !c ? {} : /^[0-9]{6}$/.test(c) ? { totp: c } : { recoveryCode: c };
    try {
      await post("/v1/auth/sign-in", { email: email.value, password: password.value, mode: "cookie", ...factor });
      location.assign(nextPath());
    } catch (e) {
      button.disabled = false;
      if (e instanceof ApiError && e.code === "TOTP_REQUIRED") {
        codeRow.hidden = false;
        message.textContent = "Enter the code from your authenticator app.";
        code.focus();
      } else if (e instanceof ApiError && e.code === "INVALID_CREDENTIALS") {
        message.textContent = "Wrong e-mail, password or code.";
      } else if (e instanceof ApiError && e.code === "TOO_MANY_ATTEMPTS") {
        const min = Math.max(1, Math.ceil((e.retryAfterSeconds ?? 60) / 60));
        message.textContent = `Too many attempts: try again in ${min} minute${min === 1 ? "" : "s"}.`;
      } else {
        message.textContent = e instanceof Error ? e.message : String(e);
      }
    }
  }
  replace(el, form);
  email.focus();
}
