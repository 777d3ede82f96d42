import type { ClientEvent } from "@hearth/federation/client";
import { describe, expect, it } from "vitest";
import { Timeline, TimelineEvent } from "./timeline.js";

let ts = 1_000;
/** A message event `$<id>`. */
function msg(id: string, extra: Partial<ClientEvent> = {}): ClientEvent {
  return {
    event_id: `$${id}`,
    type: "m.room.message",
    sender: "@a:x",
    origin_server_ts: ts++,
    content: { msgtype: "m.text", body: id },
    ...extra,
  };
}
const ids = (t: Timeline) => t.events.map((e) => e.event.event_id);

describe("Timeline", () => {
  it("appends syncs in order and skips events it already has", () => {
    const t = new Timeline();
    t.addSync([msg("1"), msg("2")], false, "p0");
    const change = t.addSync([msg("2"), msg("3")], false, "p1");
    expect(ids(t)).toEqual(["$1", "$2", "$3"]);
    expect(change.added.map((e) => e.event.event_id)).toEqual(["$3"]);
    expect(t.segments).toHaveLength(1);
    expect(t.segments[0]!.prevBatch).toBe("p0");
  });

  it("starts a new segment on a limited sync, and pagination fills the gap and merges", () => {
    const t = new Timeline();
    t.addSync([msg("1"), msg("2")], false, "p0");
    t.addSync([msg("7"), msg("8")], true, "gap");
    expect(t.hasGap).toBe(true);
    expect(t.nextPagination()).toEqual({ segment: t.segments[1], token: "gap" });

    // First page: 6, 5 (newest first), more to come.
    const first = t.addPage(t.segments[1]!, [msg("6"), msg("5")], "gap2");
    expect(first.added.map((e) => e.event.event_id)).toEqual(["$5", "$6"]);
    expect(t.hasGap).toBe(true);
    expect(t.nextPagination()?.token).toBe("gap2");

    // Second page reaches $2, which the older segment holds: the gap is filled.
    const second = t.addPage(t.segments[1]!, [msg("4"), msg("3"), t.byId("$2")!.event, msg("x")], "older");
    expect(second.added.map((e) => e.event.event_id)).toEqual(["$3", "$4"]);
    expect(t.hasGap).toBe(false);
    expect(ids(t)).toEqual(["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8"]);
    // Back pagination continues from the older segment's token.
    expect(t.nextPagination()?.token).toBe("p0");
    t.addPage(t.segments[0]!, [msg("0")], undefined);
    expect(t.canPaginateBack).toBe(false);
    expect(ids(t)[0]).toBe("$0");
  });

  it("a limited sync right after an empty one reuses the segment", () => {
    const t = new Timeline();
    t.addSync([], false, "p0");
    t.addSync([msg("1")], true, "p1");
    expect(t.segments).toHaveLength(1);
    expect(t.segments[0]!.prevBatch).toBe("p1");
  });

  it("replaces a local echo with the server's copy, matched by transaction ID, keeping the object", () => {
    const t = new Timeline();
    t.addSync([msg("1")], false, "p0");
    const echo = new TimelineEvent(msg("~t1", { event_id: "~t1" }), {
      txnId: "t1",
      status: "pending",
      synced: false,
    });
    t.addLocalEcho(echo);
    expect(echo.eventId).toBeUndefined();
    expect(t.events.at(-1)).toBe(echo);
    t.addSync([msg("2")], false, undefined);
    // Remote events go before pending echoes.
    expect(ids(t)).toEqual(["$1", "$2", "~t1"]);
    const change = t.addSync(
      [msg("3", { sender: "@me:x", unsigned: { transaction_id: "t1" } })],
      false,
      undefined,
    );
    expect(change.echoes).toEqual([echo]);
    expect(echo.synced).toBe(true);
    expect(echo.status).toBe("sent");
    expect(echo.eventId).toBe("$3");
    expect(t.pending).toEqual([]);
    expect(ids(t)).toEqual(["$1", "$2", "$3"]);
  });

  it("matches an acknowledged echo by event ID, and ignores the server copy after that", () => {
    const t = new Timeline();
    const echo = new TimelineEvent(msg("~t2", { event_id: "~t2" }), {
      txnId: "t2",
      status: "pending",
      synced: false,
    });
    t.addLocalEcho(echo);
    t.acknowledge("t2", "$9");
    expect(echo.status).toBe("sent");
    expect(echo.eventId).toBe("$9");
    expect(echo.synced).toBe(false);
    t.addSync([msg("9")], false, "p");
    expect(echo.synced).toBe(true);
    expect(t.events).toEqual([echo]);
    t.addSync([msg("9")], false, "p");
    expect(t.events).toHaveLength(1);
  });

  it("applies edits, reactions and redactions, also when the relation arrives first", () => {
    const t = new Timeline();
    const edit = msg("e", {
      content: {
        body: "* new",
        "m.new_content": { msgtype: "m.text", body: "new" },
        "m.relates_to": { rel_type: "m.replace", event_id: "$1" },
      },
    });
    const otherEdit = msg("e2", {
      sender: "@b:x",
      content: {
        "m.new_content": { body: "hijack" },
        "m.relates_to": { rel_type: "m.replace", event_id: "$1" },
      },
    });
    const react = (id: string, sender: string) =>
      msg(id, {
        type: "m.reaction",
        sender,
        content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$1", key: "👍" } },
      });
    // The newer events first (a limited sync), the target from back pagination.
    t.addSync([edit, otherEdit, react("r1", "@a:x"), react("r2", "@b:x"), react("r3", "@b:x")], true, "p");
    t.addPage(t.segments[0]!, [msg("1")], undefined);
    const target = t.byId("$1")!;
    expect(target.content.body).toBe("new");
    expect([...target.reactions.get("👍")!.keys()]).toEqual(["@a:x", "@b:x"]);

    const change = t.addSync([msg("x", { type: "m.room.redaction", redacts: "$r2" })], false, undefined);
    expect(change.updated).toEqual([t.byId("$r2")]);
    expect([...target.reactions.get("👍")!.keys()]).toEqual(["@a:x"]);
    t.addSync([msg("y", { type: "m.room.redaction", content: { redacts: "$1" } })], false, undefined);
    expect(target.redacted).toBe(true);
    expect(target.content).toEqual({});
  });

  it("knows thread roots and edits", () => {
    const t = new Timeline();
    t.addSync(
      [
        msg("root"),
        msg("in", { content: { body: "x", "m.relates_to": { rel_type: "m.thread", event_id: "$root" } } }),
      ],
      false,
      undefined,
    );
    expect(t.byId("$in")!.threadRootId).toBe("$root");
    expect(t.byId("$root")!.threadRootId).toBeUndefined();
  });
});
