// Every `datasafe` and `datasafe-admin` command the documentation shows exists, with the options
// it shows, as the CLIs' own help lists them (commander's command and option lists, read by
// running `--help` at each level); every `npm run` script it shows is in package.json.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { before, describe, it } from "node:test";
import { ROOT, spawnNode } from "../../support/process.ts";

interface CommandNode {
  options: Set<string>;
  commands: Map<string, CommandNode>;
}

/** The names in one section ("Commands:" or "Options:") of commander's help text. */
function section(help: string, title: string): string[] {
  const start = help.indexOf(`\n${title}\n`);
  if (start < 0) return [];
  const lines = help.slice(start + title.length + 2).split("\n");
  const end = lines.findIndex((l) => l !== "" && !l.startsWith(" "));
  return (end < 0 ? lines : lines.slice(0, end)).filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim());
}

async function helpOf(bin: string, words: string[]): Promise<string> {
  const p = spawnNode([path.join(ROOT, "bin", bin), ...words, "--help"], { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  const { code } = await p.closed;
  assert.equal(code, 0, `${bin} ${words.join(" ")} --help: ${p.stderr()}`);
  return p.stdout();
}

/** The command tree as the CLI's help shows it, every level. */
async function commandTree(bin: string, words: string[] = []): Promise<CommandNode> {
  const help = await helpOf(bin, words);
  const options = new Set(section(help, "Options:").flatMap((l) => [...l.split(/ {2,}/)[0]!.matchAll(/--[\w-]+/g)].map((m) => m[0])));
  const names = section(help, "Commands:")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n !== "help");
  const children = await Promise.all(names.map(async (n) => [n, await commandTree(bin, [...words, n])] as const));
  return { options, commands: new Map(children) };
}

/** Shell words of a command line, quotes removed, a trailing `# comment` dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    if (m[3]?.startsWith("#")) break;
    out.push(m[1] ?? m[2] ?? m[3]!);
  }
  return out;
}

/** Command lines the documentation shows: lines of code blocks and inline code spans. */
function shownLines(markdown: string): string[] {
  const lines: string[] = [];
  const blocks = markdown.split(/^```.*$/m);
  blocks.forEach((block, i) => {
    if (i % 2 === 1) lines.push(...block.split("\n"));
    else for (const m of block.matchAll(/`([^`\n]+)`/g)) lines.push(m[1]!);
  });
  return lines;
}

const DOCS = async () => [
  "README.md",
  "uploader/format/FORMAT.md",
  ...(await readdir(path.join(ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
];

describe("commands shown in the documentation", () => {
  const trees = new Map<string, CommandNode>();
  const shown: Array<{ file: string; line: string }> = [];

  before(async () => {
    const [user, admin] = await Promise.all([commandTree("datasafe.js"), commandTree("datasafe-admin.js")]);
    trees.set("datasafe", user).set("datasafe-admin", admin);
    for (const file of await DOCS()) {
      for (const line of shownLines(await readFile(path.join(ROOT, file), "utf8"))) shown.push({ file, line });
    }
  });

  it("exist in the CLIs, with the options shown", () => {
    let checked = 0;
    for (const { file, line } of shown) {
      const w = words(line);
      const at = w.findIndex((x) => trees.has(x));
      if (at < 0 || at + 1 >= w.length) continue; // not a command line, or the program named alone
      let node = trees.get(w[at]!)!;
      const path = [w[at]!];
      const options = new Set(node.options);
      for (const word of w.slice(at + 1)) {
        if (word.startsWith("-")) {
          const flag = word.split("=")[0]!;
          assert.ok(options.has(flag), `${file}: \`${line}\`: ${path.join(" ")} has no option ${flag}`);
        } else if (node.commands.size) {
          const next = node.commands.get(word);
          assert.ok(next, `${file}: \`${line}\`: ${path.join(" ")} has no command "${word}"`);
          node = next;
          path.push(word);
          for (const o of node.options) options.add(o);
        }
      }
      checked++;
    }
    assert.ok(checked > 30, `command lines found in the documentation (${checked})`);
  });

  it("npm scripts shown exist in package.json", async () => {
    const scripts = (JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    let checked = 0;
    for (const { file, line } of shown) {
      for (const m of line.matchAll(/\bnpm (?:run (\S+)|(start|test))\b/g)) {
        const name = m[1] ?? m[2]!;
        assert.ok(name in scripts, `${file}: \`${line}\`: no npm script "${name}"`);
        checked++;
      }
    }
    assert.ok(checked >= 4);
  });
});
