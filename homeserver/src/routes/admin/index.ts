/** Admin routes (Synapse-compatible where it makes sense). */
import type { Route } from "../../http/route.js";
import type { AccountService } from "../../services/accounts/account-service.js";
import type { SharedSecretRegistration } from "../../services/accounts/shared-secret.js";
import { createRegistrationTokenRoute } from "./create-registration-token.js";
import { getRegisterNonceRoute } from "./get-register-nonce.js";
import { registerWithSharedSecretRoute } from "./register-with-shared-secret.js";

/** The admin routes: shared-secret registration and registration tokens. */
export function adminRoutes(deps: {
  readonly accounts: AccountService;
  readonly sharedSecret: SharedSecretRegistration;
  readonly now: () => number;
}): Route[] {
  return [
    getRegisterNonceRoute(deps.sharedSecret),
    registerWithSharedSecretRoute(deps),
    createRegistrationTokenRoute(deps),
  ];
}
