// The uploader's environment, read in one place: state directory, server, passphrase sources.
import os from "node:os";
import path from "node:path";

export interface UploaderEnv {
  home: string;
  server: string | undefined;
  passphrase: string | undefined;
}

/** DATASAFE_HOME, or the OS configuration directory (XDG on Linux, %APPDATA% on Windows). */
function defaultHome(): string {
  if (process.platform === "win32") {
    return path.join(process.env.APPDATA ?? path.join(os.homedir(), "AppData", "Roaming"), "DataSafe");
  }
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Application Support", "DataSafe");
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), ".config"), "datasafe");
}

export function readEnv(): UploaderEnv {
  return {
    home: path.resolve(process.env.DATASAFE_HOME || defaultHome()),
    server: process.env.DATASAFE_SERVER || undefined,
    passphrase: process.env.DATASAFE_PASSPHRASE || undefined,
  };
}

/** Test-only crash point (protocol/fault-points.ts, bound in faults.ts). */
export function readFaultPoint(): string | undefined {
  return process.env.DATASAFE_FAULT_POINT || undefined;
}

/**
 * Where `datasafe service install` writes the systemd unit: DATASAFE_SYSTEMD_DIR overrides the
 * systemd directory (tests, packaging) and then systemctl is not called.
 */
export function readServiceEnv(): { systemdDir: string | undefined } {
  return { systemdDir: process.env.DATASAFE_SYSTEMD_DIR || undefined };
}
