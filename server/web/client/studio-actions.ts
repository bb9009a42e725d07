// The studio's actions (nothing destructive): a one-use enrollment token for a new PC, shown
// once with a copy button and the two commands to run; revoking a device, after a confirmation
// and with a written reason (support must give one; it is audited and the owners are told).
import type { z } from "zod";
import type { enrollmentTokenView, revokedDeviceView } from "../../../protocol/people.ts";
import { post } from "./api.ts";
import { h, replace } from "./dom.ts";
import { when } from "./format.ts";

export function enrollmentWidget(studioId: string, serverUrl: string): HTMLElement {
  const out = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", id: "new-token" }, "Create an enrollment token for a new PC");
  button.addEventListener("click", () => {
    button.disabled = true;
    post<z.infer<typeof enrollmentTokenView>>(`/v1/studios/${studioId}/enrollment-tokens`, { ttlSeconds: 86_400 })
      .then((t) => {
        const field = h("input", { id: "token", readonly: true, value: t.token, "aria-label": "Enrollment token", class: "mono" });
        const copy = h("button", { type: "button" }, "Copy");
        copy.addEventListener("click", () => {
          field.select();
          void navigator.clipboard?.writeText(t.token).then(
            () => (copy.textContent = "Copied"),
            () => (copy.textContent = "Select and copy by hand"),
          );
        });
        replace(
          out,
          h("p", {}, "Shown once; works once, until ", when(t.expiresAt), "."),
          h("p", { class: "row" }, field, copy),
          h("p", {}, "On the new PC:"),
          h("pre", {}, `datasafe enroll --server ${serverUrl} --token ${t.token} --name "front desk"\ndatasafe service install`),
        );
      })
      .catch((e: unknown) => {
        button.disabled = false;
        replace(out, h("p", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e)));
      });
  });
  return h("div", { class: "card" }, h("h3", {}, "New PC"), button, out);
}

/** The revoke button of a device's row: opens a confirmation with a reason, then calls the API. */
export function revokeAction(
  studioId: string,
  device: { id: string; name: string },
  o: { reasonRequired: boolean; done: () => void },
): HTMLElement {
  const wrap = h("div", { class: "revoke" });
  const open = h("button", { type: "button", class: "danger", "data-revoke": device.name }, "Revoke…");
  open.addEventListener("click", () => {
    const id = `reason-${device.id}`;
    const reason = h("textarea", { id, rows: 2, maxlength: 500, ...(o.reasonRequired ? { required: true } : {}) });
    const message = h("p", { class: "error", role: "alert" });
    const confirm = h("button", { type: "submit", class: "danger" }, `Revoke ${device.name}`);
    const cancel = h("button", { type: "button" }, "Cancel");
    const form = h(
      "form",
      // Our own check and message instead of the browser's bubble: it names what is missing.
      { class: "confirm", novalidate: true },
      h("p", {}, `Revoke ${device.name}? It can no longer back up; its restore points stay. This cannot be undone.`),
      h("label", { for: id }, o.reasonRequired ? "Reason (required, recorded in the audit log)" : "Reason (recorded in the audit log)"),
      reason,
      message,
      h("p", { class: "row" }, confirm, cancel),
    );
    cancel.addEventListener("click", () => replace(wrap, open));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = reason.value.trim();
      if (o.reasonRequired && !text) {
        message.textContent = "Write why the device is revoked.";
        return;
      }
      confirm.disabled = true;
      post<z.infer<typeof revokedDeviceView>>(`/v1/studios/${studioId}/devices/${device.id}/revoke`, text ? { reason: text } : {})
        .then(() => o.done())
        .catch((e: unknown) => {
          confirm.disabled = false;
          message.textContent = e instanceof Error ? e.message : String(e);
        });
    });
    replace(wrap, form);
    reason.focus();
  });
  wrap.append(open);
  return wrap;
}
