// `datasafe run`: the agent in the foreground (a service manager runs it in the background).
// Configuration and enrollment problems stop it at once with a clear error; everything after
// that is logged and retried, never fatal. SIGTERM/SIGINT stop it cleanly: an interrupted
// backup is resumed at the next start (agent.ts), the lock is released on exit.
import { Agent } from "../agent/agent.ts";
import { loadConfig } from "../agent/config-file.ts";
import { createAgentLog } from "../agent/logger.ts";
import { loadDeviceState } from "../state.ts";
import { EXIT_RESTART, selfUpdater } from "../update/agent-updater.ts";

export async function runAgent(o: { home: string; json: boolean; verbose: boolean }): Promise<never> {
  const config = await loadConfig(o.home);
  const state = await loadDeviceState(o.home);
  const log = createAgentLog({ home: o.home, json: o.json, verbose: o.verbose });
  if (config.sources.length === 0)
    log.warn("no sources configured yet: add one with `datasafe config add-source FOLDER`, then restart the agent");
  const update = selfUpdater(o.home, state.server);
  const agent = new Agent({ home: o.home, config, state, log, ...(update ? { update } : {}) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("agent stopping", { signal });
    await agent.stop();
    await log.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  if ((await agent.run()) === "updated") {
    await agent.stop();
    await log.close();
    process.exit(EXIT_RESTART);
  }
  return new Promise<never>(() => undefined); // stop() exits the process
}
