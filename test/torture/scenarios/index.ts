// The scenarios by name, in the order a full run takes them.
import type { Profile } from "../profile.ts";
import type { ScenarioReport } from "../report.ts";
import type { Rig } from "../rig.ts";
import { crashScenario } from "./crash.ts";

export type Scenario = (rig: Rig, seed: string, profile: Profile) => Promise<ScenarioReport>;

export const SCENARIOS = {
  crash: crashScenario,
} satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
