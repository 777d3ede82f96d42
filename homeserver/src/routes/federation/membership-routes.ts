/** The federation routes of transactions and membership (joins, leaves, invites). */
import type { FederationRoute } from "../../federation/route.js";
import type { InboundService } from "../../services/federation/inbound/inbound-service.js";
import type { FederatedMembership } from "../../services/federation/membership/membership-service.js";
import { receiveInvite, receiveInviteV1 } from "./invite.js";
import { makeJoin } from "./make-join.js";
import { makeKnock } from "./make-knock.js";
import { makeLeave } from "./make-leave.js";
import { sendJoin, sendJoinV1 } from "./send-join.js";
import { sendKnock } from "./send-knock.js";
import { sendLeave, sendLeaveV1 } from "./send-leave.js";
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
    sendJoinV1(membership),
    makeLeave(membership),
    sendLeave(membership),
    sendLeaveV1(membership),
    receiveInvite(membership),
    receiveInviteV1(membership),
    makeKnock(membership),
    sendKnock(membership),
  ];
}
