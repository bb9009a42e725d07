// The owner portal's "Restore in this browser" panel: pick a restore point, type the passphrase
// (or the recovery key), browse the folder tree (names decrypted here) and download one file. The
// file is assembled in memory and saved as an ordinary download (a Blob): streaming to disk
// through a service worker, folders and ZIP archives are the next step (issue 21).
import type { z } from "zod";
import type { restorePointList } from "../../../protocol/device-api.ts";
import type { ManifestEntry } from "../../../uploader/format/browser.ts";
import { h, replace, section } from "./dom.ts";
import { bytes, when } from "./format.ts";
import { openPoint, restoreMessage, type OpenedPoint } from "./restore-reader.ts";

type Point = z.infer<typeof restorePointList>["restorePoints"][number];

export function restorePanel(studioId: string, points: Point[]): HTMLElement {
  const usable = points.filter((p) => !p.deletedAt);
  if (!usable.length) return section("Restore in this browser", h("p", {}, "No restore point yet."));
  const pick = h(
    "select",
    { id: "restore-point" },
    ...usable.map((p) =>
      h("option", { value: p.id }, `${when(p.createdAt)} · ${p.deviceName}${p.label ? ` · ${p.label}` : ""} · ${p.files} files`),
    ),
  );
  const kind = h(
    "select",
    { id: "restore-secret-kind" },
    h("option", { value: "passphrase" }, "Studio passphrase"),
    h("option", { value: "recoveryKey" }, "Recovery key"),
  );
  const secret = h("input", { id: "restore-secret", type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const open = h("button", { type: "submit", id: "restore-open" }, "Unlock and list files");
  const status = h("p", { role: "status", "aria-live": "polite", id: "restore-status" });
  const problem = h("div", { "aria-live": "assertive" });
  const tree = h("div", { id: "restore-tree" });
  const form = h(
    "form",
    { class: "card" },
    h("p", { class: "row" }, h("label", { for: "restore-point" }, "Restore point "), pick),
    h("p", { class: "row" }, h("label", { for: "restore-secret-kind" }, "Unlock with "), kind),
    h("p", { class: "row" }, h("label", { for: "restore-secret" }, "Passphrase or recovery key "), secret),
    open,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const point = usable.find((p) => p.id === pick.value)!;
    const typed = secret.value;
    const which = kind.value === "recoveryKey" ? ({ recoveryKey: typed } as const) : ({ passphrase: typed } as const);
    open.disabled = true;
    replace(problem);
    replace(tree);
    status.textContent = "Unlocking the studio's keys in this browser (a few seconds)…";
    openPoint(studioId, point, which)
      .then((opened) => {
        secret.value = ""; // the keys are unlocked: the typed secret is not kept in the page
        status.textContent = `Restore point of ${when(opened.root.createdAt)} from ${opened.root.deviceName}: ${opened.entries.length} entries, checked.`;
        replace(tree, fileTree(opened, status, problem));
      })
      .catch((e: unknown) => {
        status.textContent = "";
        replace(problem, h("p", { class: "error", role: "alert", "data-testid": "restore-error" }, restoreMessage(e)));
      })
      .finally(() => (open.disabled = false));
  });
  return section(
    "Restore in this browser",
    h(
      "p",
      {},
      "The passphrase or recovery key you type unlocks the studio's keys in this browser only: the server sends encrypted data and never receives them. ",
      "Restoring a whole restore point or a folder is done with the datasafe CLI for now.",
    ),
    form,
    status,
    problem,
    tree,
  );
}

/** The folder tree: entries come in preorder (FORMAT.md §6), so nesting follows path depth. */
function fileTree(opened: OpenedPoint, status: HTMLElement, problem: HTMLElement): HTMLElement {
  const top = h("ul", { class: "tree", "aria-label": "Files in the restore point" });
  const stack: { depth: number; list: HTMLElement }[] = [{ depth: 0, list: top }];
  for (const entry of opened.entries) {
    const parts = entry.path.split("/");
    const depth = parts.length;
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const name = parts[depth - 1]!;
    const item = h("li", {}, entryLine(entry, name, opened, status, problem));
    stack[stack.length - 1]!.list.append(item);
    if (entry.type === "dir") {
      const sub = h("ul", {});
      item.append(sub);
      stack.push({ depth, list: sub });
    }
  }
  return top;
}

function entryLine(entry: ManifestEntry, name: string, opened: OpenedPoint, status: HTMLElement, problem: HTMLElement): Node {
  if (entry.type === "dir") return h("span", { class: "dir" }, `${name}/`);
  if (entry.type === "symlink") return h("span", { class: "muted" }, `${name} → ${entry.target ?? ""} (link)`);
  const button = h("button", { type: "button", class: "link", "data-path": entry.path }, `Download ${name}`);
  button.addEventListener("click", () => {
    button.disabled = true;
    replace(problem);
    const size = entry.size ?? 0;
    status.textContent = `Downloading and decrypting ${entry.path}…`;
    opened
      .readFile(entry, (done) => (status.textContent = `Downloading and decrypting ${entry.path}: ${bytes(done)} of ${bytes(size)}`))
      .then((blob) => {
        const url = URL.createObjectURL(blob);
        const a = h("a", { href: url, download: name });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
        status.textContent = `${entry.path} restored (${bytes(size)}), every chunk checked.`;
      })
      .catch((e: unknown) => {
        status.textContent = "";
        replace(problem, h("p", { class: "error", role: "alert", "data-testid": "restore-error" }, `${entry.path}: ${restoreMessage(e)}`));
      })
      .finally(() => (button.disabled = false));
  });
  return h("span", {}, button, h("span", { class: "muted" }, ` ${bytes(entry.size ?? 0)}`));
}
