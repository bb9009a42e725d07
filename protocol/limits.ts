// The wire limits (protocol/: server and uploader both import them): what one request may carry.
// The server refuses more (protocol/schemas.ts, 400 or 413); the uploader stays within them.

/** Largest chunk object accepted: 4 MiB of plaintext plus the format's framing overhead. */
export const MAX_CHUNK_OBJECT_BYTES = 4 * 1024 * 1024 + 1024;
/** Ids per dedup query. */
export const MAX_IDS_PER_QUERY = 1000;
/** Ids per reference page of a restore point commit (32 bytes each: 512 KiB a page). */
export const MAX_REFS_PER_PAGE = 16384;
/**
 * Pages per restore point: 256 x 16,384 = 4.2 M chunks, 128 MiB of references. The largest studio
 * we plan for (20 GB of database backups + 200 GB of photos) is ~450 k chunks at ~512 KiB, 28
 * pages: this is 9x that, or ~2 TB at 512 KiB chunks. The server checks a commit one page at a
 * time (services/check-ref-pages.ts), so its own memory does not grow with this bound; what does
 * is the restore point's `refs` value, built by Postgres (string_agg, 1 GB at most for a bytea)
 * and read whole by verification, so we keep it well under that. (It was 4096 pages: 2 GiB of
 * references, more than a bytea can hold.)
 */
export const MAX_REF_PAGES = 256;
/**
 * Reference pages one device may hold for restore points it has not committed (yet): one
 * restore point of the largest size plus one abandoned (a backup killed before its commit).
 * Abandoned pages expire after PENDING_REF_PAGES_TTL_DAYS (services/expire-ref-pages.ts).
 */
export const MAX_PENDING_REF_PAGES_PER_DEVICE = 2 * MAX_REF_PAGES;

/** A pack (services/packs.ts): several sealed chunks stored as one object, at most this many bytes. */
export const MAX_PACK_BYTES = 8 * 1024 * 1024;
export const MAX_CHUNKS_PER_PACK = 1024;
/** A relayed pack's body starts with its table as JSON, this many bytes at most. */
export const MAX_PACK_TABLE_BYTES = 256 * 1024;

/** Ids per download-URL request. */
export const MAX_IDS_PER_URL_REQUEST = 256;

/** Problems and damaged chunks one client verify report lists (protocol/integrity-schemas.ts). */
export const MAX_REPORTED_CHUNKS = 1000;
