/** Pluggable persistence: in memory (default), Web Storage; a file-backed store is in the Node adapter. */
export { type ClientStore, MemoryStore, type StorageLike, WebStorageStore } from "./store.js";
