// The TOTP second factor (issue 19), for any signed-in person (support and admin are meant to
// use it; owners may). Enrollment: POST /v1/me/totp answers a new secret and its otpauth:// URI,
// shown this once; POST /v1/me/totp/confirm with a current code puts it in force and answers the
// recovery codes, shown this once. From then on, sign-in needs `totp` (a current 6-digit code,
// each accepted once) or `recoveryCode` (each works once) next to the password: without either
// the answer is 401 TOTP_REQUIRED, with a wrong one 401 INVALID_CREDENTIALS.
import { z } from "zod";

export const totpCode = z.string().regex(/^[0-9]{6}$/, "six digits");
export const recoveryCode = z.string().trim().min(10).max(20);
export const totpEnrollmentView = z.object({ secret: z.string(), otpauthUri: z.string() });
export const totpConfirmBody = z.object({ code: totpCode });
export const recoveryCodesView = z.object({ recoveryCodes: z.array(z.string()) });
