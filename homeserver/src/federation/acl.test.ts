import { describe, expect, it } from "vitest";
import { globToRegExp, hostOfServerName, isServerAllowedByAcl } from "./acl.js";

describe("server ACLs", () => {
  it("allows everything without an ACL event (rule 1)", () => {
    expect(isServerAllowedByAcl("evil.com", undefined)).toBe(true);
  });

  it("denies IP literals only when allow_ip_literals is false (rule 2)", () => {
    const acl = { allow: ["*"], allow_ip_literals: false };
    expect(isServerAllowedByAcl("1.2.3.4", acl)).toBe(false);
    expect(isServerAllowedByAcl("1.2.3.4:8448", acl)).toBe(false);
    expect(isServerAllowedByAcl("[::1]:8448", acl)).toBe(false);
    expect(isServerAllowedByAcl("example.org", acl)).toBe(true);
    // Not a boolean → default true.
    expect(isServerAllowedByAcl("1.2.3.4", { allow: ["*"], allow_ip_literals: "false" })).toBe(true);
    expect(isServerAllowedByAcl("1.2.3.4", { allow: ["*"] })).toBe(true);
  });

  it("applies deny before allow, ignoring ports and case (rules 3, 4)", () => {
    const acl = { allow: ["*"], deny: ["evil.com", "*.evil.com"] };
    expect(isServerAllowedByAcl("evil.com", acl)).toBe(false);
    expect(isServerAllowedByAcl("EVIL.com:1234", acl)).toBe(false);
    expect(isServerAllowedByAcl("sub.evil.com:8448", acl)).toBe(false);
    expect(isServerAllowedByAcl("notevil.com", acl)).toBe(true);
  });

  it("denies what no allow entry matches, and everything without allow (rule 5)", () => {
    expect(isServerAllowedByAcl("a.org", { allow: ["b.org"] })).toBe(false);
    expect(isServerAllowedByAcl("a.org", {})).toBe(false);
    expect(isServerAllowedByAcl("a.org", { allow: "a.org" })).toBe(false);
    expect(isServerAllowedByAcl("a.org", { allow: [42, "a.org"] })).toBe(true);
  });

  it("matches globs with * and ? over whole names", () => {
    expect(globToRegExp("ex?mple.org").test("example.org")).toBe(true);
    expect(globToRegExp("ex?mple.org").test("exmple.org")).toBe(false);
    expect(globToRegExp("*.org").test("a.b.org")).toBe(true);
    expect(globToRegExp("a.org").test("aXorg")).toBe(false);
    expect(globToRegExp("a.org").test("a.org.evil")).toBe(false);
  });

  it("strips ports from server names", () => {
    expect(hostOfServerName("a.org:8448")).toBe("a.org");
    expect(hostOfServerName("[::1]:80")).toBe("[::1]");
    expect(hostOfServerName("[::1]")).toBe("[::1]");
    expect(hostOfServerName("a.org")).toBe("a.org");
  });
});
