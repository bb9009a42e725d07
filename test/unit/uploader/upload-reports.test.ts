// UploadReports batches direct-upload reports and hands each chunk its own result.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { UploadedReport, UploadedResult } from "../../../server/http/schemas.ts";
import { ApiError } from "../../../uploader/api/http.ts";
import { UploadReports } from "../../../uploader/api/upload-reports.ts";

const report = (i: number): UploadedReport => ({ id: i.toString(16).padStart(64, "0"), key: `k${i}`, sha256: "0".repeat(64) });

describe("UploadReports", () => {
  it("sends at most 32 reports a request, waiting briefly for company", async () => {
    const sizes: number[] = [];
    const reports = new UploadReports(async (batch) => {
      sizes.push(batch.length);
      return batch.map((r): UploadedResult => ({ id: r.id, stored: !r.key.endsWith("7"), size: 1 }));
    });
    const results = await Promise.all(Array.from({ length: 70 }, (_, i) => reports.report(report(i))));
    assert.deepEqual(sizes, [32, 32, 6]);
    assert.deepEqual(results.map((s, i) => s === !String(`k${i}`).endsWith("7")), Array(70).fill(true));
  });

  it("fails only the refused chunk, and every chunk of a failed request", async () => {
    const refusing = new UploadReports(async (batch) => batch.map((r, i): UploadedResult => (i === 1 ? { id: r.id, status: 409, error: { code: "UPLOAD_NOT_FOUND", message: "no" } } : { id: r.id, stored: true, size: 1 })));
    const [a, b] = [refusing.report(report(1)), refusing.report(report(2))];
    assert.equal(await a, true);
    await assert.rejects(b, (err: unknown) => err instanceof ApiError && err.code === "UPLOAD_NOT_FOUND" && err.status === 409);
    const down = new UploadReports(() => Promise.reject(new Error("unreachable")));
    await assert.rejects(Promise.all([down.report(report(1)), down.report(report(2))]), /unreachable/);
  });
});
