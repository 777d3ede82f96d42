export { decodeBase64, encodeBase64, encodeBase64Url } from "./base64.js";
export {
  type Ed25519Backend,
  generateSigningKey,
  naclEd25519,
  nodeEd25519,
  type SigningKey,
  signingKeyFromSeed,
} from "./ed25519.js";
export { sha256 } from "./hash.js";
export { signedPart, signJson, verifyJson } from "./sign-json.js";
