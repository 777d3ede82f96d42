import { describe, expect, it } from "vitest";
import { type AddressClass, classifyAddress, refuseUnsafeAddress, UnsafeAddressError } from "./address.js";

describe("classifyAddress", () => {
  it.each<[string, AddressClass]>([
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["172.32.0.1", "public"],
    ["100.128.0.1", "public"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared"],
    ["169.254.169.254", "link-local"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.1", "documentation"],
    ["198.18.0.1", "reserved"],
    ["2606:4700::1111", "public"],
    ["2001:4860:4860::8888", "public"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "private"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:0a00:0001::1", "private"],
    ["2002:0808:0808::1", "public"],
  ])("%s is %s", (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it("returns undefined for non-addresses", () => {
    for (const s of ["example.org", "1.2.3", "1.2.3.256", "::g", "", "[::1"])
      expect(classifyAddress(s)).toBeUndefined();
  });
});

describe("refuseUnsafeAddress", () => {
  const refused = (address: string, allowPrivate: boolean) => {
    try {
      refuseUnsafeAddress(address, allowPrivate);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(UnsafeAddressError);
      expect((err as Error).name).toBe("UnsafeAddressError");
      return (err as UnsafeAddressError).addressClass;
    }
  };

  it("allows public addresses", () => {
    expect(refused("8.8.8.8", false)).toBeUndefined();
    expect(refused("2606:4700::1111", false)).toBeUndefined();
  });

  it("refuses private, loopback, link-local and unique-local unless allowed", () => {
    for (const a of [
      "127.0.0.1",
      "10.0.0.1",
      "192.168.0.1",
      "169.254.169.254",
      "fd00::1",
      "::1",
      "::ffff:127.0.0.1",
    ]) {
      expect(refused(a, false)).toBeDefined();
      expect(refused(a, true)).toBeUndefined();
    }
  });

  it("always refuses unspecified, multicast, broadcast and non-addresses", () => {
    expect(refused("0.0.0.0", true)).toBe("unspecified");
    expect(refused("::", true)).toBe("unspecified");
    expect(refused("224.0.0.1", true)).toBe("multicast");
    expect(refused("ff02::1", true)).toBe("multicast");
    expect(refused("255.255.255.255", true)).toBe("broadcast");
    expect(refused("localhost", true)).toBe("invalid");
  });
});
