// The size knob: `quick` runs in CI (at most ~3 minutes on a 2-core machine), `long` is a soak
// run on demand.
import type { Size } from "./studio.ts";

export interface Profile {
  name: "quick" | "long";
  tree: Size;
  crash: { studios: number; rounds: number; chaosMs: [number, number]; downMs: [number, number] };
  datastores: { studios: number; outages: number; downMs: [number, number] };
  /** `studios` (in pairs with equal trees, for swaps) plus one control never damaged; `share` of
   * their objects damaged. */
  bitrot: { studios: number; rounds: number; share: number };
}

export const PROFILES: Record<Profile["name"], Profile> = {
  quick: {
    name: "quick",
    tree: { files: 3, minBytes: 50_000, maxBytes: 600_000 },
    // Sized to keep the whole CI run under 30 minutes: at 3 studios x 2 crash rounds and 3 bit-rot
    // rounds it took 215-330 s on the 2-core machine, at 2 x 1 about 100 s; bit rot keeps its 3 rounds
    // (6 damaged objects, so every kind of damage is tried). The long profile is the soak.
    crash: { studios: 2, rounds: 1, chaosMs: [700, 2000], downMs: [300, 1500] },
    datastores: { studios: 1, outages: 1, downMs: [2000, 4000] },
    bitrot: { studios: 2, rounds: 3, share: 0.9 },
  },
  long: {
    name: "long",
    tree: { files: 20, minBytes: 200_000, maxBytes: 6_000_000 },
    crash: { studios: 6, rounds: 10, chaosMs: [300, 2500], downMs: [200, 3000] },
    datastores: { studios: 4, outages: 4, downMs: [1000, 10_000] },
    bitrot: { studios: 6, rounds: 4, share: 0.3 },
  },
};
