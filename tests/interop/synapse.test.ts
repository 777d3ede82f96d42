/**
 * Interoperability with a real Synapse over the signed server-server API (see `synapse.ts` for how
 * a Synapse is found; without one the suite skips and says why).
 *
 * One Hearth node and one Synapse share rooms both ways: a Synapse user joins a Hearth room by
 * alias, a Hearth user joins a Synapse room by ID; messages, state changes, invites (accepted and
 * rejected), leaves, profiles, typing and receipts cross in both directions. Rooms are version 10,
 * the newest older Synapse releases know; a version-11 room is refused by such a Synapse with
 * `M_INCOMPATIBLE_ROOM_VERSION`, which Hearth must pass on.
 */
import { generateKeyPairSync } from "node:crypto";
import type { MatrixClient } from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, FederationCluster } from "../federation/harness.js";
import { enc, joinedMembers, messageIds, syncUntil } from "../federation/scenario-helpers.js";
import { cryptoClient, encryptedExchange } from "../support/e2ee.js";
import { allMessages, createRoom, expectStatus, sendText, type UserClient } from "../support/matrix.js";
import { findSynapse, SynapseServer } from "./synapse.js";

/** A fresh Ed25519 public key in unpadded standard base64, as Matrix writes keys. */
function publicKey(): string {
  const { publicKey: key } = generateKeyPairSync("ed25519");
  const x = key.export({ format: "jwk" }).x!;
  return Buffer.from(x, "base64url").toString("base64").replace(/=+$/, "");
}

const synapse = findSynapse();
const missing = "missing" in synapse ? synapse.missing : undefined;
if (missing) console.warn(`Synapse interoperability tests skipped: ${missing}`);

/** Generous: Synapse batches and retries on its own timers. */
const CROSS_MS = 20_000;

