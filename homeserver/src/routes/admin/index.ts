/** Admin routes (Synapse-compatible where it makes sense). */
import type { Route } from "../../http/route.js";
import type { AccountService } from "../../services/accounts/account-service.js";
import type { SharedSecretRegistration } from "../../services/accounts/shared-secret.js";
import { getRegisterNonceRoute } from "./get-register-nonce.js";
import { registerWithSharedSecretRoute } from "./register-with-shared-secret.js";

/** The shared-secret registration routes. */
export function sharedSecretRoutes(deps: {
  readonly accounts: AccountService;
  readonly sharedSecret: SharedSecretRegistration;
}): Route[] {
  return [getRegisterNonceRoute(deps.sharedSecret), registerWithSharedSecretRoute(deps)];
}
