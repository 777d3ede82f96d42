// GET /_synapse/admin/v1/register — Synapse admin API, "Shared-Secret Registration" (not Matrix spec).
import { ok, type Route } from "../../http/route.js";
import type { SharedSecretRegistration } from "../../services/accounts/shared-secret.js";

/** `GET /_synapse/admin/v1/register`: a single-use nonce for shared-secret registration. */
export function getRegisterNonceRoute(sharedSecret: SharedSecretRegistration): Route {
  return {
    method: "GET",
    paths: ["/_synapse/admin/v1/register"],
    auth: "none",
    handler: () => ok({ nonce: sharedSecret.newNonce() }),
  };
}