describe.skipIf(missing !== undefined)("interoperability with a real Synapse", () => {
  const cluster = new FederationCluster({ nodes: 1, firstHost: 40 });
  let syn: SynapseServer;
  let alice: UserClient; // on Hearth
  let sam: UserClient; // on Synapse
  let shared = ""; // the Hearth room both are in (first test)
  const clients: MatrixClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.stopClient();
    await syn?.keepHearthLogs(cluster.nodes);
    await syn?.cleanup();
    await cluster.cleanup();
  });
  beforeAll(async () => {
    await cluster.start();
    if ("missing" in synapse) return;
    syn = new SynapseServer(synapse, "127.0.0.41");
    await syn.start(cluster.issueCertificate("127.0.0.41"));
    alice = await cluster.register(cluster.node(1), "alice");
    sam = await syn.register("sam");
  }, 180_000);

  it("a Synapse user joins a Hearth room by alias; messages cross both ways", async () => {
    const hs = cluster.node(1);
    const roomId = await createRoom(alice, {
      preset: "public_chat",
      room_alias_name: "interop",
      room_version: "10",
      name: "Interop",
    });
    const joined = expectStatus(
      "sam joins by alias",
      await sam.post(`/_matrix/client/v3/join/${enc(`#interop:${hs.name}`)}`, {}),
    );
    expect(joined.room_id).toBe(roomId);
    shared = roomId;
    await eventually(
      "hearth to see sam joined",
      async () => (await joinedMembers(alice, roomId)).includes(sam.userId),
      CROSS_MS,
    );

    const fromAlice = await sendText(alice, roomId, "hello from hearth", "a1");
    const fromSam = await sendText(sam, roomId, "hello from synapse", "s1");
    for (const [who, c] of [
      ["synapse", sam],
      ["hearth", alice],
    ] as const) {
      await eventually(
        `${who} to hold both messages`,
        async () => {
          const ids = await messageIds(c, roomId);
          return ids.includes(fromAlice) && ids.includes(fromSam);
        },
        CROSS_MS,
      );
    }

    // A state change on each side reaches the other.
    expectStatus(
      "alice sets the topic",
      await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`, {
        topic: "from hearth",
      }),
    );
    await eventually(
      "synapse to see the topic",
      async () => {
        const res = await sam.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`);
        return res.status === 200 && res.body.topic === "from hearth";
      },
      CROSS_MS,
    );
  });

  it("a Hearth user joins a Synapse room by ID; invites and rejections cross both ways", async () => {
    const hs = cluster.node(1);
    const roomId = await createRoom(sam, { preset: "public_chat", name: "On Synapse", room_version: "10" });
    const joined = expectStatus(
      "alice joins via synapse",
      await alice.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(syn.name)}`, {}),
    );
    expect(joined.room_id).toBe(roomId);
    const fromSam = await sendText(sam, roomId, "synapse room, synapse speaking", "s2");
    const fromAlice = await sendText(alice, roomId, "synapse room, hearth speaking", "a2");
    for (const [who, c] of [
      ["synapse", sam],
      ["hearth", alice],
    ] as const) {
      await eventually(
        `${who} to hold both messages`,
        async () => {
          const ids = await messageIds(c, roomId);
          return ids.includes(fromAlice) && ids.includes(fromSam);
        },
        CROSS_MS,
      );
    }

    // Synapse invites a second Hearth user, who accepts.
    const bea = await cluster.register(hs, "bea");
    const privateRoom = await createRoom(sam, {
      preset: "private_chat",
      room_version: "10",
      invite: [bea.userId],
    });
    await syncUntil(
      bea,
      "bea's invite from synapse",
      (s) => (s.rooms?.invite?.[privateRoom] ? true : undefined),
      CROSS_MS,
    );
    expectStatus("bea accepts", await bea.post(`/_matrix/client/v3/rooms/${enc(privateRoom)}/join`, {}));
    await eventually(
      "synapse to see bea joined",
      async () => (await joinedMembers(sam, privateRoom)).includes(bea.userId),
      CROSS_MS,
    );

    // Hearth invites the Synapse user into a private room; Sam rejects.
    const hearthPrivate = await createRoom(alice, {
      preset: "private_chat",
      room_version: "10",
      invite: [sam.userId],
    });
    await syncUntil(
      sam,
      "sam's invite from hearth",
      (s) => (s.rooms?.invite?.[hearthPrivate] ? true : undefined),
      CROSS_MS,
    );
    expectStatus("sam rejects", await sam.post(`/_matrix/client/v3/rooms/${enc(hearthPrivate)}/leave`, {}));
    await eventually(
      "hearth to see sam's rejection",
      async () => {
        const res = await alice.get(
          `/_matrix/client/v3/rooms/${enc(hearthPrivate)}/state/m.room.member/${enc(sam.userId)}`,
        );
        return res.status === 200 && res.body.membership === "leave";
      },
      CROSS_MS,
    );

    // Hearth invites Sam again; this time Sam accepts, then Alice kicks him.
    expectStatus(
      "alice invites sam again",
      await alice.post(`/_matrix/client/v3/rooms/${enc(hearthPrivate)}/invite`, { user_id: sam.userId }),
    );
    await syncUntil(
      sam,
      "sam's second invite",
      (s) => (s.rooms?.invite?.[hearthPrivate] ? true : undefined),
      CROSS_MS,
    );
    expectStatus("sam accepts", await sam.post(`/_matrix/client/v3/rooms/${enc(hearthPrivate)}/join`, {}));
    await eventually(
      "hearth to see sam joined",
      async () => (await joinedMembers(alice, hearthPrivate)).includes(sam.userId),
      CROSS_MS,
    );
    expectStatus(
      "alice kicks sam",
      await alice.post(`/_matrix/client/v3/rooms/${enc(hearthPrivate)}/kick`, { user_id: sam.userId }),
    );
    await eventually(
      "synapse to see the kick",
      async () => {
        const res = await sam.get(`/_matrix/client/v3/joined_rooms`);
        return res.status === 200 && !(res.body.joined_rooms as string[]).includes(hearthPrivate);
      },
      CROSS_MS,
    );
  });

  it("typing, receipts and presence cross both ways", async () => {
    const roomId = shared;
    for (const [typist, watcher] of [
      [alice, sam],
      [sam, alice],
    ] as const) {
      expectStatus(
        `${typist.userId} types`,
        await typist.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(typist.userId)}`, {
          typing: true,
          timeout: 30_000,
        }),
      );
      await syncUntil(
        watcher,
        `${watcher.userId} to see ${typist.userId} typing`,
        (res) => {
          const typing = res.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === "m.typing");
          return ((typing?.content.user_ids ?? []) as string[]).includes(typist.userId) || undefined;
        },
        CROSS_MS,
      );
    }
    for (const [reader, watcher, body] of [
      [alice, sam, "read me, alice"],
      [sam, alice, "read me, sam"],
    ] as const) {
      const eventId = await sendText(watcher, roomId, body, `r-${reader.userId}`);
      await eventually(
        `${reader.userId} to hold ${eventId}`,
        async () => (await messageIds(reader, roomId)).includes(eventId),
        CROSS_MS,
      );
      expectStatus(
        `${reader.userId} sends a receipt`,
        await reader.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {}),
      );
      await syncUntil(
        watcher,
        `${watcher.userId} to see ${reader.userId}'s receipt`,
        (res) => {
          const receipt = res.rooms?.join?.[roomId]?.ephemeral?.events.find((e) => e.type === "m.receipt");
          const reads = (receipt?.content[eventId] as Record<string, Record<string, unknown>> | undefined)?.[
            "m.read"
          ];
          return reads?.[reader.userId] ? true : undefined;
        },
        CROSS_MS,
      );
    }
    for (const [user, watcher, msg] of [
      [alice, sam, "hearthing"],
      [sam, alice, "synapsing"],
    ] as const) {
      expectStatus(
        `${user.userId} sets presence`,
        await user.put(`/_matrix/client/v3/presence/${enc(user.userId)}/status`, {
          presence: "online",
          status_msg: msg,
        }),
      );
      await eventually(
        `${watcher.userId} to read ${user.userId}'s presence`,
        async () => {
          const res = await watcher.get(`/_matrix/client/v3/presence/${enc(user.userId)}/status`);
          return res.status === 200 && res.body.presence === "online" && res.body.status_msg === msg;
        },
        CROSS_MS,
      );
    }
  });

  it("history from before a join is backfilled, both ways", async () => {
    const hs = cluster.node(1);
    for (const [owner, joiner, via, tag] of [
      [alice, sam, hs.name, "hearth-history"],
      [sam, alice, syn.name, "synapse-history"],
    ] as const) {
      const roomId = await createRoom(owner, {
        preset: "public_chat",
        room_version: "10",
        initial_state: [
          { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "shared" } },
        ],
      });
      const sent: string[] = [];
      for (let i = 0; i < 30; i++) sent.push(await sendText(owner, roomId, `${tag} ${i}`, `${tag}-${i}`));
      expectStatus(
        `${joiner.userId} joins`,
        await joiner.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(via)}`, {}),
      );
      const seen = await eventually(
        `${joiner.userId} to paginate back through all 30 messages`,
        async () => {
          const ids = (await allMessages(joiner, roomId)).map((e) => e.event_id);
          return sent.every((id) => ids.includes(id)) ? ids : undefined;
        },
        CROSS_MS,
      );
      // In the order they were sent.
      expect(seen.filter((id) => sent.includes(id))).toEqual(sent);
    }
  });

  it("redactions and bans from either side take effect on both", async () => {
    const roomId = shared;
    const victim = await sendText(sam, roomId, "regrettable", "regret");
    await eventually(
      "hearth to hold the message",
      async () => (await messageIds(alice, roomId)).includes(victim),
      CROSS_MS,
    );
    expectStatus(
      "sam redacts his message",
      await sam.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(victim)}/x1`, { reason: "oops" }),
    );
    await eventually(
      "hearth to show the message redacted",
      async () => {
        const res = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(victim)}`);
        return res.status === 200 && Object.keys(res.body.content as object).length === 0;
      },
      CROSS_MS,
    );
    expectStatus(
      "alice bans sam",
      await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/ban`, {
        user_id: sam.userId,
        reason: "test",
      }),
    );
    await eventually(
      "synapse to see sam banned",
      async () => {
        const res = await sam.get(`/_matrix/client/v3/joined_rooms`);
        return res.status === 200 && !(res.body.joined_rooms as string[]).includes(roomId);
      },
      CROSS_MS,
    );
    const rejoin = await sam.post(
      `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(cluster.node(1).name)}`,
      {},
    );
    expect(rejoin.status).toBe(403);
  });

  /** Both users in a room created by `owner`, joined by `joiner` via `via`; a message each way. */
  async function shareRoom(
    owner: UserClient,
    joiner: UserClient,
    via: string,
    body: Record<string, unknown>,
  ) {
    const roomId = await createRoom(owner, body);
    expectStatus(
      `${joiner.userId} joins ${roomId} (${JSON.stringify(body)})`,
      await joiner.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(via)}`, {}),
    );
    await exchange(roomId);
    return roomId;
  }

  /** A message from each side, seen by both. */
  async function exchange(roomId: string) {
    const ids = [
      await sendText(alice, roomId, "from hearth", `x-${roomId}-a`),
      await sendText(sam, roomId, "from synapse", `x-${roomId}-s`),
    ];
    for (const c of [alice, sam]) {
      await eventually(
        `${c.userId} to hold both messages in ${roomId}`,
        async () => {
          const held = await messageIds(c, roomId);
          return ids.every((id) => held.includes(id));
        },
        CROSS_MS,
      );
    }
  }

  it.each(["1", "2", "3", "4", "5", "6", "7", "8", "9"])("room version %s works both ways", async (v) => {
    await shareRoom(sam, alice, syn.name, { preset: "public_chat", room_version: v });
    await shareRoom(alice, sam, cluster.node(1).name, { preset: "public_chat", room_version: v });
  });

  it("knocks cross both ways and are answered with an invite", async () => {
    for (const [owner, knocker, via] of [
      [alice, sam, cluster.node(1).name],
      [sam, alice, syn.name],
    ] as const) {
      const roomId = await createRoom(owner, {
        preset: "private_chat",
        room_version: "10",
        initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
      });
      expectStatus(
        `${knocker.userId} knocks`,
        await knocker.post(`/_matrix/client/v3/knock/${enc(roomId)}?server_name=${enc(via)}`, {
          reason: "let me in",
        }),
      );
      await syncUntil(
        knocker,
        "the knock in the knocker's sync",
        (s) =>
          (s.rooms as { knock?: Record<string, unknown> } | undefined)?.knock?.[roomId] ? true : undefined,
        CROSS_MS,
      );
      await eventually(
        `${owner.userId} to see the knock`,
        async () => {
          const res = await owner.get(
            `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(knocker.userId)}`,
          );
          return res.status === 200 && res.body.membership === "knock";
        },
        CROSS_MS,
      );
      expectStatus(
        `${owner.userId} lets the knocker in`,
        await owner.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: knocker.userId }),
      );
      await syncUntil(
        knocker,
        "the invite after the knock",
        (s) => (s.rooms?.invite?.[roomId] ? true : undefined),
        CROSS_MS,
      );
      expectStatus(
        `${knocker.userId} joins`,
        await knocker.post(`/_matrix/client/v3/rooms/${enc(roomId)}/join`, {}),
      );
      await exchange(roomId);
    }
  });

  it("restricted rooms admit members of the allowed room through a resident, both ways", async () => {
    for (const [owner, joiner, via] of [
      [alice, sam, cluster.node(1).name],
      [sam, alice, syn.name],
    ] as const) {
      const space = await shareRoom(owner, joiner, via, { preset: "public_chat", room_version: "10" });
      const restricted = await createRoom(owner, {
        preset: "private_chat",
        room_version: "10",
        initial_state: [
          {
            type: "m.room.join_rules",
            state_key: "",
            content: { join_rule: "restricted", allow: [{ type: "m.room_membership", room_id: space }] },
          },
        ],
      });
      // Allowed through a room the resident knows and the joiner is not in: refused outright.
      const inner = await createRoom(owner, { preset: "private_chat", room_version: "10" });
      const notAllowed = await createRoom(owner, {
        preset: "private_chat",
        room_version: "10",
        initial_state: [
          {
            type: "m.room.join_rules",
            state_key: "",
            content: {
              join_rule: "restricted",
              allow: [{ type: "m.room_membership", room_id: inner }],
            },
          },
        ],
      });
      expectStatus(
        `${joiner.userId} joins the restricted room`,
        await joiner.post(`/_matrix/client/v3/join/${enc(restricted)}?server_name=${enc(via)}`, {}),
      );
      await exchange(restricted);
      const member = expectStatus(
        "the joiner's member event",
        await owner.get(
          `/_matrix/client/v3/rooms/${enc(restricted)}/state/m.room.member/${enc(joiner.userId)}`,
        ),
      );
      expect(member.join_authorised_via_users_server).toBe(owner.userId);
      const refused = await joiner.post(
        `/_matrix/client/v3/join/${enc(notAllowed)}?server_name=${enc(via)}`,
        {},
      );
      expect(refused.status).toBe(403);
    }
  });

  it("to-device messages cross both ways", async () => {
    for (const [from, to, tag] of [
      [alice, sam, "from-hearth"],
      [sam, alice, "from-synapse"],
    ] as const) {
      expectStatus(
        `${from.userId} sends to-device`,
        await from.put(`/_matrix/client/v3/sendToDevice/m.interop.test/${tag}`, {
          messages: { [to.userId]: { [to.deviceId]: { tag } } },
        }),
      );
      await syncUntil(
        to,
        `${to.userId} to receive the to-device message`,
        (s) => {
          const events = (
            s as {
              to_device?: { events: Array<{ type: string; sender: string; content: { tag?: string } }> };
            }
          ).to_device?.events;
          return events?.some(
            (e) => e.type === "m.interop.test" && e.sender === from.userId && e.content.tag === tag,
          )
            ? true
            : undefined;
        },
        CROSS_MS,
      );
    }
  });

  it("device keys, cross-signing keys and one-time keys cross both ways", async () => {
    for (const [owner, asker] of [
      [alice, sam],
      [sam, alice],
    ] as const) {
      const dk = {
        user_id: owner.userId,
        device_id: owner.deviceId,
        algorithms: ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        keys: {
          [`curve25519:${owner.deviceId}`]: "Y3VydmUyNTUxOWtleQ",
          [`ed25519:${owner.deviceId}`]: "ZWQyNTUxOWtleQ",
        },
        signatures: { [owner.userId]: { [`ed25519:${owner.deviceId}`]: "c2lnbmF0dXJl" } },
      };
      expectStatus(
        `${owner.userId} uploads keys`,
        await owner.post("/_matrix/client/v3/keys/upload", {
          device_keys: dk,
          one_time_keys: { "signed_curve25519:AAAAAQ": { key: "b3RrMQ", signatures: dk.signatures } },
        }),
      );
      // Synapse checks that cross-signing keys are real Ed25519 public keys.
      const pub = publicKey();
      const master = { user_id: owner.userId, usage: ["master"], keys: { [`ed25519:${pub}`]: pub } };
      // Synapse 1.67 asks for the password even for a first master key (the spec no longer does).
      let uploaded = await owner.post("/_matrix/client/v3/keys/device_signing/upload", {
        master_key: master,
      });
      if (uploaded.status === 401) {
        uploaded = await owner.post("/_matrix/client/v3/keys/device_signing/upload", {
          master_key: master,
          auth: {
            type: "m.login.password",
            session: uploaded.body.session,
            identifier: { type: "m.id.user", user: owner.userId },
            password: "correct horse battery staple",
          },
        });
      }
      expectStatus(`${owner.userId} uploads a master key`, uploaded);
      const res = expectStatus(
        `${asker.userId} queries ${owner.userId}'s keys`,
        await asker.post("/_matrix/client/v3/keys/query", { device_keys: { [owner.userId]: [] } }),
      );
      expect(res.failures ?? {}, `failures querying ${owner.userId}`).toEqual({});
      const got = (res.device_keys as Record<string, Record<string, Record<string, unknown>>>)[
        owner.userId
      ]?.[owner.deviceId];
      expect(got, `${owner.userId}'s device keys as ${asker.userId} sees them`).toMatchObject(dk);
      expect((res.master_keys as Record<string, unknown>)[owner.userId]).toMatchObject(master);
      const claimed = expectStatus(
        `${asker.userId} claims a one-time key of ${owner.userId}`,
        await asker.post("/_matrix/client/v3/keys/claim", {
          one_time_keys: { [owner.userId]: { [owner.deviceId]: "signed_curve25519" } },
        }),
      );
      expect(claimed.one_time_keys).toMatchObject({
        [owner.userId]: { [owner.deviceId]: { "signed_curve25519:AAAAAQ": { key: "b3RrMQ" } } },
      });
    }
  });

  it("end-to-end encryption with real clients works across Hearth and Synapse, both ways", async () => {
    const ella = await cryptoClient(await cluster.register(cluster.node(1), "ella"));
    const syd = await cryptoClient(await syn.register("syd"));
    clients.push(ella, syd);
    await encryptedExchange(ella, syd, "10");
    await encryptedExchange(syd, ella, "10");
  }, 120_000);

  it("media uploaded on either server downloads through the other", async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    for (const [uploader, reader, readPath] of [
      // Synapse 1.67 knows only the unauthenticated media endpoints; Hearth serves both.
      [alice, sam, "/_matrix/media/r0/download"],
      [sam, alice, "/_matrix/client/v1/media/download"],
    ] as const) {
      const up = await fetch(`${uploader.baseUrl}/_matrix/media/r0/upload?filename=pic.png`, {
        method: "POST",
        headers: { authorization: `Bearer ${uploader.accessToken}`, "content-type": "image/png" },
        body: bytes,
      });
      expect(up.status, `${uploader.userId} uploads`).toBe(200);
      const mxc = ((await up.json()) as { content_uri: string }).content_uri;
      const res = await fetch(`${reader.baseUrl}${readPath}/${mxc.replace("mxc://", "")}`, {
        headers: { authorization: `Bearer ${reader.accessToken}` },
      });
      expect(res.status, `${reader.userId} downloads ${mxc}`).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes);
      expect(res.headers.get("content-type")).toBe("image/png");
    }
  });

  it("spaces across Hearth and Synapse: each fetches the children it does not hold from the other", async () => {
    const space = await createRoom(alice, {
      preset: "public_chat",
      name: "Hearth space",
      room_version: "10",
      creation_content: { type: "m.space" },
    });
    const child = await createRoom(alice, { preset: "public_chat", name: "Space child", room_version: "10" });
    expectStatus(
      "alice adds the child",
      await alice.put(`/_matrix/client/v3/rooms/${enc(space)}/state/m.space.child/${enc(child)}`, {
        via: [cluster.node(1).name],
      }),
    );
    // Synapse 1.67 previews only spaces it is in; the child, which it does not hold, it asks us for.
    expectStatus(
      "sam joins the space",
      await sam.post(`/_matrix/client/v3/join/${enc(space)}?server_name=${enc(cluster.node(1).name)}`, {}),
    );
    const res = expectStatus(
      "sam reads the hierarchy",
      await sam.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy`),
    );
    const rooms = res.rooms as Array<{ room_id: string; name?: string }>;
    expect(rooms.map((r) => r.room_id)).toEqual([space, child]);
    expect(rooms[1]!.name).toBe("Space child");

    // And the other way: a child only Synapse holds, in the Hearth space, comes from Synapse's /hierarchy.
    const onSynapse = await createRoom(sam, {
      preset: "public_chat",
      name: "Synapse child",
      room_version: "10",
    });
    expectStatus(
      "alice adds the Synapse child",
      await alice.put(`/_matrix/client/v3/rooms/${enc(space)}/state/m.space.child/${enc(onSynapse)}`, {
        via: [syn.name],
      }),
    );
    const ours = expectStatus(
      "alice reads the hierarchy",
      await alice.get(`/_matrix/client/v1/rooms/${enc(space)}/hierarchy`),
    );
    const found = (ours.rooms as Array<{ room_id: string; name?: string }>).find(
      (r) => r.room_id === onSynapse,
    );
    expect(found?.name).toBe("Synapse child");
  });

  it("public room directories are readable across servers", async () => {
    const roomId = await createRoom(alice, {
      preset: "public_chat",
      visibility: "public",
      name: "Listed on Hearth",
      room_version: "10",
    });
    const listed = await createRoom(sam, {
      preset: "public_chat",
      visibility: "public",
      name: "Listed on Synapse",
      room_version: "10",
    });
    const hs = cluster.node(1);
    for (const [reader, server, id] of [
      [sam, hs.name, roomId],
      [alice, syn.name, listed],
    ] as const) {
      const get = expectStatus(
        `${reader.userId} reads ${server}'s directory (GET)`,
        await reader.get(`/_matrix/client/v3/publicRooms?server=${enc(server)}&limit=50`),
      );
      expect((get.chunk as Array<{ room_id: string }>).map((r) => r.room_id)).toContain(id);
      const post = expectStatus(
        `${reader.userId} searches ${server}'s directory (POST)`,
        await reader.post(`/_matrix/client/v3/publicRooms?server=${enc(server)}`, {
          limit: 50,
          filter: { generic_search_term: "Listed" },
        }),
      );
      expect((post.chunk as Array<{ room_id: string }>).map((r) => r.room_id)).toContain(id);
    }
  });

  it("profiles cross both ways", async () => {
    expectStatus(
      "alice sets a display name",
      await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`, {
        displayname: "Alice H",
      }),
    );
    expectStatus(
      "sam sets a display name",
      await sam.put(`/_matrix/client/v3/profile/${enc(sam.userId)}/displayname`, { displayname: "Sam S" }),
    );
    const seenBySam = expectStatus(
      "sam reads alice's profile",
      await sam.get(`/_matrix/client/v3/profile/${enc(alice.userId)}`),
    );
    expect(seenBySam.displayname).toBe("Alice H");
    const seenByAlice = expectStatus(
      "alice reads sam's profile",
      await alice.get(`/_matrix/client/v3/profile/${enc(sam.userId)}`),
    );
    expect(seenByAlice.displayname).toBe("Sam S");
  });

  it("a version-11 room is refused by an older Synapse with M_INCOMPATIBLE_ROOM_VERSION", async () => {
    const roomId = await createRoom(alice, { preset: "public_chat", room_version: "11" });
    const res = await sam.post(
      `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(cluster.node(1).name)}`,
      {},
    );
    const caps = expectStatus("synapse capabilities", await sam.get(`/_matrix/client/v3/capabilities`));
    const available = (caps.capabilities as { "m.room_versions": { available: Record<string, string> } })[
      "m.room_versions"
    ].available;
    const supports11 = "11" in available;
    if (supports11) expect(res.status).toBe(200);
    else expect(res.body.errcode).toBe("M_INCOMPATIBLE_ROOM_VERSION");
  });
});
