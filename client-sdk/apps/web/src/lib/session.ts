/**
 * The session: which homeserver, and the SDK client for the signed-in account. The server defaults
 * to the page's own origin (the homeserver that serves this app); the sign-in page can point
 * elsewhere. The SDK keeps the session and its sync state in localStorage, so a reload resumes.
 */
import { createClient, type MatrixClient, WebStorageStore } from "@hearth/client-sdk";

const SERVER_KEY = "hearth-web:server";
const SDK_PREFIX = "hearth-web:sdk:";

/** The homeserver the page was served by. */
export function defaultServer(): string {
  return location.origin;
}

/** The homeserver last signed in to (or the default). */
export function savedServer(): string {
  return localStorage.getItem(SERVER_KEY) ?? defaultServer();
}

/**
 * A homeserver URL from what the user typed: a URL as is; a bare name (`example.org`) as https,
 * then its `/.well-known/matrix/client` when it has one ("Server Discovery").
 */
export async function resolveServer(input: string): Promise<string> {
  const text = input.trim().replace(/\/+$/, "");
  if (text === "") return defaultServer();
  if (/^https?:\/\//i.test(text)) return new URL(text).origin + new URL(text).pathname.replace(/\/+$/, "");
  const base = `https://${text}`;
  try {
    const res = await fetch(`${base}/.well-known/matrix/client`, { signal: AbortSignal.timeout(5000) });
    if (res.ok) {
      const found = ((await res.json()) as { "m.homeserver"?: { base_url?: unknown } })["m.homeserver"]
        ?.base_url;
      if (typeof found === "string" && /^https?:\/\//i.test(found)) return found.replace(/\/+$/, "");
    }
  } catch {
    // No discovery document: the name is the server.
  }
  return base;
}

/** A client for `baseUrl`, its session and sync state kept in localStorage. */
export function newClient(baseUrl: string): MatrixClient {
  return createClient({
    baseUrl,
    store: new WebStorageStore(localStorage, SDK_PREFIX),
    deviceDisplayName: "Hearth web",
    // Back within a few seconds of the server: the UI says "offline" meanwhile.
    reconnect: { initialMs: 250, maxMs: 4000 },
    requestTimeoutMs: 30_000,
  });
}

/** Remembers the server of a successful sign-in. */
export function rememberServer(baseUrl: string): void {
  localStorage.setItem(SERVER_KEY, baseUrl);
}

/** The client of the session saved in localStorage, if any. */
export async function restoreClient(): Promise<MatrixClient | undefined> {
  const server = localStorage.getItem(SERVER_KEY);
  if (!server) return undefined;
  const client = newClient(server);
  return (await client.restoreSession()) ? client : undefined;
}
