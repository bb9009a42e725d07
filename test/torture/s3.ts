// The S3 server behind the fault proxy: the one in S3_* when set (as under `npm test`), else a
// Ceph RGW started here with test/support/ceph-rgw.sh and stopped with the rig.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { s3ConfigFromEnv } from "../support/s3.ts";
import { ROOT } from "../support/server.ts";

const exec = promisify(execFile);
const SCRIPT = path.join(ROOT, "test", "support", "ceph-rgw.sh");

export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

export async function s3Server(dir: string): Promise<S3Server> {
  const env = s3ConfigFromEnv("unused");
  if (env?.endpoint) return { ...env, endpoint: env.endpoint, stop: async () => undefined };
  const rgwDir = path.join(dir, "rgw");
  const { stdout } = await exec(SCRIPT, ["start", rgwDir], { maxBuffer: 1 << 20 });
  const vars = Object.fromEntries(
    stdout
      .split("\n")
      .map((l) => l.match(/^(S3_[A-Z_]+)=(.*)$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
  if (!vars.S3_ENDPOINT) throw new Error(`ceph-rgw.sh printed no S3_ENDPOINT:\n${stdout}`);
  return {
    endpoint: vars.S3_ENDPOINT,
    region: vars.S3_REGION ?? "us-east-1",
    accessKeyId: vars.S3_ACCESS_KEY_ID ?? "testkey",
    secretAccessKey: vars.S3_SECRET_ACCESS_KEY ?? "testsecret",
    stop: async () => {
      await exec(SCRIPT, ["stop", rgwDir]).catch(() => undefined);
    },
  };
}
