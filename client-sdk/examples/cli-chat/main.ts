/**
 * A terminal chat on the SDK: log in (or register), list rooms, join, read and send live.
 *
 *   npm run chat --workspace @hearth/client-sdk -- --base-url http://127.0.0.1:8008 --user alice --password …
 *
 * Options: `--register` (create the account if the login fails), `--store <file>` (where the session
 * and sync state are kept; default `~/.hearth-chat/<user>@<host>.json`, so the next start resumes
 * without logging in again), `--long-poll` (sync over `/sync` instead of the stream). Type `/help`.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import {
  ConnectionError,
  isMatrixError,
  type MatrixClient,
  type Room,
  type TimelineEvent,
} from "../../src/index.js";
import { createNodeClient } from "../../src/node/index.js";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: "http://127.0.0.1:8008" },
    user: { type: "string" },
    password: { type: "string" },
    register: { type: "boolean", default: false },
    store: { type: "string" },
    "long-poll": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const USAGE = `usage: npm run chat --workspace @hearth/client-sdk -- --base-url <url> --user <name> --password <pw> [--register] [--store <file>] [--long-poll]`;

const COMMANDS = `commands:
  /rooms                 list rooms (joined and invites), with unread counts and the last message
  /open <n|room>         make a room current and show its recent messages
  /join <n|#alias|!id>   join a room or accept an invite (and open it)
  /create <name> [@user:server …]   create a room, inviting users
  /dm <@user:server>     start a direct chat
  /invite <@user:server> invite a user to the current room
  /history [n]           load n older messages of the current room (default 20)
  /members               the current room's members
  /leave                 leave the current room
  /quit                  stop (the session is kept for the next start)
  anything else          is sent to the current room`;

if (args.help || !args.user) {
  console.log(`${USAGE}\n\n${COMMANDS}`);
  process.exit(args.help ? 0 : 2);
}

const baseUrl = args["base-url"]!;
const storePath = args.store ?? join(homedir(), ".hearth-chat", `${args.user}@${new URL(baseUrl).host}.json`);
const client = createNodeClient({
  baseUrl,
  storePath,
  deviceDisplayName: "hearth cli-chat",
  ...(args["long-poll"] ? { syncTransport: "long-poll" as const } : {}),
});

const rl = createInterface({ input: process.stdin, output: process.stdout });
let current: string | undefined;

/** Prints a line above the prompt without losing what is being typed. */
function say(line: string): void {
  process.stdout.write(`\r\x1b[K${line}\n`);
  rl.setPrompt(prompt());
  rl.prompt(true);
}

function prompt(): string {
  const room = current ? client.room(current) : undefined;
  return room ? `[${room.name}] > ` : "> ";
}

function time(ts: number): string {
  return new Date(ts).toTimeString().slice(0, 5);
}

/** One timeline item as a line, or `undefined` for what a chat does not show. */
function line(room: Room, item: TimelineEvent): string | undefined {
  const who = room.memberName(item.sender);
  const status =
    item.status === "failed" ? " (failed: /retry)" : item.status === "pending" ? " (sending…)" : "";
  if (item.isEdit) return undefined;
  if (item.type === "m.room.message") {
    const body = item.redacted ? "(deleted)" : String(item.content.body ?? "");
    const edited = item.replacement ? " (edited)" : "";
    return item.content.msgtype === "m.emote"
      ? `${time(item.ts)} * ${who} ${body}${status}`
      : `${time(item.ts)} <${who}> ${body}${edited}${status}`;
  }
  if (item.type === "m.room.member") {
    const m = item.event.content.membership;
    const target = room.memberName(item.event.state_key ?? "");
    const verb =
      m === "join" ? "joined" : m === "invite" ? `was invited by ${who}` : m === "leave" ? "left" : m;
    return `${time(item.ts)} -- ${target} ${verb}`;
  }
  if (item.type === "m.room.name") return `${time(item.ts)} -- ${who} named the room "${item.content.name}"`;
  return undefined;
}

function roomList(): Room[] {
  return client.roomList();
}

/** A room by list number, ID or alias (as the room list shows it). */
function findRoom(ref: string): Room | undefined {
  const n = Number(ref);
  if (Number.isInteger(n) && n >= 1) return roomList()[n - 1];
  return client.rooms.find((r) => r.roomId === ref || r.canonicalAlias === ref || r.name === ref);
}

function showRooms(): void {
  const rooms = roomList();
  if (rooms.length === 0) {
    say("no rooms yet: /create <name>, or /join #alias:server");
    return;
  }
  rooms.forEach((r, i) => {
    const flags = [
      r.membership === "invite" ? `invite from ${r.inviter ?? "?"}` : "",
      r.isDirect ? "DM" : "",
      r.unread.notificationCount ? `${r.unread.notificationCount} unread` : "",
    ].filter(Boolean);
    const last = r.lastMessage;
    const preview = last
      ? ` — ${r.memberName(last.sender)}: ${String(last.content.body ?? "").slice(0, 40)}`
      : "";
    say(`${String(i + 1).padStart(2)}. ${r.name}${flags.length ? ` [${flags.join(", ")}]` : ""}${preview}`);
  });
}

