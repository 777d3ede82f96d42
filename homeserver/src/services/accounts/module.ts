/**
 * The accounts module: builds the account service, user-interactive auth and shared-secret
 * registration from the module context, and the routes that expose them.
 */
import type { TokenAuthenticator } from "../../http/app.js";
import type { Route } from "../../http/route.js";
import { adminRoutes } from "../../routes/admin/index.js";
import { accountRoutes } from "../../routes/client/account/index.js";
import type { AccountRouteDeps } from "../../routes/client/accounts-deps.js";
import { deviceRoutes } from "../../routes/client/devices/index.js";
import { profileRoutes } from "../../routes/client/profile/index.js";
import { registrationRoutes } from "../../routes/client/registration/index.js";
import { sessionRoutes } from "../../routes/client/session/index.js";
import type { ModuleContext } from "../../server.js";
import { accountStorage } from "../../storage/accounts.js";
import { type AccountEffects, AccountService, type AccountServiceOptions } from "./account-service.js";
import { SharedSecretRegistration } from "./shared-secret.js";
import { UserInteractiveAuth } from "./uia.js";

/** What the accounts module gives the server. */
export interface AccountsModule {
  readonly routes: Route[];
  readonly authenticator: TokenAuthenticator;
  readonly accounts: AccountService;
  /** User-interactive auth, for other modules' endpoints that ask for it. */
  readonly uia: UserInteractiveAuth;
}

/** Builds the accounts module. `options` tune the service (tests use them for a fake clock, etc.). */
export function accountsModule(
  ctx: ModuleContext,
  effects: AccountEffects,
  options: AccountServiceOptions = {},
): AccountsModule {
  const storage = accountStorage(ctx.db);
  const accounts = new AccountService({
    db: ctx.db,
    storage,
    serverName: ctx.config.serverName,
    now: ctx.now,
    effects,
    options: {
      onEffectError: (err, effect, userId) =>
        ctx.logger.error({ err, effect, userId }, "account effect failed"),
      ...options,
    },
  });
  const uia = new UserInteractiveAuth(ctx.db, storage.uiaSessions, accounts, ctx.now);
  const sharedSecret = new SharedSecretRegistration(ctx.config.registrationSharedSecret, ctx.now);
  const deps: AccountRouteDeps = {
    accounts,
    uia,
    registration: ctx.config.registration,
    allowGuestAccess: ctx.config.allowGuestAccess,
    serverName: ctx.config.serverName,
    ...(effects.remoteProfile ? { remoteProfile: (userId: string) => effects.remoteProfile!(userId) } : {}),
  };
  return {
    routes: [
      ...registrationRoutes(deps),
      ...sessionRoutes(deps),
      ...accountRoutes(deps),
      ...deviceRoutes(deps),
      ...profileRoutes(deps),
      ...adminRoutes({ accounts, sharedSecret, now: ctx.now }),
    ],
    authenticator: accounts,
    accounts,
    uia,
  };
}
