/**
 * `@hearth/federation/client`: the parts of the protocol library a client needs, and nothing that
 * needs Node — endpoint descriptors and API types, errors and their status table, identifier
 * grammars, bounded JSON parsing, room version metadata. The client SDK imports only this entry, so
 * it runs in browsers; a test checks that nothing here imports `node:` modules or other packages.
 */
export * from "./api/index.js";
export * from "./errors/index.js";
export * from "./ids/index.js";
export * from "./json/index.js";
export * from "./room-versions/index.js";
