/**
 * Adversarial input for the fuzz suites: JSON bodies, path parameters and query strings that an
 * attacker with an account (or a server) might send. Bodies are JSON *text*, so that what JSON.stringify
 * cannot write (deep nesting past the stack, lone surrogate escapes, 1e400, duplicate keys) is sent too.
 */
import { ERRCODE_STATUS } from "@hearth/federation";
import fc from "fast-check";

/**
 * How many cases a property runs: `quick` in `npm test`, times `HEARTH_FUZZ_SCALE` (`npm run fuzz`
 * sets it) for a longer run.
 */
export function fuzzRuns(quick: number): number {
  const scale = Number(process.env.HEARTH_FUZZ_SCALE ?? "1");
  return Math.max(1, Math.round(quick * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/**
 * fast-check parameters. A failure prints its `seed` and `path`; `HEARTH_FUZZ_SEED` and
 * `HEARTH_FUZZ_PATH` replay exactly that case.
 */
export function fuzzParameters(quick: number): fc.Parameters<unknown> {
  const seed = process.env.HEARTH_FUZZ_SEED;
  const path = process.env.HEARTH_FUZZ_PATH;
  return {
    numRuns: fuzzRuns(quick),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(path !== undefined ? { path } : {}),
    // A failing case is shown with the seed and path that replay it.
    verbose: 1,
    endOnFailure: true,
  };
}

/** The spec's errcodes (plus the few the spec names per endpoint), which any error must use. */
export const SPEC_ERRCODES = new Set(Object.keys(ERRCODE_STATUS));

/** Field names real request bodies use: mutated bodies put adversarial values under them. */
export const FIELD_NAMES = [
  "body",
  "msgtype",
  "name",
  "topic",
  "preset",
  "visibility",
  "room_alias_name",
  "invite",
  "invite_3pid",
  "initial_state",
  "creation_content",
  "power_level_content_override",
  "room_version",
  "is_direct",
  "membership",
  "reason",
  "user_id",
  "displayname",
  "avatar_url",
  "password",
  "auth",
  "session",
  "device_id",
  "initial_device_display_name",
  "username",
  "type",
  "identifier",
  "user",
  "token",
  "refresh_token",
  "filter",
  "timeout",
  "messages",
  "device_keys",
  "one_time_keys",
  "fallback_keys",
  "presence",
  "status_msg",
  "typing",
  "m.read",
  "m.fully_read",
  "m.read.private",
  "event_id",
  "score",
  "search_categories",
  "room_events",
  "search_term",
  "keys",
  "order_by",
  "limit",
  "server",
  "kind",
  "app_id",
  "app_display_name",
  "device_display_name",
  "pushkey",
  "data",
  "lang",
  "append",
  "actions",
  "conditions",
  "pattern",
  "enabled",
  "tags",
  "order",
  "auth_data",
  "algorithm",
  "version",
  "rooms",
  "sessions",
  "new_version",
  "master_key",
  "self_signing_key",
  "user_signing_key",
  "logout_devices",
  "new_password",
  "erase",
  "devices",
  "thread_id",
  "content",
  "via",
  "third_party_signed",
  "room_id",
  "alias",
  "aliases",
  "new_room_version",
  "inhibit_login",
  "m.relates_to",
  "event_type",
  "rel_type",
  "state_key",
  "redacts",
  "url",
  "info",
  "mimetype",
  "filename",
  "account_data",
  "event_fields",
  "event_format",
  "not_types",
  "types",
  "senders",
  "lazy_load_members",
  "include_leave",
  "org.matrix.msc2732.fallback_keys",
  "signatures",
  "user_ids",
  "device_ids",
];

/** Strings that have broken parsers, encoders, key builders and regexes elsewhere. */
export const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\\",
  '"',
  "'",
  "../..",
  "%",
  "%00",
  "%ZZ",
  "\ud800",
  "\udfff",
  "\u{1F600}",
  "\u202e",
  "\uffff",
  "\ufeff",
  "\u2028",
  "null",
  "true",
  "[]",
  "{}",
  "0",
  "-1",
  "1e400",
  "NaN",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "$",
  "!",
  "@",
  "#",
  ":",
  "@:",
  "!:x",
  "$:x",
  "@a:b",
  "#a:b",
  "!a:b",
  "@a:b:c",
  "@a:[::1]",
  "@a:256.0.0.1",
  "*",
  "m.room.member",
  "m.room.create",
  "m.room.power_levels",
  "m.room.message",
  ".*",
  "(a+)+$",
  "\r\n",
  "<script>",
  "a".repeat(256),
  "b".repeat(5000),
];

/** Numbers a JSON body may hold that break integer assumptions. */
const NASTY_NUMBERS = [
  "0",
  "-0",
  "1",
  "-1",
  "1.5",
  "-1.5",
  "1e400",
  "-1e400",
  "1e-400",
  "9007199254740991",
  "9007199254740992",
  "-9007199254740992",
  "18446744073709551616",
  "0.1",
  "1e21",
  "2147483648",
  "4294967296",
  "123456789012345678901234567890",
];

/** A JSON string literal for `s`, written with JSON.stringify (lone surrogates become escapes). */
function lit(s: string): string {
  return JSON.stringify(s);
}

/** JSON text of an adversarial scalar or shallow value. */
export const nastyJsonValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS).map(lit),
  fc.constantFrom(...NASTY_NUMBERS),
  fc.constantFrom("null", "true", "false", "[]", "{}", '[""]', '{"":null}', "[null]", "[[[]]]", '"\\ud800"'),
  fc.string({ unit: "binary", maxLength: 30 }).map(lit),
  fc.json({ maxDepth: 3 }),
);

