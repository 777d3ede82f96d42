export { decodeBase64, encodeBase64, encodeBase64Url } from "./base64.js";
export {
  type Ed25519Backend,
  fastestEd25519,
  generateSigningKey,
  naclEd25519,
  nodeEd25519,
  type SigningKey,
  signingKeyFromSeed,
  sodiumEd25519,
} from "./ed25519.js";
export { sha256 } from "./hash.js";
export { signedPart, signJson, verifyJson } from "./sign-json.js";