function open(room: Room, count = 20): void {
  current = room.roomId;
  say(`--- ${room.name}${room.topic ? `: ${room.topic}` : ""} (${room.roomId})`);
  const lines = room.timeline.map((e) => line(room, e)).filter((l): l is string => l !== undefined);
  for (const l of lines.slice(-count)) say(l);
  void client.markRead(room.roomId).catch(() => undefined);
}

async function command(input: string): Promise<void> {
  const [cmd, ...rest] = input.trim().split(/\s+/);
  const arg = rest.join(" ");
  switch (cmd) {
    case "/help":
      return say(COMMANDS);
    case "/rooms":
      return showRooms();
    case "/open": {
      const room = findRoom(arg);
      return room ? open(room) : say(`no room ${arg}`);
    }
    case "/join": {
      const known = findRoom(arg);
      const roomId = await client.joinRoom(known?.roomId ?? arg);
      return open(client.room(roomId)!);
    }
    case "/create": {
      const invite = rest.filter((r) => r.startsWith("@"));
      const name = rest.filter((r) => !r.startsWith("@")).join(" ");
      const roomId = await client.createRoom({ ...(name ? { name } : {}), invite });
      return open(client.room(roomId)!);
    }
    case "/dm": {
      const roomId = await client.createDirectRoom(arg);
      return open(client.room(roomId)!);
    }
    case "/invite":
      if (!current) return say("open a room first");
      await client.invite(current, arg);
      return say(`invited ${arg}`);
    case "/history": {
      if (!current) return say("open a room first");
      const { added, more } = await client.paginateBack(current, Number(arg) || 20);
      say(`(${added} older events${more ? "" : ", that is the beginning"})`);
      return open(client.room(current)!, 1000);
    }
    case "/members":
      if (!current) return say("open a room first");
      for (const m of client.room(current)!.members) say(`  ${m.name} (${m.userId}) ${m.membership}`);
      return;
    case "/leave":
      if (!current) return say("open a room first");
      await client.leave(current);
      say("left");
      current = undefined;
      return;
    case "/retry":
      for (const { roomId, item } of client.failedSends()) await client.retry(roomId, item.txnId!);
      return;
    case "/quit":
      await shutdown();
      return;
    default:
      return say(`unknown command ${cmd}; /help lists them`);
  }
}

async function shutdown(): Promise<void> {
  rl.close();
  await client.stop();
  process.exit(0);
}

async function signIn(): Promise<void> {
  const saved = await client.store.get<{ userId: string }>("session");
  if (saved && saved.userId.slice(1).split(":")[0] === args.user) return;
  if (!args.password) throw new Error("--password is needed to log in");
  try {
    await client.login({ username: args.user!, password: args.password });
  } catch (e) {
    if (!args.register || !isMatrixError(e, "M_FORBIDDEN")) throw e;
    await client.register({ username: args.user!, password: args.password });
  }
}

async function main(): Promise<void> {
  await signIn();
  process.stdout.write(`connecting to ${baseUrl} as ${args.user}…\n`);
  await client.start();
  say(`signed in as ${client.userId}, syncing over ${client.syncTransport}. /help lists the commands.`);
  wire(client);
  showRooms();
  rl.setPrompt(prompt());
  rl.prompt();
  rl.on("line", (input) => {
    const text = input.trim();
    if (text === "") return rl.prompt();
    const done = text.startsWith("/")
      ? command(text)
      : current
        ? client.sendText(current, text).then(
            () => undefined,
            // The failed local echo says so already (and is retried when back online).
            (e) => {
              if (!(e instanceof ConnectionError)) throw e;
            },
          )
        : Promise.resolve(say("open a room first: /rooms, then /open <n>"));
    done
      .catch((e) => say(`error: ${isMatrixError(e) ? `${e.errcode} ${e.message}` : (e as Error).message}`))
      .finally(() => {
        rl.setPrompt(prompt());
        rl.prompt(true);
      });
  });
  rl.on("SIGINT", () => void shutdown());
}

function wire(c: MatrixClient): void {
  c.on("timeline", (_event, roomId, item) => {
    const room = c.room(roomId);
    if (!room) return;
    if (roomId === current) {
      const l = line(room, item);
      if (l) say(l);
      if (item.sender !== c.userId) void c.markRead(roomId, item.eventId).catch(() => undefined);
    } else if (item.type === "m.room.message" && item.sender !== c.userId && !item.isEdit) {
      say(`(new in ${room.name}) <${room.memberName(item.sender)}> ${String(item.content.body ?? "")}`);
    }
  });
  c.on("localEcho", (item, roomId) => {
    if (roomId === current && item.status === "failed") say(`(not sent: "${item.content.body}"; /retry)`);
  });
  c.on("invite", (room) => say(`(invited to ${room.name} by ${room.inviter ?? "?"}: /join ${room.roomId})`));
  c.on("offline", () => say("(offline: reconnecting…)"));
  c.on("online", () => {
    say(`(back online over ${c.syncTransport})`);
    for (const { roomId, item } of c.failedSends()) void c.retry(roomId, item.txnId!).catch(() => undefined);
  });
  c.on("loggedOut", (e) => {
    say(`(logged out: ${e.message})`);
    void shutdown();
  });
}

main().catch((e) => {
  console.error(`cli-chat: ${isMatrixError(e) ? `${e.errcode}: ${e.message}` : (e as Error).message}`);
  process.exit(1);
});
