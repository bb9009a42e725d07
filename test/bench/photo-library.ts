// The bench's photo library (issue 17): what a studio's disk mostly is. Year and session folders
// (`Photos/2023/2023-05-14 Smith wedding/`) holding, per photo, an XMP sidecar (2-8 KiB of
// compressible XML), a Capture One-style thumbnail (8-24 KiB, incompressible JPEG) and settings
// file (1-24 KiB, XML-like with a base64 mask: partly compressible) in the session's cache
// folders, for some photos an exported preview (64-200 KiB, incompressible) and for a few a raw
// file (2-6 MiB, incompressible). A pure function of (file count, seed); `touchLibrary` is the
// next day's 1 %: sidecars and cache files rewritten, a few raws' headers rewritten, a new session.
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ByteStream, Rng } from "./prng.ts";
import { mapLimit, type Dataset } from "./tree.ts";

export interface PhotoLibrary extends Dataset {
  /** Files under 1 MiB (sidecars, thumbnails, settings, previews). */
  small: string[];
  raws: string[];
  /** Sessions written so far: the touched step adds one after the last. */
  sessions: number;
}

const KiB = 1024;
/** One photo in this many has its raw file on the disk (the rest archived): "some" multi-MB files. */
const RAW_EVERY = 128;
const PREVIEW_EVERY = 10;

const CLIENTS = "Smith Meyer Novak Rossi Garcia Jensen Dubois Kowalski Silva Berger Horvat Lindqvist Okafor Tanaka Weber Fischer".split(
  " ",
);
const EVENTS = [
  "wedding",
  "portrait",
  "family",
  "newborn",
  "headshots",
  "engagement",
  "corporate event",
  "school photos",
  "product shoot",
  "christening",
];
const KEYWORDS =
  "bride groom ceremony rings portrait outdoor studio golden hour family kids candid detail bouquet dance toast black and white retouched selected client pick".split(
    " ",
  );
const LABELS = ["", "Red", "Yellow", "Green", "Blue", "Purple"];
const DEVELOP =
  "Exposure2012 Contrast2012 Highlights2012 Shadows2012 Whites2012 Blacks2012 Texture Clarity2012 Dehaze Vibrance Saturation ParametricShadows ParametricDarks ParametricLights ParametricHighlights SharpenRadius SharpenDetail SharpenEdgeMasking LuminanceSmoothing ColorNoiseReduction HueAdjustmentRed HueAdjustmentOrange HueAdjustmentYellow SaturationAdjustmentRed SaturationAdjustmentOrange LuminanceAdjustmentOrange GrainAmount PostCropVignetteAmount LensProfileEnable AutoLateralCA".split(
    " ",
  );
const C1_KEYS =
  "Exposure Brightness Contrast Saturation HighlightRecovery ShadowRecovery WhiteBalanceTemperature WhiteBalanceTint Clarity Structure SharpeningAmount SharpeningRadius NoiseReductionLuminance NoiseReductionColor LCCName Rotation CropX CropY CropWidth CropHeight Rating ColorTag".split(
    " ",
  );

const pad = (n: number, w: number) => String(n).padStart(w, "0");
const hex = (rng: Rng, words: number) => Array.from({ length: words }, () => rng.u32().toString(16).padStart(8, "0")).join("");
const signed = (rng: Rng, max: number) => {
  const v = rng.int(2 * max + 1) - max;
  return v > 0 ? `+${v}` : String(v);
};

