// Enrollment: the only /v1 routes authenticated by a one-use token instead of a device credential.
import { Router } from "express";
import type { Ctx } from "../../context.ts";
import { enrollDevice, lookupEnrollment } from "../../services/enrollment.ts";
import { enrollBody, enrollmentLookupBody } from "../schemas.ts";

export function enrollmentRoutes(ctx: Ctx): Router {
  const r = Router();
  r.post("/enrollments/lookup", async (req, res) => {
    const { token } = enrollmentLookupBody.parse(req.body);
    res.json(await lookupEnrollment(ctx, token));
  });
  r.post("/enrollments", async (req, res) => {
    res.status(201).json(await enrollDevice(ctx, enrollBody.parse(req.body)));
  });
  return r;
}
