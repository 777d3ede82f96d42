// The device list service over an in-memory room store: who is told what, and the bounds.
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../../storage/events.js";
import type { MembershipRecord } from "../../storage/rooms.js";
import { Notifier } from "../notifier.js";
import { DeviceListService } from "./device-list-service.js";

const SERVER = "here";

/** Rooms and memberships; `move` changes one and tells the service, as the pipeline's hook does. */
function setup(maxEntries?: number) {
  const rooms = new Map<string, Map<string, MembershipRecord>>();
  let n = 0;
  const before = new Map<string, string | undefined>();
  const store = {
    async membership(userId: string, roomId: string) {
      return rooms.get(roomId)?.get(userId);
    },
    async roomsOfUser(userId: string) {
      const out = new Map<string, MembershipRecord>();
      for (const [roomId, members] of rooms) {
        const m = members.get(userId);
        if (m) out.set(roomId, m);
      }
      return out;
    },
    async membersOfRoom(roomId: string) {
      return new Map(rooms.get(roomId) ?? []);
    },
  };
  const service = new DeviceListService({
    serverName: SERVER,
    rooms: store,
    notifier: new Notifier(),
    now: () => 1_000,
    devicesOf: async () => [],
    membershipBefore: async (ev) => before.get(ev.eventId),
    ...(maxEntries !== undefined ? { maxEntries } : {}),
  });
  async function move(roomId: string, userId: string, membership: string) {
    const members = rooms.get(roomId) ?? new Map<string, MembershipRecord>();
    rooms.set(roomId, members);
    const eventId = `$${++n}`;
    before.set(eventId, members.get(userId)?.membership);
    members.set(userId, { membership, eventId, stream: n });
    const ev = {
      eventId,
      roomId,
      pdu: { type: "m.room.member", state_key: userId, content: { membership } },
    } as unknown as StoredEvent;
    await service.membershipChanged(roomId, [ev]);
  }
  const sorted = async (viewer: string, after: number) => {
    const c = await service.changes(viewer, after, service.position);
    return { changed: [...c.changed].sort(), left: [...c.left].sort() };
  };
  return { service, move, sorted };
}

const u = (name: string) => `@${name}:${SERVER}`;
const remote = (name: string) => `@${name}:elsewhere`;

describe("DeviceListService", () => {
  it("tells a member of a newly shared user once, and of users no longer shared", async () => {
    const { service, move, sorted } = setup();
    await move("!a", u("viewer"), "join");
    await move("!b", u("viewer"), "join");
    await move("!a", u("old"), "join");
    const start = service.position;
    // A new user joining two of the viewer's rooms in the window is newly shared.
    await move("!a", remote("new"), "join");
    await move("!b", remote("new"), "join");
    // A user already sharing !a joins !b: nothing new.
    await move("!b", u("old"), "join");
    // A display name change (join → join) is no move.
    await move("!a", u("old"), "join");
    expect(await sorted(u("viewer"), start)).toEqual({ changed: [remote("new")], left: [] });

    const mid = service.position;
    await move("!a", remote("new"), "leave");
    expect(await sorted(u("viewer"), mid)).toEqual({ changed: [], left: [] });
    await move("!b", remote("new"), "leave");
    expect(await sorted(u("viewer"), mid)).toEqual({ changed: [], left: [remote("new")] });
    // Out and back in within the window: changed (its devices may have changed meanwhile), not left.
    await move("!a", remote("new"), "join");
    expect(await sorted(u("viewer"), mid)).toEqual({ changed: [remote("new")], left: [] });
  });

  it("tells a user who joins of every member, and who leaves of those it shares nothing else with", async () => {
    const { service, move, sorted } = setup();
    await move("!a", u("x"), "join");
    await move("!a", remote("y"), "join");
    await move("!b", u("x"), "join");
    const start = service.position;
    await move("!a", u("joiner"), "join");
    await move("!b", u("joiner"), "join");
    expect(await sorted(u("joiner"), start)).toEqual({ changed: [u("x"), remote("y")], left: [] });
    const mid = service.position;
    await move("!a", u("joiner"), "leave");
    expect(await sorted(u("joiner"), mid)).toEqual({ changed: [], left: [remote("y")] });
    // Nothing for an initial sync.
    expect(await service.changes(u("joiner"), undefined, service.position)).toEqual({
      changed: [],
      left: [],
    });
  });

  it("answers a position older than it remembers with everyone shared, and forgets the oldest entries", async () => {
    const { service, move, sorted } = setup(3);
    await move("!a", u("viewer"), "join");
    await move("!a", u("p"), "join");
    // From before the service started (a restart): everyone the viewer shares a room with.
    expect(await sorted(u("viewer"), 10)).toEqual({ changed: [u("p"), u("viewer")], left: [] });
    const kept = service.position;
    await move("!a", u("q"), "join");
    await move("!a", u("r"), "join");
    await move("!a", u("s"), "join");
    // Three entries are kept: from `kept` on, all are known.
    expect(await sorted(u("viewer"), kept)).toEqual({ changed: [u("q"), u("r"), u("s")], left: [] });
    await move("!a", u("t"), "join");
    // The entry for q is forgotten: from `kept`, the answer is everyone.
    expect((await sorted(u("viewer"), kept)).changed).toEqual([
      u("p"),
      u("q"),
      u("r"),
      u("s"),
      u("t"),
      u("viewer"),
    ]);
  });

  it("tells only the signer of the users whose master keys it signed", async () => {
    const { service, move, sorted } = setup();
    await move("!a", u("signer"), "join");
    await move("!a", u("other"), "join");
    await move("!a", u("target"), "join");
    const start = service.position;
    await service.othersSigned(u("signer"), [u("target")]);
    expect(await sorted(u("signer"), start)).toEqual({ changed: [u("target")], left: [] });
    expect(await sorted(u("other"), start)).toEqual({ changed: [], left: [] });
  });
});
