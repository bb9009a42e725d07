// S3 Object Lock mode (docs/garbage-collection.md, "Object Lock"; S3_OBJECT_LOCK_DAYS). Decided
// when the bucket is created: lock can only be enabled then, and the bucket is versioned from then
// on. Every object the server writes carries a GOVERNANCE retention of `days` (with Content-MD5,
// which S3 requires for locked PUTs and which put() sends anyway). A plain DELETE of a versioned
// key only adds a delete marker, so deleting means deleting each version by id; a version whose
// retention has not passed is never sent a DELETE (BlobLockedError instead): the collector keeps
// its record and tries again on a later run. Bypassing GOVERNANCE is an operator's right, held by
// a key the API must not have (s3:BypassGovernanceRetention denied to the API's user).
import {
  DeleteObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { BlobLockedError, StorageAuthError, StorageUnavailableError, StorageUnknownError } from "./errors.ts";
import { translateError } from "./s3-errors.ts";

export class S3ObjectLock {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly days: number,
  ) {}

  /** The retention fields of a PUT: locked for `days` from now. */
  putFields(now = new Date()): { ObjectLockMode: "GOVERNANCE"; ObjectLockRetainUntilDate: Date } {
    return { ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: new Date(now.getTime() + this.days * 86_400_000) };
  }

  /** An existing bucket must have been created with lock enabled: it cannot be turned on later. */
  async checkBucket(): Promise<void> {
    let enabled: string | undefined;
    try {
      const out = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      enabled = out.ObjectLockConfiguration?.ObjectLockEnabled;
    } catch (e) {
      // ObjectLockConfigurationNotFoundError: no lock. Only a failure to ask is passed on.
      const err = translateError(e, `bucket ${this.bucket}`);
      if (err instanceof StorageUnavailableError || err instanceof StorageAuthError) throw err;
    }
    if (enabled !== "Enabled") {
      throw new StorageUnknownError(
        `bucket ${this.bucket} has no Object Lock, which can only be enabled when a bucket is created: use a new bucket for S3_OBJECT_LOCK_DAYS, or unset it`,
      );
    }
  }

  /** Deletes every version and delete marker of `key`, unless a version is still locked. */
  async delete(key: string): Promise<void> {
    const versions: Array<{ id: string; marker: boolean }> = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, KeyMarker, VersionIdMarker }),
        );
        for (const v of page.Versions ?? []) if (v.Key === key && v.VersionId) versions.push({ id: v.VersionId, marker: false });
        for (const m of page.DeleteMarkers ?? []) if (m.Key === key && m.VersionId) versions.push({ id: m.VersionId, marker: true });
        KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
      } while (KeyMarker);
      const now = Date.now();
      for (const v of versions.filter((x) => !x.marker)) {
        const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: v.id }));
        const until = head.ObjectLockRetainUntilDate;
        if (until && until.getTime() > now) throw new BlobLockedError(key, until);
      }
      // Versions first, markers last: a crash in between leaves a marker, deleted next time.
      for (const v of [...versions.filter((x) => !x.marker), ...versions.filter((x) => x.marker)]) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: v.id }));
      }
    } catch (e) {
      if (e instanceof BlobLockedError) throw e;
      throw translateError(e, key);
    }
  }
}
