// A database-backup-like byte stream: 8 KiB pages of rows, like the data files a studio's
// booking/invoicing database dumps nightly (SQL Server .bak, Firebird .fbk). What matters for a
// backup tool is its shape: page headers with counters, fixed-width numeric columns, text columns
// from a limited vocabulary, some high-entropy fields (phones, hashes) and free space at the end
// of each page. Tuned so brotli quality 1 compresses it about 3-4x, like real dumps.
import { Rng } from "./prng.ts";

export const PAGE_SIZE = 8192;
const HEADER = 32;

const FIRST =
  "Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Leon Mia Noah Olga Paul Rita Sven Tina Uwe Vera Wim Xenia Yann Zoe Lukas Marie Tom Lea Finn".split(
    " ",
  );
const LAST =
  "Schmidt Meyer Weber Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann Schwarz Braun Zimmermann Hartmann Lange Werner Krause Lehmann Kaiser Fuchs Vogel Keller Frank Berger Roth Beck Lorenz Baumann".split(
    " ",
  );
const CITY =
  "Berlin Hamburg Munich Cologne Frankfurt Stuttgart Dresden Leipzig Bremen Hanover Nuremberg Bonn Kiel Mainz Erfurt Rostock".split(" ");
const DOMAIN = "mail.test example.test studio.test web.test post.test".split(" ");
const WORDS = (
  "wedding portrait family newborn headshot print album canvas frame retouch deposit invoice paid " +
  "open reminder session outdoor studio digital package premium basic extra hour copy usb gallery " +
  "proof selection delivered pending cancelled rescheduled voucher discount tax shipping"
).split(" ");
const KIND = ["booking", "invoice", "payment", "order", "note"];

const ascii = (s: string) => Buffer.from(s, "latin1");
const FIRST_B = FIRST.map(ascii);
const LAST_B = LAST.map(ascii);
const CITY_B = CITY.map(ascii);
const DOMAIN_B = DOMAIN.map(ascii);
const WORDS_B = WORDS.map(ascii);
const KIND_B = KIND.map(ascii);

const CUSTOMERS = 2000;
const PRICES = Array.from({ length: 40 }, (_, i) => 1_900 + i * 2_500 + (i % 3) * 99);
const customerCache = new Map<number, Buffer>();

/** name, e-mail, city and phone of customer c: fixed per customer (seeded by c alone). */
function customerColumns(c: number): Buffer {
  let b = customerCache.get(c);
  if (b) return b;
  const r = new Rng(`customer:${c}`);
  const first = r.pick(FIRST_B);
  const last = r.pick(LAST_B);
  const email = Buffer.concat([first, ascii("."), last, ascii("@"), r.pick(DOMAIN_B)]);
  const phone = ascii(Array.from({ length: 10 }, () => String(r.int(10))).join(""));
  b = Buffer.concat([first, last, email, r.pick(CITY_B), phone].flatMap((f) => [Buffer.of(f.length), f]));
  customerCache.set(c, b);
  return b;
}

/** Writes page `pageNo` into buf[off, off + PAGE_SIZE); `rowId` continues across pages. */
export function writePage(rng: Rng, buf: Buffer, off: number, pageNo: number, rowId: { next: number }): void {
  buf.fill(0, off, off + PAGE_SIZE);
  let p = off + HEADER;
  let rows = 0;
  const end = off + PAGE_SIZE;
  for (;;) {
    const start = p;
    if (end - p < 200) break; // worst-case row size: leave the rest as free space, as real pages do
    p += 2; // row length, filled below
    buf.writeUInt32LE(rowId.next++, p);
    p += 4;
    const customer = rng.int(CUSTOMERS);
    buf.writeUInt32LE(20_000 + customer, p);
    p += 4;
    // Rows are appended over time: the date (days since 1970) follows the row id.
    buf.writeUInt32LE(19_000 + Math.floor(rowId.next / 40), p);
    p += 4;
    buf.writeUInt32LE(rng.pick(PRICES), p);
    p += 4; // cents, from the studio's price list
    buf[p++] = rng.int(4) === 0 ? rng.int(5) : 0; // status, mostly "open"
    const field = (b: Buffer) => {
      buf[p++] = b.length;
      p += b.copy(buf, p);
    };
    field(rng.pick(KIND_B));
    // Denormalized customer columns repeat per customer, as in a joined export.
    p += customerColumns(customer).copy(buf, p);
    // free-text note: half the rows have none, the others 1-4 words from the vocabulary
    const words = rng.int(2) ? 0 : rng.range(1, 4);
    const lenAt = p++;
    for (let i = 0; i < words; i++) {
      if (i) buf[p++] = 32;
      p += rng.pick(WORDS_B).copy(buf, p);
    }
    // CHAR(40): space-padded like fixed-width columns in real pages
    while (p - lenAt - 1 < 40) buf[p++] = 32;
    buf[lenAt] = p - lenAt - 1;
    buf.writeUInt16LE(p - start, start);
    rows++;
  }
  // Page header: magic, page number, LSN, row count, free-space offset, checksum of the body.
  buf.write("PG01", off, "latin1");
  buf.writeUInt32LE(pageNo, off + 4);
  buf.writeBigUInt64LE(BigInt(pageNo) * 4096n + BigInt(rng.int(4096)), off + 8);
  buf.writeUInt16LE(rows, off + 16);
  buf.writeUInt16LE(p - off, off + 18);
  buf.writeUInt32LE(rng.u32(), off + 20);
}