/** An Adobe XMP sidecar of about `size` bytes: develop settings, keywords, an edit history. */
function xmp(rng: Rng, name: string, when: string, size: number): Buffer {
  const head = [
    `<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>`,
    `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000 1.000000, 0000/00/00-00:00:00">`,
    ` <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`,
    `  <rdf:Description rdf:about=""`,
    `    xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"`,
    `    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"`,
    `    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"`,
    `   xmp:ModifyDate="${when}T${pad(rng.int(24), 2)}:${pad(rng.int(60), 2)}:${pad(rng.int(60), 2)}+02:00" xmp:Rating="${rng.int(6)}" xmp:Label="${rng.pick(LABELS)}"`,
    `   tiff:Make="Canon" tiff:Model="Canon EOS R${rng.pick([5, 6, 8])}" exif:ExposureTime="1/${rng.pick([60, 125, 200, 250, 500])}" exif:FNumber="${rng.pick([14, 18, 28, 40, 56])}/10" exif:ISOSpeedRatings="${100 * (1 + rng.int(64))}"`,
    `   xmpMM:DocumentID="xmp.did:${hex(rng, 4)}" xmpMM:OriginalDocumentID="${hex(rng, 8).toUpperCase()}" crs:RawFileName="${name}"`,
    ...DEVELOP.map((k) => `   crs:${k}="${signed(rng, 100)}"`),
    `   crs:Temperature="${4000 + 50 * rng.int(60)}" crs:Tint="${signed(rng, 30)}">`,
    `   <dc:subject><rdf:Bag>${Array.from({ length: 1 + rng.int(6) }, () => `<rdf:li>${rng.pick(KEYWORDS)}</rdf:li>`).join("")}</rdf:Bag></dc:subject>`,
    `   <crs:ToneCurvePV2012><rdf:Seq>${Array.from({ length: 5 }, (_, i) => `<rdf:li>${i * 64}, ${Math.min(255, i * 64 + rng.int(16))}</rdf:li>`).join("")}</rdf:Seq></crs:ToneCurvePV2012>`,
    `   <xmpMM:History><rdf:Seq>`,
  ].join("\n");
  const tail = `\n   </rdf:Seq></xmpMM:History>\n  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>\n`;
  const events: string[] = [];
  for (let len = head.length + tail.length; len < size;) {
    const e = `\n    <rdf:li stEvt:action="saved" stEvt:instanceID="xmp.iid:${hex(rng, 4)}" stEvt:when="${when}T${pad(rng.int(24), 2)}:${pad(rng.int(60), 2)}:00+02:00" stEvt:softwareAgent="Adobe Photoshop Lightroom Classic 12.${rng.int(5)} (Windows)" stEvt:changed="/metadata"/>`;
    events.push(e);
    len += e.length;
  }
  return Buffer.from(head + events.join("") + tail, "utf8");
}

/** Capture One-style settings: key/value lines and a base64 layer mask (1-24 KiB). */
function settings(rng: Rng, bytes: ByteStream, size: number): Buffer {
  const lines = [`<?xml version="1.0" encoding="UTF-8"?>`, `<SL Engine="1300"><DL><LA>`];
  for (const k of C1_KEYS) lines.push(`<E K="${k}" V="${(rng.int(20_000) / 100 - 100).toFixed(2)}"/>`);
  const text = lines.join("\n");
  const mask = Math.max(0, Math.floor(((size - text.length - 32) * 3) / 4 / 2));
  const fill = Math.max(0, size - text.length - 32 - Math.ceil(mask / 3) * 4);
  return Buffer.from(
    `${text}\n<MASK>${bytes.next(mask).toString("base64")}</MASK>\n${'<E K="Layer" V="0"/>\n'.repeat(Math.ceil(fill / 21))}</LA></DL></SL>\n`,
    "utf8",
  ).subarray(0, size);
}

/** JPEG framing (SOI, an APP1 "Exif" segment, EOI) around incompressible bytes. */
function jpeg(rng: Rng, bytes: ByteStream, size: number, tag: string): Buffer {
  const exif = Buffer.from(`Exif\0\0Canon EOS R6 ${tag} ISO${100 * (1 + rng.int(32))}`.padEnd(512, "\0"), "latin1");
  const head = Buffer.concat([Buffer.of(0xff, 0xd8, 0xff, 0xe1, (exif.length + 2) >> 8, (exif.length + 2) & 0xff), exif]);
  return Buffer.concat([head, bytes.next(Math.max(0, size - head.length - 2)), Buffer.of(0xff, 0xd9)]);
}

/** A CR3-like raw: ISO-BMFF `ftyp crx ` box, camera text, then sensor data (incompressible). */
function raw(rng: Rng, bytes: ByteStream, size: number, tag: string): Buffer {
  const head = Buffer.from(`\0\0\0\x18ftypcrx \0\0\0\x01crx isom${`CanonCR3 ${tag} ${hex(rng, 2)}`.padEnd(1000, "\0")}`, "latin1");
  return Buffer.concat([head, bytes.next(size - head.length)]);
}

interface Writer {
  files: string[];
  bytes: number;
  pending: Array<{ file: string; data: Buffer }>;
}

async function flush(w: Writer): Promise<void> {
  const batch = w.pending.splice(0);
  await mapLimit(batch, 16, ({ file, data }) => writeFile(file, data));
}

function put(w: Writer, file: string, data: Buffer): void {
  w.pending.push({ file, data });
  w.files.push(file);
  w.bytes += data.length;
}

