// The scenarios by name, in the order a full run takes them.
import type { Profile } from "../profile.ts";
import type { ScenarioReport } from "../report.ts";
import type { Rig } from "../rig.ts";
import { bitrotScenario } from "./bitrot.ts";
import { crashScenario } from "./crash.ts";
import { datastoresScenario } from "./datastores.ts";

export type Scenario = (rig: Rig, seed: string, profile: Profile) => Promise<ScenarioReport>;

export const SCENARIOS = {
  crash: crashScenario,
  datastores: datastoresScenario,
  bitrot: bitrotScenario,
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
