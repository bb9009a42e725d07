// `npm run release -- <command>`: the operator's release signing, run where the release key is
// kept (offline), never on the server (docs/releases.md).
//   keygen --out FILE                     a new Ed25519 release key (private PEM, mode 600); prints the public key
//   sign --key FILE [--dir DIR] [--expires-days N] [--endorsements FILE]
//                                         stamps DIR/release.json (default dist/release) with its signing time and
//                                         expiry (default 30 days) and writes DIR/release.sig
//   endorse --key OLD --public-key NEW [--endorsements FILE]
//                                         the old key vouches for the new one (key rotation); appended to FILE
//                                         (default release-endorsements.json), which `sign` then carries
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { endorseKey, newReleaseKey, publicKeyOf, releaseManifest, signRelease, type ReleaseSignature } from "../uploader/update/release.ts";

const [command, ...rest] = process.argv.slice(2);
const opt = (name: string, fallback?: string): string => {
  const i = rest.indexOf(name);
  const v = i >= 0 ? rest[i + 1] : fallback;
  if (v === undefined) throw new Error(`${command}: ${name} is required`);
  return v;
};
const readEndorsements = (file: string): ReleaseSignature["endorsements"] => {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ReleaseSignature["endorsements"];
  } catch {
    return [];
  }
};

switch (command) {
  case "keygen": {
    const key = newReleaseKey();
    writeFileSync(opt("--out"), key.privatePem, { mode: 0o600, flag: "wx" });
    console.log(JSON.stringify({ publicKey: key.publicKey }));
    break;
  }
  case "sign": {
    const dir = opt("--dir", "dist/release");
    const days = Number(opt("--expires-days", "30"));
    if (!(days > 0 && days <= 366)) throw new Error("--expires-days must be in (0, 366]");
    const file = path.join(dir, "release.json");
    const unsigned = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const now = new Date();
    const manifest = releaseManifest.parse({
      ...unsigned,
      signedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + days * 86_400_000).toISOString(),
    });
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const pem = readFileSync(opt("--key"), "utf8");
    writeFileSync(file, bytes);
    writeFileSync(
      path.join(dir, "release.sig"),
      JSON.stringify(signRelease(bytes, pem, readEndorsements(opt("--endorsements", "release-endorsements.json")))),
    );
    console.log(JSON.stringify({ version: manifest.version, expiresAt: manifest.expiresAt, publicKey: publicKeyOf(pem) }));
    break;
  }
  case "endorse": {
    const file = opt("--endorsements", "release-endorsements.json");
    const list = [...readEndorsements(file), endorseKey(opt("--public-key"), readFileSync(opt("--key"), "utf8"))];
    writeFileSync(file, JSON.stringify(list, null, 2));
    console.log(JSON.stringify({ endorsements: list.length }));
    break;
  }
  default:
    console.error(
      "usage: npm run release -- keygen --out FILE | sign --key FILE [--dir DIR] [--expires-days N] | endorse --key OLD --public-key NEW",
    );
    process.exit(2);
}
