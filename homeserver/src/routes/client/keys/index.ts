/**
 * End-to-end encryption key routes (Client-Server API, "Key management API", "Cross-signing"):
 * POST /keys/upload, /keys/query, /keys/claim, GET /keys/changes, POST /keys/device_signing/upload,
 * /keys/signatures/upload.
 */
import { MatrixError } from "@hearth/federation";
import { ok, type Route } from "../../../http/route.js";
import { optionalObject } from "../../../http/validate.js";
import type { UserInteractiveAuth } from "../../../services/accounts/uia.js";
import type { E2eKeyService } from "../../../services/e2e-keys/e2e-key-service.js";
import { parseSyncToken } from "../../../services/sync/tokens.js";
import { keyPaths } from "./paths.js";

/** What the key routes need. */
export interface KeyRouteDeps {
  readonly keys: E2eKeyService;
  readonly uia: UserInteractiveAuth;
  /**
   * Between two device-list positions: users sharing a room with `viewer` whose keys changed (or
   * who newly share one), and users it no longer shares any room with.
   */
  readonly changes: (
    viewer: string,
    after: number,
    upTo: number,
  ) => Promise<{ changed: string[]; left: string[] }>;
}

/** Every key route. */
export function keyRoutes(deps: KeyRouteDeps): Route[] {
  const { keys } = deps;
  return [
    {
      method: "POST",
      paths: keyPaths("/keys/upload"),
      auth: "required",
      guest: true,
      async handler(req) {
        const user = req.user();
        return ok(await keys.upload(user.userId, user.deviceId, await req.json()));
      },
    },
    {
      method: "POST",
      paths: keyPaths("/keys/query"),
      auth: "required",
      guest: true,
      handler: async (req) => ok(await keys.query(req.user().userId, await req.json())),
    },
    {
      method: "POST",
      paths: keyPaths("/keys/claim"),
      auth: "required",
      guest: true,
      handler: async (req) => ok(await keys.claim(await req.json())),
    },
    {
      method: "GET",
      paths: keyPaths("/keys/changes"),
      auth: "required",
      guest: true,
      async handler(req) {
        const from = req.c.req.query("from");
        const to = req.c.req.query("to");
        if (!from || !to) throw new MatrixError("M_MISSING_PARAM", "from and to are required");
        const after = parseSyncToken(from, "from").deviceLists;
        const upTo = parseSyncToken(to, "to").deviceLists;
        return ok(await deps.changes(req.user().userId, after, upTo));
      },
    },
    {
      method: "POST",
      paths: keyPaths("/keys/device_signing/upload"),
      auth: "required",
      async handler(req) {
        const user = req.user();
        const body = await req.json();
        if (await keys.crossSigningUploadNeedsAuth(user.userId, body)) {
          await deps.uia.authenticate(optionalObject(body, "auth"), {
            op: "device_signing_upload",
            userId: user.userId,
            flows: [["m.login.password"]],
          });
        }
        await keys.uploadCrossSigning(user.userId, body);
        return ok({});
      },
    },
    {
      method: "POST",
      paths: keyPaths("/keys/signatures/upload"),
      auth: "required",
      guest: true,
      handler: async (req) => ok(await keys.uploadSignatures(req.user().userId, await req.json())),
    },
  ];
}
