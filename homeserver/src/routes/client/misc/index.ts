/**
 * Endpoints clients call at start or from their settings that have little to do here, answered
 * honestly rather than with 404:
 * - `GET /account/3pid`: this server keeps no third-party identifiers (email, phone), so none;
 * - `GET /thirdparty/protocols`: no bridges (application services), so no protocols;
 * - `GET /voip/turnServer`: no TURN server is configured, so `{}` (as Synapse answers then);
 * - `POST /rooms/{roomId}/report/{eventId}` and `POST /rooms/{roomId}/report` ("Reporting
 *   content"): kept for the server's administrators (and logged).
 */
import { MatrixError } from "@hearth/federation";
import { clientPaths, ok, type RequestContext, type Route } from "../../../http/route.js";
import { optionalString } from "../../../http/validate.js";
import type { ReportService } from "../../../services/rooms/report-service.js";
import { roomIdParam } from "../rooms/parse.js";

/** The routes. */
export function miscRoutes(reports: ReportService): Route[] {
  const report = async (req: RequestContext, eventId: string | undefined) => {
    const body = await req.json();
    const score = body.score;
    if (score !== undefined && typeof score !== "number")
      throw new MatrixError("M_INVALID_PARAM", "score must be a number");
    const reason = optionalString(body, "reason", 1000);
    await reports.report(req.user().userId, roomIdParam(req.param("roomId")), eventId, {
      ...(reason !== undefined ? { reason } : {}),
      ...(score !== undefined ? { score } : {}),
    });
    return ok({});
  };
  return [
    {
      method: "GET",
      paths: clientPaths("/account/3pid"),
      auth: "required",
      handler: () => ok({ threepids: [] }),
    },
    {
      method: "GET",
      paths: clientPaths("/thirdparty/protocols"),
      auth: "required",
      guest: true,
      handler: () => ok({}),
    },
    {
      method: "GET",
      paths: clientPaths("/voip/turnServer"),
      auth: "required",
      guest: true,
      handler: () => ok({}),
    },
    {
      method: "POST",
      paths: clientPaths("/rooms/:roomId/report/:eventId"),
      auth: "required",
      rateLimit: "message",
      handler: (req) => report(req, req.param("eventId")),
    },
    {
      method: "POST",
      paths: clientPaths("/rooms/:roomId/report"),
      auth: "required",
      rateLimit: "message",
      handler: (req) => report(req, undefined),
    },
  ];
}
