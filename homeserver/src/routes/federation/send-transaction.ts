// PUT /_matrix/federation/v1/send/{txnId} ("Transactions")
import { type FederationRoute, federationPath, ok } from "../../federation/route.js";
import type { InboundService } from "../../services/federation/inbound/inbound-service.js";

/** `PUT /send/{txnId}`: PDUs and EDUs from another server; per-PDU results. */
export function sendTransaction(inbound: InboundService): FederationRoute {
  return {
    method: "PUT",
    paths: [federationPath("/send/:txnId")],
    auth: "x-matrix",
    async handler(req) {
      const results = await inbound.handleTransaction(req.origin, req.param("txnId"), await req.json());
      return ok({ pdus: results });
    },
  };
}
