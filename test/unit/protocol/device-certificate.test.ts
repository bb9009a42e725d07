// The certificate bytes both sides share (protocol/device-certificate.ts), held to the FORMAT.md
// test vector: the server's own check (services/device-certificate.ts, node:crypto, no format
// import) accepts the vector certificate the format tests produce, and nothing altered.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEVICE_CERT_PREFIX, deviceCertificateBytes } from "../../../protocol/device-certificate.ts";
import { AppError } from "../../../server/errors.ts";
import { checkDeviceCertificate } from "../../../server/services/device-certificate.ts";

// FORMAT.md §8: studio sign seed seq(0x60), device seed seq(0xc0).
const STUDIO_SIGN_PUBLIC = Buffer.from("174553b456dddfc6908ecab1c101fe6ab21e2baa0617795b7d43a63482993fd5", "hex").toString("base64");
const VECTOR = {
  studioId: "studio-test",
  deviceName: "front-desk",
  signPublicKey: "3eO8zsfzpmoRFfRdcg9NwTXDrnxOItyjj9se/WpJX/g=",
  issuedAt: "2025-01-01T00:00:00.000Z",
  signature: "fDXkxjc8h2lGWyXLdzUfjdVO1pipPHvNGUieSfsH3o0CcJlgMoxvCOXrv/gAUTcJ3V3D+cMkc+UnAwPqC8StAg==",
};
const keyset = { version: 1, signPublicKey: STUDIO_SIGN_PUBLIC };
const expected = { studioId: VECTOR.studioId, deviceName: VECTOR.deviceName, signPublicKey: VECTOR.signPublicKey };

function refused(fn: () => void, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof AppError && err.code === code);
}

describe("device certificate (protocol)", () => {
  it("joins the fields under the domain prefix, and refuses fields that would make the join ambiguous", () => {
    const bytes = deviceCertificateBytes(VECTOR);
    assert.equal(
      Buffer.from(bytes!).toString("utf8"),
      `${DEVICE_CERT_PREFIX}studio-test\nfront-desk\n${VECTOR.signPublicKey}\n2025-01-01T00:00:00.000Z`,
    );
    assert.equal(deviceCertificateBytes({ ...VECTOR, deviceName: "a\nb" }), null);
    assert.equal(deviceCertificateBytes({ ...VECTOR, studioId: "" }), null);
    assert.equal(deviceCertificateBytes({ ...VECTOR, issuedAt: "x\0" }), null);
  });

  it("the server accepts the FORMAT.md vector certificate under the vector studio key", () => {
    checkDeviceCertificate(keyset, VECTOR, expected);
  });

  it("the server refuses an altered, mismatched, forged or malformed certificate", () => {
    refused(() => checkDeviceCertificate(keyset, { ...VECTOR, issuedAt: "2025-01-02T00:00:00.000Z" }, expected), "CERTIFICATE_INVALID");
    refused(() => checkDeviceCertificate(keyset, VECTOR, { ...expected, deviceName: "other-pc" }), "CERTIFICATE_INVALID");
    refused(() => checkDeviceCertificate(keyset, VECTOR, { ...expected, studioId: "another-studio" }), "CERTIFICATE_INVALID");
    const otherKey = { version: 1, signPublicKey: Buffer.alloc(32, 7).toString("base64") };
    refused(() => checkDeviceCertificate(otherKey, VECTOR, expected), "CERTIFICATE_INVALID");
    refused(() => checkDeviceCertificate(keyset, { ...VECTOR, signature: "AAAA" }, expected), "CERTIFICATE_INVALID");
    refused(() => checkDeviceCertificate(keyset, { garbage: true }, expected), "CERTIFICATE_INVALID");
    refused(() => checkDeviceCertificate({ version: 1 }, VECTOR, expected), "VALIDATION_FAILED");
  });
});
