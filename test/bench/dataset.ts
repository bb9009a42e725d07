// The bench's synthetic studio: a database backup (compressible row pages) and a photo folder
// (incompressible JPEG-like files), both a pure function of (size, seed), plus "tonight's edits"
// for the incremental run. Every tool in a run backs up this same tree.
import { mkdir, open, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { PAGE_SIZE, writePage } from "./db-pages.ts";
import { ByteStream, Rng } from "./prng.ts";
import type { Dataset } from "./tree.ts";

export interface StudioDataset extends Dataset {
  dbFile: string;
  photoFiles: string[];
}

const MiB = 1024 * 1024;
/** Share of the tree that is database backup; the rest is photos (a studio is mostly photos). */
const DB_SHARE = 0.4;

/** Writes the tree for `sizeMiB` under `root` (replacing it). */
export async function generate(root: string, sizeMiB: number, seed: string): Promise<StudioDataset> {
  await rm(root, { recursive: true, force: true });
  const dbDir = path.join(root, "Database");
  const photoDir = path.join(root, "Photos");
  await mkdir(dbDir, { recursive: true });
  const total = Math.round(sizeMiB * MiB);
  const dbFile = path.join(dbDir, "studio-manager.bak");
  await writeDb(dbFile, Math.max(PAGE_SIZE, Math.floor((total * DB_SHARE) / PAGE_SIZE) * PAGE_SIZE), `${seed}/db`);
  const photoFiles = await writePhotos(photoDir, total - (await stat(dbFile)).size, `${seed}/photos`);
  const bytes = (await stat(dbFile)).size + (await Promise.all(photoFiles.map((f) => stat(f)))).reduce((n, s) => n + s.size, 0);
  return { root, paths: [dbDir, photoDir], fileList: [dbFile, ...photoFiles], dbFile, photoFiles, bytes, files: photoFiles.length + 1 };
}

async function writeDb(file: string, size: number, seed: string): Promise<void> {
  const rng = new Rng(seed);
  const rowId = { next: 1 };
  const block = Buffer.alloc(128 * PAGE_SIZE); // 1 MiB writes
  const fh = await open(file, "w");
  try {
    for (let page = 0, pages = size / PAGE_SIZE; page < pages;) {
      const n = Math.min(128, pages - page);
      for (let i = 0; i < n; i++) writePage(rng, block, i * PAGE_SIZE, page + i, rowId);
      await fh.write(block, 0, n * PAGE_SIZE);
      page += n;
    }
  } finally {
    await fh.close();
  }
}

/** JPEG framing (SOI, an APP1 "Exif" segment with camera text, EOI) around random bytes. */
function jpegHeader(rng: Rng, n: number): Buffer {
  const exif = Buffer.from(
    `Exif\0\0Canon EOS R6 ${2020 + rng.int(5)}:0${1 + rng.int(9)}:1${rng.int(9)} f/2.8 1/200 ISO${100 * (1 + rng.int(32))} #${n}`.padEnd(
      4000,
      "\0",
    ),
    "latin1",
  );
  const len = Buffer.alloc(2);
  len.writeUInt16BE(exif.length + 2);
  return Buffer.concat([Buffer.of(0xff, 0xd8, 0xff, 0xe1), len, exif]);
}

async function writePhotos(dir: string, budget: number, seed: string): Promise<string[]> {
  const rng = new Rng(seed);
  const bytes = new ByteStream(seed);
  // Camera JPEGs are 2-4 MiB; tiny smoke runs use smaller ones so there are still several files.
  const avg = Math.min(3 * MiB, Math.max(64 * 1024, Math.floor(budget / 8)));
  const files: string[] = [];
  let left = budget;
  for (let n = 0; left > 0; n++) {
    const size = Math.min(left, Math.round(avg * (0.66 + rng.int(1000) / 1500)));
    const shoot = path.join(dir, "2024", `shoot-${String(Math.floor(n / 12) + 1).padStart(3, "0")}`);
    await mkdir(shoot, { recursive: true });
    const file = path.join(shoot, `IMG_${String(1000 + n)}.jpg`);
    const head = jpegHeader(rng, n);
    const body = bytes.next(Math.max(0, size - head.length - 2));
    await writeFile(file, Buffer.concat([head, body, Buffer.of(0xff, 0xd9)]).subarray(0, Math.max(size, 1)));
    files.push(file);
    left -= size;
  }
  return files;
}

export interface Edits {
  /** Bytes overwritten or appended. */
  bytesChanged: number;
  description: string;
}

/**
 * A day's work: scattered in-place edits of database pages (updated rows), a few appended pages
 * (new bookings), and the metadata header rewritten in two photos (a rating or keyword written
 * into the file, as photo managers do). Sizes of existing files do not change except the append.
 */
export async function applyEdits(ds: StudioDataset, seed: string): Promise<Edits> {
  const rng = new Rng(`${seed}/edits`);
  const dbSize = (await stat(ds.dbFile)).size;
  const pages = dbSize / PAGE_SIZE;
  const count = Math.max(4, Math.round(ds.bytes / (16 * MiB)));
  let changed = 0;
  const fh = await open(ds.dbFile, "r+");
  try {
    const page = Buffer.alloc(PAGE_SIZE);
    const rowId = { next: 50_000_000 };
    for (let i = 0; i < count; i++) {
      const p = rng.int(pages);
      writePage(rng, page, 0, p, rowId);
      await fh.write(page, 0, PAGE_SIZE, p * PAGE_SIZE);
      changed += PAGE_SIZE;
    }
    const appended = Math.max(1, Math.round(pages / 200));
    for (let i = 0; i < appended; i++) {
      writePage(rng, page, 0, pages + i, rowId);
      await fh.write(page, 0, PAGE_SIZE, (pages + i) * PAGE_SIZE);
      changed += PAGE_SIZE;
    }
    const touched = [0, Math.floor(ds.photoFiles.length / 2)].filter((v, i, a) => a.indexOf(v) === i);
    for (const n of touched) {
      const ph = await open(ds.photoFiles[n]!, "r+");
      const head = jpegHeader(rng, n + 100_000);
      await ph.write(head, 0, head.length, 0);
      await ph.close();
      changed += head.length;
    }
    return {
      bytesChanged: changed,
      description: `${count} pages rewritten at random offsets, ${appended} pages appended (database); metadata header of ${touched.length} photos rewritten`,
    };
  } finally {
    await fh.close();
  }
}
