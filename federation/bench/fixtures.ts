/** A realistic ~1.5 KB signed room event (v11) for the benchmarks. */
import { generateSigningKey, signEvent } from "../src/index.js";

/** The key that signed {@link sampleEvent}. */
export const benchKey = generateSigningKey("ed25519:bench");

const unsigned = {
  type: "m.room.message",
  room_id: "!benchmarkroomidabcdef:example.org",
  sender: "@alice.benchmark:example.org",
  origin_server_ts: 1_732_000_000_000,
  depth: 12_345,
  prev_events: [
    "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg",
    "$aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcde",
  ],
  auth_events: [
    "$createcreatecreatecreatecreatecreatecreate0",
    "$powerlevelspowerlevelspowerlevelspowerlev1",
    "$membermembermembermembermembermembermember",
  ],
  content: {
    msgtype: "m.text",
    body:
      "Here is a message of moderate length, with some unicode — café, 日本語, 😀 — and enough text to make " +
      "the event about one and a half kilobytes once it is hashed and signed, like a typical chat message " +
      "with a reply fallback and formatting.",
    format: "org.matrix.custom.html",
    formatted_body:
      "<mx-reply><blockquote><a href='https://matrix.to/#/!room:example.org/$event'>In reply to</a> " +
      "<a href='https://matrix.to/#/@bob:example.org'>@bob:example.org</a><br>Earlier message</blockquote>" +
      "</mx-reply>Here is a message of <b>moderate</b> length, with some unicode — café, 日本語, 😀.",
    "m.relates_to": { "m.in_reply_to": { event_id: "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg" } },
    "m.mentions": { user_ids: ["@bob:example.org"] },
  },
  unsigned: { age: 1234, transaction_id: "m1732000000000.17" },
};

/** The signed sample event. */
export const sampleEvent = signEvent(unsigned, "example.org", benchKey, "11");
