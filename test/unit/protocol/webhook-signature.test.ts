// Alert webhooks are signed as Standard Webhooks specifies, so a studio's existing receiver
// library verifies them: the published test vector must reproduce exactly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signWebhook, verifyWebhook } from "../../../protocol/webhook-signature.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

describe("webhook signature", () => {
  it("reproduces the Standard Webhooks test vector", () => {
    assert.equal(signWebhook(SECRET, ID, TS, BODY), EXPECTED);
  });

  it("verifies, and refuses a tampered body, another id, an old or future timestamp, missing headers", () => {
    const h = { id: ID, timestamp: String(TS), signature: EXPECTED };
    assert.equal(verifyWebhook(SECRET, h, BODY, TS + 299), "ok");
    assert.equal(verifyWebhook(SECRET, h, BODY.replace("2", "3"), TS), "bad-signature");
    assert.equal(verifyWebhook(SECRET, { ...h, id: "msg_other" }, BODY, TS), "bad-signature");
    assert.equal(verifyWebhook(SECRET, h, BODY, TS + 301), "stale-timestamp");
    assert.equal(verifyWebhook(SECRET, h, BODY, TS - 301), "stale-timestamp");
    assert.equal(verifyWebhook(SECRET, { ...h, signature: null }, BODY, TS), "missing-headers");
    assert.equal(verifyWebhook("whsec_" + Buffer.alloc(32).toString("base64"), h, BODY, TS), "bad-signature");
  });

  it("accepts any one of several signatures (a rotation)", () => {
    const h = { id: ID, timestamp: String(TS), signature: `v1,bm9wZQ== ${EXPECTED}` };
    assert.equal(verifyWebhook(SECRET, h, BODY, TS), "ok");
  });
});
