/**
 * Preact hooks over the SDK. The SDK's models are mutable objects that change as syncs arrive; a
 * component that reads them re-renders when the client emits (batched, at most once a frame).
 */
import type { ClientEvents, MatrixClient } from "@hearth/client-sdk";
import { useEffect, useReducer } from "preact/hooks";

/** Events after which what the UI shows may have changed. */
const CHANGES: Array<keyof ClientEvents> = [
  "room",
  "timeline",
  "localEcho",
  "eventUpdated",
  "membership",
  "typing",
  "receipt",
  "presence",
  "accountData",
  "online",
  "offline",
];

/** Re-renders the calling component whenever the client's models change. */
export function useClientUpdates(client: MatrixClient): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A timer, not requestAnimationFrame: hidden tabs keep their state current (and their title).
    const schedule = () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        bump(0);
      }, 16);
    };
    const offs = CHANGES.map((name) => client.on(name, schedule as never));
    return () => {
      for (const off of offs) off();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [client]);
}