/** One session folder of `photos` photos; stops early once `budget` files exist. */
async function writeSession(
  lib: PhotoLibrary,
  w: Writer,
  n: number,
  photos: number,
  budget: number,
  rng: Rng,
  bytes: ByteStream,
): Promise<void> {
  const day = new Date(Date.UTC(2021, 0, 1) + n * 2.5 * 86_400_000);
  const date = day.toISOString().slice(0, 10);
  const dir = path.join(lib.root, "Photos", date.slice(0, 4), `${date} ${rng.pick(CLIENTS)} ${rng.pick(EVENTS)}`);
  const cache = path.join(dir, "CaptureOne", "Cache", "Thumbnails");
  const conf = path.join(dir, "CaptureOne", "Settings153");
  const output = path.join(dir, "Output");
  for (const d of [cache, conf, output]) await mkdir(d, { recursive: true });
  const base = 1000 + ((n * 97) % 8000);
  for (let i = 0; i < photos && w.files.length < budget; i++) {
    const name = `IMG_${pad(base + i, 4)}`;
    const tag = `${date} ${name}`;
    const small: Array<[string, Buffer]> = [
      [path.join(dir, `${name}.xmp`), xmp(rng, `${name}.CR3`, date, rng.range(2 * KiB, 8 * KiB))],
      [path.join(cache, `${name}.CR3.cot`), jpeg(rng, bytes, rng.range(8 * KiB, 24 * KiB), tag)],
      [path.join(conf, `${name}.CR3.cos`), settings(rng, bytes, rng.range(1 * KiB, 24 * KiB))],
    ];
    if (rng.int(PREVIEW_EVERY) === 0) small.push([path.join(output, `${name}.jpg`), jpeg(rng, bytes, rng.range(64 * KiB, 200 * KiB), tag)]);
    for (const [file, data] of small) {
      if (w.files.length >= budget) break;
      put(w, file, data);
      lib.small.push(file);
    }
    if (rng.int(RAW_EVERY) === 0 && w.files.length < budget) {
      const file = path.join(dir, `${name}.CR3`);
      put(w, file, raw(rng, bytes, rng.range(2048, 6144) * KiB, tag));
      lib.raws.push(file);
    }
    if (w.pending.length >= 64) await flush(w);
  }
  await flush(w);
}

/** Writes a library of exactly `files` files under `root` (replacing it). */
export async function generateLibrary(root: string, files: number, seed: string): Promise<PhotoLibrary> {
  await rm(root, { recursive: true, force: true });
  const lib: PhotoLibrary = {
    root,
    paths: [path.join(root, "Photos")],
    fileList: [],
    bytes: 0,
    files: 0,
    small: [],
    raws: [],
    sessions: 0,
  };
  const rng = new Rng(`${seed}/photos`);
  const bytes = new ByteStream(`${seed}/photos`);
  const w: Writer = { files: lib.fileList, bytes: 0, pending: [] };
  while (w.files.length < files) await writeSession(lib, w, lib.sessions++, rng.range(20, 150), files, rng, bytes);
  lib.bytes = w.bytes;
  lib.files = w.files.length;
  return lib;
}

/**
 * The next day: 1 % of the small files rewritten (sidecars and settings re-saved, thumbnails and
 * previews re-rendered), the first 64 KiB of a few raws rewritten (metadata written into the
 * file), and a new session of a few photos. Returns what was done.
 */
export async function touchLibrary(lib: PhotoLibrary, seed: string): Promise<string> {
  const rng = new Rng(`${seed}/touch`);
  const bytes = new ByteStream(`${seed}/touch`);
  const smallBefore = lib.small.length;
  const count = Math.max(1, Math.round(smallBefore / 100));
  const picked = new Set<number>();
  while (picked.size < count) picked.add(rng.int(lib.small.length));
  // Contents are made in a fixed order (the random streams are shared), then written in parallel.
  const rewrites = [...picked]
    .sort((x, y) => x - y)
    .map((i) => {
      const file = lib.small[i]!;
      const data = file.endsWith(".xmp")
        ? xmp(rng, path.basename(file, ".xmp"), "2025-01-01", rng.range(2 * KiB, 8 * KiB))
        : file.endsWith(".cos")
          ? settings(rng, bytes, rng.range(1 * KiB, 24 * KiB))
          : jpeg(rng, bytes, file.endsWith(".jpg") ? rng.range(64 * KiB, 200 * KiB) : rng.range(8 * KiB, 24 * KiB), `touched ${i}`);
      return { file, data };
    });
  await mapLimit(rewrites, 16, ({ file, data }) => writeFile(file, data));
  const raws = lib.raws.length ? [...new Set(Array.from({ length: Math.min(3, lib.raws.length) }, () => rng.pick(lib.raws)))] : [];
  for (const file of raws) {
    const fh = await open(file, "r+");
    await fh.write(raw(rng, bytes, 64 * KiB, "re-tagged"), 0, 64 * KiB, 0);
    await fh.close();
  }
  const before = lib.fileList.length;
  const newPhotos = Math.max(2, Math.round(lib.files / 3000));
  const w: Writer = { files: lib.fileList, bytes: lib.bytes, pending: [] };
  await writeSession(lib, w, lib.sessions++, newPhotos, Number.MAX_SAFE_INTEGER, rng, bytes);
  const added = lib.fileList.length - before;
  lib.bytes = w.bytes;
  lib.files = lib.fileList.length;
  return `${count} small files rewritten (1 % of ${smallBefore}), first 64 KiB of ${raws.length} raw photos rewritten, ${added} new files in a new session`;
}
