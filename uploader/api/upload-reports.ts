// Batches the uploader's "I stored this object" reports of direct uploads (POST
// /v1/chunks/uploaded): one API request per up to MAX_REPORTS_PER_REQUEST chunks instead of one
// each. A report waits at most `delayMs` for company; the object is already in the bucket, so the
// wait holds no upload slot and no chunk bytes.
import { MAX_REPORTS_PER_REQUEST, type UploadedReport, type UploadedResult } from "../../server/http/schemas.ts";
import { ApiError } from "./http.ts";

interface Waiting {
  report: UploadedReport;
  resolve: (stored: boolean) => void;
  reject: (err: unknown) => void;
}

export class UploadReports {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (reports: UploadedReport[]) => Promise<UploadedResult[]>,
    private readonly delayMs = 10,
  ) {}

  /** Resolves true if the server recorded the object, false if the studio had the chunk already. */
  report(report: UploadedReport): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ report, resolve, reject });
      if (this.waiting.length >= MAX_REPORTS_PER_REQUEST) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.waiting;
    this.waiting = [];
    if (!batch.length) return;
    this.send(batch.map((w) => w.report)).then(
      (results) => {
        const byId = new Map(results.map((r) => [r.id, r]));
        for (const w of batch) {
          const r = byId.get(w.report.id);
          if (!r) w.reject(new ApiError(502, "BAD_RESPONSE", `no result for chunk ${w.report.id}`));
          else if ("error" in r) w.reject(new ApiError(r.status, r.error.code, r.error.message));
          else w.resolve(r.stored);
        }
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err);
      },
    );
  }
}
