// The agent as a systemd service on Linux: a unit file that runs `datasafe run --json` (journald
// gets JSON lines; the rotating file in DATASAFE_HOME has them too) and restarts it if it dies.
// Pure text here; commands/service.ts writes it and calls systemctl.
export const UNIT_NAME = "datasafe-agent.service";

/**
 * One ExecStart= argument (systemd.service(5), "Command lines"): double-quoted with C escapes;
 * "%" starts a specifier and "$" a variable, so both are doubled. Spaces and UTF-8 are kept.
 */
export function execArg(arg: string): string {
  return `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}

/** One Environment= assignment: quoted, C escapes, "%" doubled (no "$" expansion there). */
export function envAssignment(name: string, value: string): string {
  return `"${`${name}=${value}`.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

export interface UnitOptions {
  /** The program and its script (none for the single executable): agent/self.ts. */
  node: string;
  script?: string | undefined;
  home: string;
  /** System unit: run as this user. User unit (systemctl --user): omitted. */
  user?: string;
}

export function systemdUnit(o: UnitOptions): string {
  const lines = [
    "# Written by `datasafe service install`; remove with `datasafe service uninstall`.",
    "[Unit]",
    "Description=DataSafe backup agent (encrypted offsite backup)",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[o.node, ...(o.script ? [o.script] : []), "run", "--json"].map(execArg).join(" ")}`,
    `Environment=${envAssignment("DATASAFE_HOME", o.home)}`,
    ...(o.user ? [`User=${o.user}`] : []),
    // Restart whatever the cause: the agent resumes an interrupted run by itself.
    "Restart=always",
    "RestartSec=30",
    // Backups should not make the studio PC sluggish.
    "Nice=10",
    "IOSchedulingClass=idle",
    "",
    "[Install]",
    `WantedBy=${o.user ? "multi-user.target" : "default.target"}`,
    "",
  ];
  return lines.join("\n");
}
