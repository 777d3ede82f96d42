/**
 * The paths the key routes answer at. The end-to-end encryption endpoints were served under
 * `/_matrix/client/unstable` before Matrix 1.1 stabilised them (MSC1756 cross-signing, MSC1219 key
 * backups), and clients still call those paths: matrix-js-sdk 37 uploads cross-signing keys to
 * `/_matrix/client/unstable/keys/device_signing/upload`, SyTest uses the unstable cross-signing
 * paths, and ruma-based clients fall back to the unstable backup paths. As Synapse, every key
 * endpoint is served at v3, r0 and unstable.
 */
import { clientPaths } from "../../../http/route.js";

/** `/_matrix/client/{v3,r0,unstable}` + path. */
export function keyPaths(path: string): string[] {
  return [...clientPaths(path), `/_matrix/client/unstable${path}`];
}
