// POST /_synapse/admin/v1/registration_tokens/new — Synapse admin API, "Registration Tokens: Create
// token" (not Matrix spec). `hearth create-registration-token --url … --access-token …` calls it.
import { randomInt } from "node:crypto";
import { MatrixError } from "@hearth/federation";
import { ok, type Route } from "../../http/route.js";
import type { AccountService } from "../../services/accounts/account-service.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * `POST /_synapse/admin/v1/registration_tokens/new`: a server admin creates a registration token.
 * Body (each optional): `token` (default: random of `length`, 1–64, default 16), `uses_allowed` (an
 * integer ≥ 0 or null for unlimited), `expiry_time` (ms since the epoch, not in the past, or null).
 * Answers the token object `{token, uses_allowed, pending, completed, expiry_time}`; 403 `M_FORBIDDEN`
 * for a requester who is not an admin.
 */
export function createRegistrationTokenRoute(deps: {
  readonly accounts: AccountService;
  readonly now: () => number;
}): Route {
  return {
    method: "POST",
    paths: ["/_synapse/admin/v1/registration_tokens/new"],
    auth: "required",
    async handler(req) {
      const requester = req.user();
      if (!(await deps.accounts.isAdmin(requester.userId))) {
        throw new MatrixError("M_FORBIDDEN", "You are not a server admin");
      }
      const body = await req.json();
      const token = body.token ?? undefined;
      if (token !== undefined && typeof token !== "string") {
        throw new MatrixError("M_INVALID_PARAM", "token must be a string");
      }
      const length = integer(body, "length", 1, 64) ?? 16;
      const usesAllowed = integer(body, "uses_allowed", 0, Number.MAX_SAFE_INTEGER) ?? null;
      const expiryTime = integer(body, "expiry_time", 0, Number.MAX_SAFE_INTEGER) ?? null;
      if (expiryTime !== null && expiryTime < deps.now()) {
        throw new MatrixError("M_INVALID_PARAM", "expiry_time must not be in the past");
      }
      const record = await deps.accounts.createRegistrationToken({
        token: token ?? randomToken(length),
        usesAllowed,
        expiryTs: expiryTime,
      });
      return ok({
        token: record.token,
        uses_allowed: record.usesAllowed,
        // NOTSPEC: Synapse counts registrations in progress with a token as `pending`; Hearth checks a
        // token's uses when a registration completes and holds none in reserve, so this is always 0.
        pending: 0,
        completed: record.completed,
        expiry_time: record.expiryTs,
      });
    },
  };
}

/** An optional integer field (null counts as absent); `M_INVALID_PARAM` otherwise, as Synapse answers. */
function integer(body: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new MatrixError("M_INVALID_PARAM", `${field} must be an integer between ${min} and ${max}`);
  }
  return v;
}

function randomToken(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
