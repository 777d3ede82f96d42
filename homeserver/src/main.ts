/**
 * The homeserver's composition root. The server itself arrives with the homeserver issue; until then
 * `npm start` says so instead of pretending to serve.
 */
console.log(
  "Hearth: the protocol core (@hearth/federation) is built; the homeserver arrives with the homeserver issue.\n" +
    "Run `npm test` for the protocol tests and `npm run bench` for the benchmarks.",
);
