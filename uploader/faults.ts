// The uploader's binding of the crash points shared with the server (protocol/fault-points.ts)
// to its DATASAFE_FAULT_POINT, read once with the rest of its environment (config.ts).
import { faultPoint as sharedFaultPoint } from "../protocol/fault-points.ts";
import { readFaultPoint } from "./config.ts";

const spec = readFaultPoint();

export function faultPoint(point: string): void {
  sharedFaultPoint(spec, point);
}
