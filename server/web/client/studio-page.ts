// A studio's page. Staff (support, admin) get the desk: everything the summary says, readable in
// five seconds by someone on the phone, then the devices' strips, the recent restore points and
// the actions. The studio's owner gets the portal: the same status, every restore point newest
// first, the devices, and who from support looked at the studio and when. Another studio's id
// answers 404 from the API, and the page says "not found".
import type { z } from "zod";
import type { StudioDeskView } from "../../../protocol/people.ts";
import type { deviceRunList } from "../../../protocol/runs.ts";
import type { restorePointList } from "../../../protocol/device-api.ts";
import type { supportAccessView } from "../../../protocol/support-access.ts";
import { get } from "./api.ts";
import { h, replace, scrollingTable, section } from "./dom.ts";
import { runsQuery } from "./day-strip.ts";
import { when } from "./format.ts";
import type { Me } from "./main.ts";
import { restorePanel } from "./restore-panel.ts";
import { showError } from "./show-error.ts";
import { enrollmentWidget, revokeAction } from "./studio-actions.ts";
import { alertsSection, devicesSection, restorePointsSection, statusBlock, type DeviceRow } from "./studio-parts.ts";

type Points = z.infer<typeof restorePointList>;
type Looks = z.infer<typeof supportAccessView>;

export async function studioPage(el: HTMLElement, me: Me, studioId: string): Promise<void> {
  replace(el, h("p", { role: "status" }, "Loading…"));
  const base = `/v1/studios/${studioId}`;
  try {
    const desk = await get<StudioDeskView>(base);
    const staff = me.role !== "owner";
    // Clock of the server, not of this PC: "3 hours ago" must not depend on a wrong local clock.
    const now = new Date(desk.serverTime);
    const [points, rows, looks] = await Promise.all([
      get<Points>(`${base}/restore-points?limit=1000`),
      Promise.all(
        desk.devices.map(async (device): Promise<DeviceRow> => {
          const runs = await get<z.infer<typeof deviceRunList>>(`${base}/devices/${device.id}/runs${runsQuery(now)}`).catch(() => null);
          return { device, runs: runs?.runs ?? null };
        }),
      ),
      me.role === "support" ? Promise.resolve(null) : get<Looks>(`${base}/support-access?limit=50`),
    ]);
    const health = new Map(points.restorePoints.map((p) => [p.id, p.health]));
    const reload = () => void studioPage(el, me, studioId);
    const action = (d: StudioDeskView["devices"][number]) =>
      d.revoked ? null : revokeAction(studioId, d, { reasonRequired: me.role === "support", done: reload });
    document.title = `${desk.name} · DataSafe`;
    const heading = h(
      "div",
      { class: "studio-head" },
      h("h1", { "data-testid": "studio-name" }, desk.name),
      h(
        "p",
        { class: "muted" },
        staff ? `${desk.ownerEmail} · ` : "",
        "Studio id ",
        h("code", {}, desk.studioId),
        staff ? ` · viewing as ${me.role}` : " · your studio",
      ),
    );
    const devices = devicesSection(rows, { now, healthOf: (id) => health.get(id), action, staff });
    const parts: (Node | null)[] = [heading, statusBlock(desk, now), desk.openAlerts.length ? alertsSection(desk) : null, devices];
    if (staff) parts.push(restorePointsSection("Recent restore points", desk.recentRestorePoints));
    else parts.push(restorePointsSection("Restore points", points.restorePoints), restorePanel(studioId, points.restorePoints));
    if (looks) parts.push(looksSection(looks, staff));
    if (desk.hasKeys || !staff) parts.push(section("Actions", enrollmentWidget(studioId, location.origin)));
    replace(el, ...parts);
  } catch (e) {
    showError(el, e);
  }
}

function looksSection(looks: Looks, staff: boolean): HTMLElement {
  const title = staff ? "Looks by staff" : "Who from support looked";
  if (!looks.looks.length) return section(title, h("p", {}, "Nobody from support has looked at this studio."));
  return section(
    title,
    scrollingTable(
      title,
      ["When", "Who", "Role", "What"],
      looks.looks.map((l) => [when(l.at), l.email ?? "(deleted account)", l.role, l.summary ?? l.what ?? ""]),
    ),
  );
}
