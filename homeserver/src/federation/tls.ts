/**
 * X.509 certificates for the federation listener: self-signed certificates for a server name, and a
 * test CA with leaf certificates it signs (for clusters and tests). Node cannot create certificates,
 * so this encodes them in DER itself (RFC 5280): ECDSA P-256 keys, SHA-256 signatures, v3 with
 * basic constraints, key usage, extended key usage, key identifiers and subject alternative names.
 * Node's `X509Certificate` and TLS stack verify them; nothing here parses certificates.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  readonly cert: string;
  readonly key: string;
}

/** What {@link createCertificate} issues. */
export interface CertificateOptions {
  /** The subject common name. */
  readonly commonName: string;
  /** Host names and IP addresses (subject alternative names); none for a CA. */
  readonly altNames?: readonly string[];
  /** Whether the certificate is a CA (may sign certificates). */
  readonly isCa?: boolean;
  /** The issuing CA; absent for a self-signed certificate. */
  readonly issuer?: CertificateAndKey;
  /** Validity in days from now (default 3650). */
  readonly validDays?: number;
}

// ---- DER ------------------------------------------------------------------------------------

function tlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let len: number[];
  if (n < 0x80) len = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...len]), content]);
}

const seq = (...items: Uint8Array[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Uint8Array[]) => tlv(0x31, Buffer.concat(items));
const octets = (b: Uint8Array) => tlv(0x04, b);
const bitString = (b: Uint8Array, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const explicit = (n: number, inner: Uint8Array) => tlv(0xa0 + n, inner);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

function integer(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = Buffer.from(bytes.subarray(i));
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 section 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${iso}Z`, "ascii"));
}

const name = (commonName: string) => seq(set(seq(oid("2.5.4.3"), utf8(commonName))));

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
  // IPv6: expand "::" and a trailing dotted IPv4 part into eight 16-bit groups.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

/** A host name or IP address, as written in a server name (IPv6 in brackets or bare). */
function generalName(host: string): Buffer {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (isIPv4(bare) || isIPv6(bare)) return tlv(0x87, ipBytes(bare));
  return tlv(0x82, Buffer.from(bare, "ascii"));
}

function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));
}

const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function keyId(spki: Uint8Array): Buffer {
  return createHash("sha1").update(spki).digest();
}

/** The subject common name, signing key and key identifier of an issuing certificate. */
function issuerInfo(issuer: CertificateAndKey): { commonName: string; key: KeyObject; keyId: Buffer } {
  const key = createPrivateKey(issuer.key);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" }) as Buffer;
  // Node's parser gives the subject as "CN=<name>" lines; no ASN.1 reader needed here.
  const line = new X509Certificate(issuer.cert).subject.split("\n").find((l) => l.startsWith("CN="));
  if (!line) throw new Error("The issuer certificate has no common name");
  return { commonName: line.slice(3), key, keyId: keyId(spki) };
}

// ---- Issuing --------------------------------------------------------------------------------

/** Issues a certificate (self-signed, or signed by `issuer`) with a new ECDSA P-256 key. */
export function createCertificate(options: CertificateOptions): CertificateAndKey {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" }) as Buffer;
  const subjectKeyId = keyId(spki);
  const issuer = options.issuer ? issuerInfo(options.issuer) : undefined;
  const signingKey = issuer?.key ?? privateKey;
  const authorityKeyId = issuer?.keyId ?? subjectKeyId;
  const now = Date.now();
  const notBefore = new Date(now - 60 * 60 * 1000);
  const notAfter = new Date(now + (options.validDays ?? 3650) * 24 * 60 * 60 * 1000);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;

  const extensions: Buffer[] = [
    // basicConstraints
    extension("2.5.29.19", true, options.isCa ? seq(TRUE) : seq()),
    // keyUsage: digitalSignature, and keyCertSign + cRLSign for a CA (named bits, trailing zeros dropped)
    extension(
      "2.5.29.15",
      true,
      options.isCa ? bitString(Buffer.from([0x86]), 1) : bitString(Buffer.from([0x80]), 7),
    ),
    // subjectKeyIdentifier
    extension("2.5.29.14", false, octets(subjectKeyId)),
    // authorityKeyIdentifier: [0] keyIdentifier
    extension("2.5.29.35", false, seq(tlv(0x80, authorityKeyId))),
  ];
  if (!options.isCa) {
    // extKeyUsage: serverAuth, clientAuth
    extensions.push(extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"))));
  }
  if (options.altNames && options.altNames.length > 0) {
    extensions.push(extension("2.5.29.17", false, seq(...options.altNames.map(generalName))));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(issuer?.commonName ?? options.commonName),
    seq(time(notBefore), time(notAfter)),
    name(options.commonName),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signature = sign("sha256", tbs, signingKey);
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  const body = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}

/**
 * The host part of a server name (without port; IPv6 without brackets), which is what a server's
 * certificate must name ("TLS": the certificate is for the host, never the port).
 */
export function serverNameHost(serverName: string): string {
  if (serverName.startsWith("[")) return serverName.slice(1, serverName.indexOf("]"));
  const colon = serverName.lastIndexOf(":");
  return colon === -1 ? serverName : serverName.slice(0, colon);
}

/** A self-signed certificate for a server name (its host part: a DNS name or an IP address). */
export function createSelfSignedCertificate(serverName: string, validDays?: number): CertificateAndKey {
  const host = serverNameHost(serverName);
  return createCertificate({ commonName: host, altNames: [host], ...(validDays ? { validDays } : {}) });
}

/** A CA for tests and private clusters. */
export function createTestCa(commonName = "Hearth test CA"): CertificateAndKey {
  return createCertificate({ commonName, isCa: true });
}

/** A certificate for `hosts` (host names or IPs; a server name's port is dropped) signed by `ca`. */
export function createLeafCertificate(ca: CertificateAndKey, hosts: readonly string[]): CertificateAndKey {
  const names = hosts.map(serverNameHost);
  return createCertificate({ commonName: names[0] ?? "localhost", altNames: names, issuer: ca });
}
