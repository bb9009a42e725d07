// The passphrase comes from DATASAFE_PASSPHRASE, --passphrase-file, or a prompt on a terminal
// (never echoed). It is needed to enroll, restore and verify; never to back up.
import { readFile } from "node:fs/promises";
import { CliError } from "./errors.ts";

export async function getPassphrase(opts: { file?: string; env?: string; confirm?: boolean }): Promise<string> {
  if (opts.file) {
    const text = (
      await readFile(opts.file, "utf8").catch(() => {
        throw new CliError("PASSPHRASE_FILE", `cannot read passphrase file ${opts.file}`);
      })
    ).replace(/\r?\n$/, "");
    return check(text);
  }
  if (opts.env) return check(opts.env);
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError("PASSPHRASE_REQUIRED", "a passphrase is needed: set DATASAFE_PASSPHRASE or use --passphrase-file");
  }
  const first = await prompt("Studio passphrase: ");
  if (opts.confirm && (await prompt("Repeat passphrase: ")) !== first) {
    throw new CliError("PASSPHRASE_MISMATCH", "the passphrases do not match");
  }
  return check(first);
}

function check(p: string): string {
  if (p.length < 8) throw new CliError("PASSPHRASE_TOO_SHORT", "the passphrase must have at least 8 characters");
  return p;
}

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = "";
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done(null);
        if (ch === "\u0003") return done(new CliError("CANCELLED", "cancelled"));
        if (ch === "\u007f") value = value.slice(0, -1);
        else value += ch;
      }
    };
    const done = (err: Error | null) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    stdin.on("data", onData);
  });
}
