/**
 * End-to-end encryption across two Hearth servers with real clients (matrix-js-sdk's Rust crypto,
 * `support/e2ee.ts`): Alice on hs1 and Bob on hs2 share an encrypted room. Keys are queried and
 * claimed over `/user/keys/query` and `/user/keys/claim`, room keys travel as Olm-encrypted
 * to-device messages (`m.direct_to_device` EDUs), device changes as `m.device_list_update`.
 */
import type { MatrixClient } from "matrix-js-sdk";
import { afterAll, beforeAll, describe, it } from "vitest";
import { cryptoClient, encryptedExchange } from "../support/e2ee.js";
import { FederationCluster } from "./harness.js";

describe("end-to-end encryption across servers", () => {
  const cluster = new FederationCluster({ nodes: 2, firstHost: 50 });
  const clients: MatrixClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await cluster.cleanup();
  });
  beforeAll(() => cluster.start(), 120_000);

  it("users of two servers exchange messages in an encrypted room that each side decrypts", async () => {
    const alice = await cryptoClient(await cluster.register(cluster.node(1), "alice"));
    const bob = await cryptoClient(await cluster.register(cluster.node(2), "bob"));
    clients.push(alice, bob);
    await encryptedExchange(alice, bob);
  }, 120_000);
});
