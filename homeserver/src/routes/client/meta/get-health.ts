// GET /health — Hearth's health check (not in the Matrix spec; Synapse serves the same path). 200
// `{"status":"ok"}` while the server answers and its storage takes synced writes; 503 with the reason
// otherwise. The Docker image's health check calls it. Documented in the README ("Health").
import type { Route } from "../../../http/route.js";
import type { HealthService } from "../../../services/health/health-service.js";

/** `GET /health`. */
export function getHealthRoute(health: HealthService): Route {
  return {
    method: "GET",
    paths: ["/health"],
    auth: "none",
    async handler() {
      const result = await health.check();
      if (result.ok) return { body: { status: "ok" }, headers: { "Cache-Control": "no-store" } };
      return {
        status: 503,
        headers: { "Cache-Control": "no-store" },
        body: {
          status: "unavailable",
          errcode: "M_UNKNOWN",
          error: result.reason,
          since: new Date(result.since).toISOString(),
          restart_required: result.restartRequired,
        },
      };
    },
  };
}
