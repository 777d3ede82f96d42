/** The federation routes of transactions and membership (joins, leaves, invites). */
import type { FederationRoute } from "../../federation/route.js";
import type { InboundService } from "../../services/federation/inbound/inbound-service.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";
import { receiveInvite } from "./invite.js";
import { makeJoin } from "./make-join.js";
import { makeKnock } from "./make-knock.js";
import { makeLeave } from "./make-leave.js";
import { sendJoin } from "./send-join.js";
import { sendKnock } from "./send-knock.js";
import { sendLeave } from "./send-leave.js";
import { sendTransaction } from "./send-transaction.js";

/** Transactions, joins, leaves and invites. */
export function membershipRoutes(
  inbound: InboundService,
  membership: FederatedMembership,
): FederationRoute[] {
  return [
    sendTransaction(inbound),
    makeJoin(membership),
    sendJoin(membership),
    makeLeave(membership),
    sendLeave(membership),
    receiveInvite(membership),
    makeKnock(membership),
    sendKnock(membership),
  ];
}
