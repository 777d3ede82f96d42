/**
 * A small typed event emitter, so the core needs no `node:events` (it runs in browsers too).
 */

/** A map from event name to listener signature. */
// biome-ignore lint/suspicious/noExplicitAny: listener argument lists are arbitrary.
export type EventMap = { [event: string]: (...args: any[]) => void };

/**
 * Emits typed events to listeners. A listener that throws does not stop the others: the error is
 * reported to `onListenerError` (by default rethrown asynchronously, so it surfaces as an uncaught
 * error without breaking the emitter's caller).
 */
export class Emitter<M extends EventMap> {
  readonly #listeners = new Map<keyof M, Set<M[keyof M]>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: M[K]): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener called at most once. */
  once<K extends keyof M>(event: K, listener: M[K]): () => void {
    const wrapper = ((...args: Parameters<M[K]>) => {
      off();
      listener(...args);
    }) as M[K];
    const off = this.on(event, wrapper);
    return off;
  }

  /** Removes a listener. */
  off<K extends keyof M>(event: K, listener: M[K]): void {
    this.#listeners.get(event)?.delete(listener);
  }

  /** Calls every listener of `event` with `args`, in the order they were added. */
  emit<K extends keyof M>(event: K, ...args: Parameters<M[K]>): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Called with whatever a listener throws. */
  protected onListenerError(error: unknown): void {
    queueMicrotask(() => {
      throw error;
    });
  }
}