/** JSON text nested `depth` levels, arrays or objects. */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(50, 99, 100, 101, 128, 129, 1_000, 5_000, 100_000), fc.boolean())
  .map(([depth, objects]) =>
    objects
      ? `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`
      : "[".repeat(depth) + "]".repeat(depth),
  );

const fieldName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
);

/**
 * An object body shaped like real ones: known field names, nested objects and arrays of them (an
 * `initial_state` entry, `device_keys.keys`, a filter's `room.timeline`), adversarial leaves. Text,
 * so duplicate keys happen too. `deep` weighs how often a leaf is nested past the limits.
 */
function shapedObject(deep: number): fc.Arbitrary<string> {
  return fc.letrec<{ obj: string; value: string }>((tie) => ({
    obj: fc
      .array(fc.tuple(fieldName, tie("value")), { maxLength: 6 })
      .map((fields) => `{${fields.map(([k, v]) => `${lit(k)}:${v}`).join(",")}}`),
    value: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      { weight: 20, arbitrary: nastyJsonValue },
      { weight: 8, arbitrary: tie("obj") },
      {
        weight: 4,
        arbitrary: fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(",")}]`),
      },
      ...(deep > 0 ? [{ weight: deep, arbitrary: deepJson }] : []),
    ),
  })).obj;
}

/** {@link shapedObject} with a leaf nested past the limits now and then. */
export const mutatedObject: fc.Arbitrary<string> = shapedObject(1);

/** {@link shapedObject} within the nesting limits (deep nesting is tried separately). */
export const shallowObject: fc.Arbitrary<string> = shapedObject(0);

/** Any body: text the server will try to parse. */
export const nastyBody: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: mutatedObject },
  { weight: 2, arbitrary: deepJson.map((d) => `{"a":${d}}`) },
  { weight: 1, arbitrary: nastyJsonValue },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "{", "}", "{}}", "\u0000", '{"a":1,}', "\ufeff{}", "{'a':1}", "undefined"),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** A path parameter: something valid for this server, or something hostile; raw (percent-encoded later). */
export function pathParam(valid: readonly string[]): fc.Arbitrary<{ raw: string } | { text: string }> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...valid).map((text) => ({ text })) },
    { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS).map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }).map((text) => ({ text })) },
    // Already-encoded forms the URL parser will not fix: a lone surrogate's UTF-8, overlong, bad escapes.
    {
      weight: 2,
      arbitrary: fc
        .constantFrom("%ED%A0%80", "%C0%AF", "%FF", "%", "%2", "%2F..%2F", "a%00b", ".", "..")
        .map((raw) => ({ raw })),
    },
  );
}

/** Encodes a path parameter (text is percent-encoded; raw is sent as written). */
export function encodeParam(p: { raw: string } | { text: string }): string {
  if ("raw" in p) return p.raw;
  // A lone surrogate cannot be percent-encoded as UTF-8: send its (invalid) UTF-8 bytes as escapes.
  return p.text.isWellFormed() ? encodeURIComponent(p.text) : "%ED%A0%80";
}

/** Query parameters real endpoints read. */
const QUERY_NAMES = [
  "from",
  "to",
  "dir",
  "limit",
  "filter",
  "since",
  "full_state",
  "set_presence",
  "timeout",
  "ts",
  "kind",
  "server_name",
  "via",
  "access_token",
  "user_id",
  "event_id",
  "next_batch",
  "search_term",
  "include_all_networks",
  "third_party_instance_id",
  "recurse",
  "suggested_only",
  "max_depth",
  "org.matrix.msc3030.ts",
  "username",
  "allow_redirect",
  "allow_remote",
  "width",
  "height",
  "method",
  "animated",
  "recurse",
  "v",
  "ver",
  "from_token",
];

/** A query string (without `?`) of up to four parameters with hostile values. */
export const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom(...QUERY_NAMES),
      fc.oneof(
        fc.constantFrom(
          ...NASTY_STRINGS,
          ...NASTY_NUMBERS,
          "b",
          "f",
          "online",
          "%7B%22a%22%3A1%7D",
          "s0_0_0_0_0_0_0",
          "t1_1",
        ),
        deepJson.filter((d) => d.length < 4_000),
      ),
    ),
    { maxLength: 4 },
  )
  .map((params) =>
    params
      .map(([k, v]) => `${encodeURIComponent(k)}=${v.isWellFormed() ? encodeURIComponent(v) : "%ED%A0%80"}`)
      // A long-poll that waits its whole timeout is not a hang; keep the fuzz quick.
      .map((kv) => (kv.startsWith("timeout=") && /^timeout=\d{4,}/.test(kv) ? "timeout=50" : kv))
      .join("&"),
  );
