/** Accounts: registration, login, tokens, devices, passwords, deactivation, profiles. */
export {
  type AccountEffects,
  AccountService,
  type AccountServiceDeps,
  type AccountServiceOptions,
  type AdminChecker,
  type DeviceInfo,
  type LoginResult,
  type ProfileReader,
  type RegisterResult,
  type UserProfile,
} from "./account-service.js";
export { type AccountsModule, accountsModule } from "./module.js";
export { DEFAULT_SCRYPT_PARAMS, hashPassword, type ScryptParams, verifyPassword } from "./passwords.js";
export { SharedSecretRegistration, sharedSecretMac } from "./shared-secret.js";
export { UiaChallenge, type UiaRequest, type UiaResult, UserInteractiveAuth } from "./uia.js";
