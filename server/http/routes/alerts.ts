// Alerts: a studio's list and settings (owners and staff; settings are changed by owners and
// admins), support's queue and resend. user-auth has checked studio membership (404 otherwise).
import {
  alertIdParams,
  alertListQuery,
  alertSettingsBody,
  alertSnoozeBody,
  studioAlertParams,
  supportAlertsQuery,
} from "../../../protocol/alerts.ts";
import { studioIdParams } from "../../../protocol/people.ts";
import type { Ctx } from "../../context.ts";
import { listStudioAlerts, resendAlert, supportQueue } from "../../services/alerts/queries.ts";
import { alertSettings, rotateWebhookSecret, updateAlertSettings } from "../../services/alerts/settings.ts";
import { snoozeAlert } from "../../services/alerts/snooze.ts";
import { presentAlert } from "../alert-presenters.ts";
import { actorOf, user } from "../middleware/user-auth.ts";
import type { Mount } from "../route-table.ts";

export function alertRoutes(mount: Mount, ctx: Ctx): void {
  mount("studioAlerts", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const q = alertListQuery.parse(req.query);
    res.json({ alerts: (await listStudioAlerts(ctx, studioId, q)).map(presentAlert) });
  });

  mount("studioAlertSnooze", async (req, res) => {
    const { studioId, alertId } = studioAlertParams.parse(req.params);
    const { hours } = alertSnoozeBody.parse(req.body ?? {});
    res.json(presentAlert(await snoozeAlert(ctx, actorOf(req, user(res)), { alertId, studioId, hours })));
  });

  mount("studioAlertSettings", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.json(await alertSettings(ctx, studioId));
  });

  mount("studioAlertSettingsUpdate", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    const body = alertSettingsBody.parse(req.body ?? {});
    res.json(await updateAlertSettings(ctx, actorOf(req, user(res)), studioId, body));
  });

  mount("studioWebhookSecret", async (req, res) => {
    const { studioId } = studioIdParams.parse(req.params);
    res.status(201).json(await rotateWebhookSecret(ctx, actorOf(req, user(res)), studioId));
  });

  mount("supportAlerts", async (req, res) => {
    const q = supportAlertsQuery.parse(req.query);
    res.json({ alerts: (await supportQueue(ctx, q)).map((a) => ({ ...presentAlert(a), studioName: a.studio?.name ?? null })) });
  });

  mount("supportAlertSnooze", async (req, res) => {
    const { alertId } = alertIdParams.parse(req.params);
    const { hours } = alertSnoozeBody.parse(req.body ?? {});
    res.json(presentAlert(await snoozeAlert(ctx, actorOf(req, user(res)), { alertId, hours })));
  });

  mount("supportAlertResend", async (req, res) => {
    const { alertId } = alertIdParams.parse(req.params);
    res.json(await resendAlert(ctx, actorOf(req, user(res)), alertId));
  });
}
