// The bench's database-dumps tree (issue 17's large-file shape), sized by `--size`: a binary
// dump whose pages are row pages (compressible, db-pages.ts) with every third page an
// attachment (scanned contracts: incompressible), about 70 % of the tree, and a plain-text SQL
// dump (pg_dump COPY lines: compresses very well), the rest. The edits before the incremental
// run are scattered: pages rewritten in place and appended in the binary dump, rows changed and
// a block of rows inserted in the middle of the text dump (which shifts everything after it).
import { mkdir, open, rm, stat } from "node:fs/promises";
import path from "node:path";
import { PAGE_SIZE, writePage } from "./db-pages.ts";
import { ByteStream, Rng } from "./prng.ts";
import type { Dataset } from "./tree.ts";

export interface Dumps extends Dataset {
  binFile: string;
  sqlFile: string;
  sqlRows: number;
}

const MiB = 1024 * 1024;
const BIN_SHARE = 0.7;
const ATTACHMENT_EVERY = 3;

function binPage(rng: Rng, bytes: ByteStream, buf: Buffer, off: number, pageNo: number, rowId: { next: number }): void {
  if (pageNo % ATTACHMENT_EVERY === 2) {
    bytes.next(PAGE_SIZE).copy(buf, off);
    buf.write("BL01", off, "latin1");
    buf.writeUInt32LE(pageNo, off + 4);
  } else {
    writePage(rng, buf, off, pageNo, rowId);
  }
}

async function writeBin(file: string, size: number, seed: string): Promise<void> {
  const rng = new Rng(`${seed}/bin`);
  const bytes = new ByteStream(`${seed}/bin`);
  const rowId = { next: 1 };
  const block = Buffer.alloc(128 * PAGE_SIZE);
  const fh = await open(file, "w");
  try {
    for (let page = 0, pages = size / PAGE_SIZE; page < pages;) {
      const n = Math.min(128, pages - page);
      for (let i = 0; i < n; i++) binPage(rng, bytes, block, i * PAGE_SIZE, page + i, rowId);
      await fh.write(block, 0, n * PAGE_SIZE);
      page += n;
    }
  } finally {
    await fh.close();
  }
}

const FIRST = "Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Leon Mia Noah Olga Paul".split(" ");
const LAST = "Schmidt Meyer Weber Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann".split(" ");
const ITEMS =
  "wedding package premium|portrait session|family session|album 30x30|canvas print|usb copy|retouch extra|newborn session".split("|");
const STATUS = ["paid", "open", "reminder sent", "cancelled"];

/** One COPY line of the bookings table; `v` > 0 is a later version of the same row. */
function sqlRow(id: number, v: number): string {
  const r = new Rng(`row:${id}:${v}`);
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  const day = new Date(Date.UTC(2019, 0, 1) + (id % 2000) * 86_400_000).toISOString().slice(0, 10);
  return `${id}\t${day}\t${first}\t${last}\t${first.toLowerCase()}.${last.toLowerCase()}@mail.test\t${r.pick(ITEMS)}\t${1900 + r.int(300) * 100}\t${r.pick(STATUS)}\t${v ? `updated ${v}` : "\\N"}\n`;
}

/**
 * Writes the text dump: rows 1..rows, row i at version changed.get(i) ?? 0, and `inserted` new
 * rows (ids above `rows`) after row `insertAfter`.
 */
async function writeSql(file: string, rows: number, changed: Map<number, number>, insertAfter: number, inserted: number): Promise<number> {
  const fh = await open(file, "w");
  let parts: string[] = [];
  let len = 0;
  let total = 0;
  const emit = async (s: string, force = false) => {
    parts.push(s);
    len += s.length;
    if (len >= MiB || force) {
      const b = Buffer.from(parts.join(""), "latin1");
      await fh.write(b);
      total += b.length;
      parts = [];
      len = 0;
    }
  };
  try {
    await emit(
      "--\n-- PostgreSQL database dump\n--\n\nCOPY public.bookings (id, day, first_name, last_name, email, item, price_cents, status, note) FROM stdin;\n",
    );
    for (let id = 1; id <= rows; id++) {
      await emit(sqlRow(id, changed.get(id) ?? 0));
      if (id === insertAfter) for (let k = 1; k <= inserted; k++) await emit(sqlRow(rows + k, 0));
    }
    await emit("\\.\n\n-- PostgreSQL database dump complete\n", true);
  } finally {
    await fh.close();
  }
  return total;
}

/** Average COPY line length, measured once: sizes the text dump by row count. */
const ROW_BYTES = Array.from({ length: 200 }, (_, i) => sqlRow(i + 1, 0).length).reduce((a, b) => a + b, 0) / 200;

export async function generateDumps(root: string, sizeMiB: number, seed: string): Promise<Dumps> {
  await rm(root, { recursive: true, force: true });
  const dir = path.join(root, "Dumps");
  await mkdir(dir, { recursive: true });
  const total = Math.round(sizeMiB * MiB);
  const binFile = path.join(dir, "studio-db.bak");
  const sqlFile = path.join(dir, "bookings.sql");
  await writeBin(binFile, Math.max(PAGE_SIZE, Math.floor((total * BIN_SHARE) / PAGE_SIZE) * PAGE_SIZE), seed);
  const sqlRows = Math.max(100, Math.round((total * (1 - BIN_SHARE)) / ROW_BYTES));
  await writeSql(sqlFile, sqlRows, new Map(), 0, 0);
  const bytes = (await stat(binFile)).size + (await stat(sqlFile)).size;
  return { root, paths: [dir], fileList: [binFile, sqlFile], binFile, sqlFile, sqlRows, bytes, files: 2 };
}

/** A day's scattered edits (see the file's head); returns what was done. */
export async function editDumps(ds: Dumps, seed: string): Promise<string> {
  const rng = new Rng(`${seed}/dump-edits`);
  const bytes = new ByteStream(`${seed}/dump-edits`);
  const pages = (await stat(ds.binFile)).size / PAGE_SIZE;
  const count = Math.max(4, Math.round(ds.bytes / (16 * MiB)));
  const appended = Math.max(1, Math.round(pages / 200));
  const fh = await open(ds.binFile, "r+");
  try {
    const page = Buffer.alloc(PAGE_SIZE);
    const rowId = { next: 50_000_000 };
    for (let i = 0; i < count; i++) {
      const p = rng.int(pages);
      binPage(rng, bytes, page, 0, p, rowId);
      await fh.write(page, 0, PAGE_SIZE, p * PAGE_SIZE);
    }
    for (let i = 0; i < appended; i++) {
      binPage(rng, bytes, page, 0, pages + i, rowId);
      await fh.write(page, 0, PAGE_SIZE, (pages + i) * PAGE_SIZE);
    }
  } finally {
    await fh.close();
  }
  const changed = new Map<number, number>();
  while (changed.size < count) changed.set(1 + rng.int(ds.sqlRows), 1);
  const inserted = Math.max(10, Math.round(ds.sqlRows / 1000));
  const insertAfter = 1 + rng.int(ds.sqlRows);
  await writeSql(ds.sqlFile, ds.sqlRows, changed, insertAfter, inserted);
  ds.bytes = (await stat(ds.binFile)).size + (await stat(ds.sqlFile)).size;
  return `binary dump: ${count} pages rewritten at random offsets, ${appended} appended; text dump: ${count} rows changed, ${inserted} rows inserted after row ${insertAfter}`;
}
