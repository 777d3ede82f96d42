import { describe, expect, it } from "vitest";
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from "./passwords.js";

describe("password hashing", () => {
  it("stores scrypt parameters and a random salt, and verifies only the right password", async () => {
    const a = await hashPassword("hunter2");
    const b = await hashPassword("hunter2");
    expect(a).toMatchObject({ alg: "scrypt", ...DEFAULT_SCRYPT_PARAMS });
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(JSON.stringify(a)).not.toContain("hunter2");
    expect(await verifyPassword("hunter2", a)).toBe(true);
    expect(await verifyPassword("hunter3", a)).toBe(false);
    expect(await verifyPassword("", a)).toBe(false);
  });

  it("verifies with the parameters stored in the hash", async () => {
    const cheap = await hashPassword("pw", { n: 1024, r: 8, p: 1 });
    expect(cheap.n).toBe(1024);
    expect(await verifyPassword("pw", cheap)).toBe(true);
  });

  it("normalises Unicode (NFKC) so equivalent spellings match", async () => {
    const h = await hashPassword("caf\u00e9", { n: 1024, r: 8, p: 1 });
    expect(await verifyPassword("cafe\u0301", h)).toBe(true);
  });
});
