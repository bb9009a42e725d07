// Heartbeats: "this agent is alive" to the server every `intervalMs` (at most 5 minutes) on a
// timer of their own, so they keep coming during a 6-hour upload and while backups fail; support
// tells "PC off" (no heartbeat) from "backup failing" (heartbeats saying lastResult=failed).
// Best effort: one attempt each, a failure is logged and the next beat tries again.
import type { HeartbeatBody } from "../../protocol/schemas.ts";
import { ApiClient } from "../api/client.ts";
import { deviceCredentials } from "../api/credentials.ts";
import type { DeviceState } from "../state.ts";
import type { Log } from "./logger.ts";

export interface Heartbeats {
  /** Sends one now (e.g. right after a run), without waiting for the timer. */
  beat(): Promise<void>;
  stop(): void;
}

export function startHeartbeats(o: { state: DeviceState; intervalMs: number; body: () => HeartbeatBody; log: Log }): Heartbeats {
  // Renews an expired token (credentials.ts) like every other request.
  const api = new ApiClient(o.state.server, deviceCredentials(o.state));
  let failing = false;
  const beat = async () => {
    try {
      await api.heartbeat(o.body());
      if (failing) o.log.info("heartbeats reach the server again");
      failing = false;
    } catch (err) {
      // Logged once per outage, not every beat.
      if (!failing) o.log.warn("heartbeat failed", { error: (err as Error).message });
      failing = true;
    }
  };
  const timer = setInterval(() => void beat(), o.intervalMs);
  void beat();
  return { beat, stop: () => clearInterval(timer) };
}
