// What ChunkSink (chunk-sink.ts) needs of the server, and nothing more: ApiClient is the real one,
// and tests stand in for it with these two methods.
import type { PackTable, UploadedResult } from "../../protocol/schemas.ts";

/**
 * The dedup query and pack upload of one upload session (`sessionId`: the restore point id the
 * run will commit). Contract:
 * - missing(ids) answers, of the hex `ids`, those the studio does not hold in a usable state
 *   (absent, or recorded damaged): exactly the chunks that must be sent. Any order; the caller
 *   does not rely on it.
 * - sendPack(table, envelopes) stores the envelopes of the chunks `table` lists, in its order,
 *   as one object. It resolves once the bytes are sent, after which the caller may reuse the
 *   buffers; `recorded` then settles with one result per chunk of `table`, in its order: recorded
 *   (`stored: false` when the studio held the chunk already) or refused with a status and code.
 *   A rejection of either means the pack may or may not have been stored: sending it again is
 *   safe (every upload gets a fresh key, and a chunk's row is claimed once).
 * - Errors are ApiError (the server's code and status) or CliError SERVER_UNREACHABLE, after the
 *   implementation's own retries.
 */
export interface ChunkUploader {
  missing(ids: string[], sessionId: string): Promise<string[]>;
  sendPack(table: PackTable, envelopes: readonly Buffer[], sessionId: string): Promise<{ recorded: Promise<UploadedResult[]> }>;
}
