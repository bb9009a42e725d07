import { errors } from "../errors.ts";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "24h", "7d" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!m?.[1] || !m[2]) throw errors.validation(`invalid duration "${text}" (use e.g. 30m, 24h, 7d)`);
  return Number(m[1]) * (UNITS[m[2]] ?? 0);
}
