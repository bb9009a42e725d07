// The blocks of a studio's page, shared by support's desk and the owner's portal: the status
// line (time since the last backup in words and colour, with the word too: colour is never the
// only signal), the devices with their strips, the restore points, the alerts.
import type { RunView } from "../../../protocol/runs.ts";
import type { StudioDeskView } from "../../../protocol/people.ts";
import { h, scrollingTable, section } from "./dom.ts";
import { dayStrip, stripLegend } from "./day-strip.ts";
import { bytes, freshness, FRESHNESS_WORD, HEALTH_WORD, since, when } from "./format.ts";

type Device = StudioDeskView["devices"][number];
type RestorePoint = StudioDeskView["recentRestorePoints"][number];

export function healthBadge(health: string): HTMLElement {
  return h("span", { class: `badge ${health}` }, HEALTH_WORD[health] ?? health);
}

export function statusBlock(s: StudioDeskView, now: Date): HTMLElement {
  const f = freshness(s.secondsSinceLastBackup);
  const last = s.lastBackupAt ? `Last backup ${since(s.lastBackupAt, now)}` : "No backup yet";
  return h(
    "div",
    { class: "status-grid" },
    h(
      "div",
      { class: `status ${f}`, "data-testid": "last-backup", "data-freshness": f },
      h("span", { class: "status-word" }, FRESHNESS_WORD[f]),
      h("span", { class: "status-text" }, last),
      s.lastBackupAt ? h("span", { class: "status-time" }, when(s.lastBackupAt)) : null,
    ),
    fact(
      "Latest restore point",
      s.latest ? h("span", { "data-testid": "latest" }, when(s.latest.createdAt), " ", healthBadge(s.latest.health)) : "none",
    ),
    fact(
      "Latest verified",
      s.latestVerified ? h("span", { "data-testid": "latest-verified" }, when(s.latestVerified.createdAt)) : "none yet",
    ),
    fact("Storage used", h("span", { "data-testid": "storage" }, bytes(s.storedBytes))),
    fact(
      "Open alerts",
      h("span", { "data-testid": "alert-count", class: s.openAlerts.length ? "bad-text" : "" }, String(s.openAlerts.length)),
    ),
  );
}

function fact(label: string, value: Node | string): HTMLElement {
  return h("div", { class: "fact" }, h("span", { class: "fact-label" }, label), h("span", { class: "fact-value" }, value));
}

export function alertsSection(s: StudioDeskView): HTMLElement {
  return section(
    "Open alerts",
    s.openAlerts.length
      ? h(
          "ul",
          { class: "alerts" },
          ...s.openAlerts.map((a) =>
            h(
              "li",
              {},
              h("strong", {}, a.kind),
              ` since ${when(a.createdAt)}`,
              a.restorePointId ? ` (restore point ${a.restorePointId.slice(0, 8)})` : "",
            ),
          ),
        )
      : h("p", {}, "None."),
  );
}

export interface DeviceRow {
  device: Device;
  runs: RunView[] | null;
}

/** The agent's version, marked when it is older than the release the server hosts, and for how long. */
function agentCell(d: Device, now: Date): Node | string {
  const version = d.heartbeat?.agentVersion ?? "—";
  if (!d.update?.behind) return version;
  const out = d.update.since ? ` (update pending: newer release out ${since(d.update.since, now)})` : " (update pending)";
  return h("span", { class: "bad-text", title: "older than the uploader release this server hosts" }, version, out);
}

export function devicesSection(
  rows: DeviceRow[],
  o: { now: Date; healthOf: (id: string) => RestorePoint["health"] | undefined; action?: (d: Device) => Node | null; staff: boolean },
): HTMLElement {
  if (!rows.length) return section("Devices", h("p", {}, "No PC enrolled yet."));
  const heads = ["PC", "State", "Last heartbeat", "Last result", "Next run"];
  if (o.staff) heads.splice(2, 0, "Agent", "OS");
  if (o.action) heads.push("");
  const body = rows.map(({ device: d }) => {
    const hb = d.heartbeat;
    const result = d.lastRun?.result ?? hb?.lastResult ?? null;
    const code = d.lastRun?.errorCode ?? hb?.lastErrorCode ?? null;
    const cells: (Node | string)[] = [
      d.name,
      d.revoked ? h("span", { class: "badge damaged" }, "Revoked") : (hb?.state ?? "never heard from"),
      hb ? h("span", { title: when(hb.receivedAt) }, since(hb.receivedAt, o.now)) : "never",
      result ? h("span", { class: result === "success" ? "" : "bad-text" }, result, code ? ` (${code})` : "") : "—",
      !d.revoked && hb?.nextRunAt ? h("span", { title: when(hb.nextRunAt) }, since(hb.nextRunAt, o.now)) : "—",
    ];
    if (o.staff) cells.splice(2, 0, agentCell(d, o.now), hb?.os ?? "—");
    if (o.action) cells.push(o.action(d) ?? "");
    return cells;
  });
  const strips = rows.map(({ device: d, runs }) =>
    h(
      "div",
      { class: "strip-row" },
      h("span", { class: "strip-name" }, d.name),
      runs
        ? dayStrip(d.name, runs, {
            now: o.now,
            healthOf: o.healthOf,
            deviceCreatedAt: d.createdAt,
            lastHeartbeatAt: d.heartbeat?.receivedAt ?? null,
          })
        : h("span", {}, "history unavailable"),
    ),
  );
  return section("Devices", scrollingTable("PCs of this studio", heads, body), h("h3", {}, "Last 90 days"), ...strips, stripLegend());
}

export function restorePointsSection(title: string, points: RestorePoint[]): HTMLElement {
  if (!points.length) return section(title, h("p", {}, "No restore point yet."));
  return section(
    title,
    scrollingTable(
      title,
      ["When", "Health", "PC", "Label", "Size", "Files"],
      points.map((p) => [
        when(p.createdAt),
        healthBadge(p.health),
        p.deviceName,
        p.label ?? "",
        bytes(p.bytes),
        p.files.toLocaleString("en"),
      ]),
    ),
  );
}
