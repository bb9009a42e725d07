// How times, sizes and states read on the pages (pure: test/web/client-model.test.ts).

/** Since the last successful backup: green up to 26 hours (a nightly backup, with slack), amber up to 72, red beyond or never. */
export const FRESH_HOURS = 26;
export const STALE_HOURS = 72;
export type Freshness = "ok" | "late" | "overdue";

export function freshness(seconds: number | null): Freshness {
  if (seconds === null) return "overdue";
  if (seconds <= FRESH_HOURS * 3600) return "ok";
  if (seconds <= STALE_HOURS * 3600) return "late";
  return "overdue";
}

export const FRESHNESS_WORD: Record<Freshness, string> = { ok: "OK", late: "Late", overdue: "Overdue" };

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago"; a future time reads "in …". */
export function ago(seconds: number): string {
  const future = seconds < 0;
  const s = Math.abs(seconds);
  let text: string;
  if (s < 60) return future ? "in under a minute" : "just now";
  else if (s < 3600) text = plural(Math.floor(s / 60), "minute");
  else if (s < 2 * 86_400) text = plural(Math.floor(s / 3600), "hour");
  else text = plural(Math.floor(s / 86_400), "day");
  return future ? `in ${text}` : `${text} ago`;
}

export function since(iso: string | null | undefined, now: Date): string {
  if (!iso) return "never";
  return ago(Math.round((now.getTime() - Date.parse(iso)) / 1000));
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** Binary units, as the CLI prints them. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A local date and time, to the minute: what someone on the phone reads out. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

export const HEALTH_WORD: Record<string, string> = { verified: "Verified", pending: "Not yet verified", damaged: "Damaged" };
