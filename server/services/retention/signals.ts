// The two signals that pause a studio's retention, as pure functions of a device's own history
// (services/retention/detect.ts reads the rows and stores what these find). Time buckets alone do
// not stop a compromised PC that commits junk after each good nightly run (the junk becomes "the
// last of the day"), so the server compares each device with itself:
//
// Flood: more than max(FLOOD_MIN, FLOOD_FACTOR × m) points committed by one device in any 24 h,
//   where m is the median of its commits per UTC day over the 30 days before that window (days
//   without a commit count as 0). A nightly schedule (m = 1) trips at the 5th point in 24 h; an
//   hourly one (m = 24) at the 73rd. The signal's `since` is the first point beyond the device's
//   usual day (the (ceil(m)+1)-th of the window, at least the 2nd), so the good run that opened the
//   window stays eligible as a keeper and what followed it does not.
// Suspicious change: a point whose new stored bytes (packs uploaded under its session id) are more
//   than CHANGE_SHARE of the bytes it references, and more than max(CHANGE_FLOOR_BYTES,
//   CHANGE_FACTOR × the median new bytes of the device's points of the 30 days before), once the
//   device has CHANGE_MIN_HISTORY points there (its first backups are all new by nature). A PC
//   whose files were encrypted by ransomware uploads everything again: that is this shape.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const FLOOD_MIN = 4;
export const FLOOD_FACTOR = 3;
export const HISTORY_DAYS = 30;
export const CHANGE_SHARE = 0.5;
export const CHANGE_FACTOR = 4;
export const CHANGE_FLOOR_BYTES = 64 * 1024 * 1024;
export const CHANGE_MIN_HISTORY = 3;

export interface Flood {
  /** The first point beyond the device's usual day in the window. */
  since: Date;
  /** The point that crossed the threshold. */
  detectedAt: Date;
  count: number;
  threshold: number;
  medianPerDay: number;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Commits per UTC day over the HISTORY_DAYS whole days before `before`'s day, zeros included. */
function dailyCounts(times: readonly Date[], before: Date): number[] {
  const end = Date.UTC(before.getUTCFullYear(), before.getUTCMonth(), before.getUTCDate());
  const start = end - HISTORY_DAYS * DAY;
  const counts = new Array<number>(HISTORY_DAYS).fill(0);
  for (const t of times) {
    const ms = t.getTime();
    if (ms >= start && ms < end) counts[Math.floor((ms - start) / DAY)]!++;
  }
  return counts;
}

/**
 * The first flood in a device's commit times (sorted oldest first), counting only points after
 * `after` (the end of the device's previous flood signal), or null. The median still reads the
 * whole history before the window.
 */
export function detectFlood(times: readonly Date[], after: Date | null): Flood | null {
  // Only points after the previous signal count: what it covered was seen and closed by a person.
  let lo = after ? times.findIndex((x) => x > after) : 0;
  if (lo < 0) return null;
  for (let i = lo; i < times.length; i++) {
    const t = times[i]!.getTime();
    while (times[lo]!.getTime() <= t - DAY) lo++;
    const count = i - lo + 1;
    if (count <= FLOOD_MIN) continue;
    const windowStart = new Date(t - DAY);
    const m = median(dailyCounts(times, windowStart));
    const threshold = Math.max(FLOOD_MIN, FLOOD_FACTOR * m);
    if (count <= threshold) continue;
    const usual = Math.max(1, Math.ceil(m));
    return { since: times[Math.min(lo + usual, i)]!, detectedAt: times[i]!, count, threshold, medianPerDay: m };
  }
  return null;
}

export interface Change {
  newBytes: number;
  referencedBytes: number;
  /** New bytes of the device's measured points of the HISTORY_DAYS before this one. */
  history: readonly number[];
}

/** Why the point is a suspicious change, or null. */
export function suspiciousChange(c: Change): { share: number; medianNewBytes: number; threshold: number } | null {
  if (c.history.length < CHANGE_MIN_HISTORY || c.referencedBytes <= 0) return null;
  const share = c.newBytes / c.referencedBytes;
  const medianNewBytes = median(c.history);
  const threshold = Math.max(CHANGE_FLOOR_BYTES, CHANGE_FACTOR * medianNewBytes);
  return share > CHANGE_SHARE && c.newBytes > threshold ? { share, medianNewBytes, threshold } : null;
}

export { DAY as SIGNAL_DAY_MS };
