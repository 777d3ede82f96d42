// GET /_matrix/federation/unstable/org.hearth.gossip/record — Hearth's gossip identity record
// (`specs/gossip.md`, "Identity binding"): our libp2p peer ID and addresses, signed with our Matrix
// signing key. Public, like `/_matrix/key/v2/server`. Served only while gossip is on.
import { GOSSIP_RECORD_PATH, MatrixError } from "@hearth/federation";
import { type FederationRoute, ok } from "../../federation/route.js";
import type { GossipService } from "../../services/gossip/gossip-service.js";

/** `GET` {@link GOSSIP_RECORD_PATH}. */
export function getGossipRecordRoute(gossip: Pick<GossipService, "record">): FederationRoute {
  return {
    method: "GET",
    paths: [GOSSIP_RECORD_PATH],
    auth: "none",
    handler() {
      const record = gossip.record();
      if (!record) throw new MatrixError("M_UNKNOWN", "Gossip is starting", {}, 503);
      return ok(record);
    },
  };
}
