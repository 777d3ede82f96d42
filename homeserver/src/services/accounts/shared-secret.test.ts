import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SharedSecretRegistration, sharedSecretMac } from "./shared-secret.js";

describe("shared-secret registration", () => {
  it("computes Synapse's MAC: HMAC-SHA1 over nonce, user, password, admin flag joined by NUL", () => {
    const expected = createHmac("sha1", "secret").update("n\u0000u\u0000p\u0000admin").digest("hex");
    expect(sharedSecretMac("secret", "n", "u", "p", true)).toBe(expected);
    const notAdmin = createHmac("sha1", "secret").update("n\u0000u\u0000p\u0000notadmin").digest("hex");
    expect(sharedSecretMac("secret", "n", "u", "p", false)).toBe(notAdmin);
  });

  it("accepts a correct MAC once per nonce, refuses wrong MACs and expired nonces", () => {
    let now = 1_000;
    const reg = new SharedSecretRegistration("a very long shared secret", () => now);
    const nonce = reg.newNonce();
    const mac = sharedSecretMac("a very long shared secret", nonce, "u", "p", false);
    expect(() => reg.verify({ nonce, username: "u", password: "p", admin: true, mac })).toThrow(/HMAC/);
    const second = reg.newNonce();
    const mac2 = sharedSecretMac("a very long shared secret", second, "u", "p", false);
    reg.verify({ nonce: second, username: "u", password: "p", admin: false, mac: mac2 });
    expect(() =>
      reg.verify({ nonce: second, username: "u", password: "p", admin: false, mac: mac2 }),
    ).toThrow(/nonce/);
    const third = reg.newNonce();
    now += 61_000;
    const mac3 = sharedSecretMac("a very long shared secret", third, "u", "p", false);
    expect(() => reg.verify({ nonce: third, username: "u", password: "p", admin: false, mac: mac3 })).toThrow(
      /nonce/,
    );
    expect(() => reg.verify({ nonce: "x", username: "u", password: "p", admin: false, mac: "zz" })).toThrow();
  });

  it("is refused when no secret is configured", () => {
    const reg = new SharedSecretRegistration(undefined, Date.now);
    expect(reg.enabled).toBe(false);
    expect(() => reg.newNonce()).toThrow(/not enabled/);
  });
});
