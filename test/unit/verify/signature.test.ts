import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  parseSigningPublicKey,
  type SigningPublicKey,
  type StateDigest,
  stateSigningBytes,
  VerificationError,
  verifyStateSignature,
} from "../../../src/verify/index.js";
import { flipByte, fromHex, toHex } from "./helpers.js";

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof VerificationError) return e.reason;
    return `not a VerificationError: ${String(e)}`;
  }
  return undefined;
}

/** P-256 group order. */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function bigFromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${toHex(b)}`);
}

/** Minimal DER INTEGER content of a non-negative bigint. */
function intContent(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const b = fromHex(hex);
  return (b[0] ?? 0) >= 0x80 ? Uint8Array.of(0, ...b) : b;
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  if (content.length >= 0x80) throw new Error("test helper only supports short lengths");
  return Uint8Array.of(tag, content.length, ...content);
}

function derSig(r: Uint8Array, s: Uint8Array, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  return tlv(0x30, Uint8Array.of(...tlv(0x02, r), ...tlv(0x02, s), ...extra));
}

/** Parses a (well-formed, short) DER ECDSA signature made by node into r and s. */
function parseSig(der: Uint8Array): { r: bigint; s: bigint } {
  expect(der[0]).toBe(0x30);
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const sLen = der[5 + rLen]!;
  const s = der.subarray(6 + rLen, 6 + rLen + sLen);
  return { r: bigFromBytes(r), s: bigFromBytes(s) };
}

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const pem = publicKey.export({ type: "spki", format: "pem" }).toString();

function rawPoint(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: "jwk" });
  return Uint8Array.of(4, ...Buffer.from(jwk.x!, "base64url"), ...Buffer.from(jwk.y!, "base64url"));
}

const state: StateDigest = { db: "defaultdb", txId: 42n, txHash: fromHex("11".repeat(32)) };
const payload = stateSigningBytes(state);
const signature = Uint8Array.from(sign("sha256", payload, { key: privateKey, dsaEncoding: "der" }));
const { r, s } = parseSig(signature);
const lowS = s <= N / 2n ? s : N - s;
const highS = N - lowS;
const lowSig = derSig(intContent(r), intContent(lowS));
const highSig = derSig(intContent(r), intContent(highS));
const key = parseSigningPublicKey(pem);

describe("stateSigningBytes (spec 5.1)", () => {
  it("matches the Go-verified vector", () => {
    expect(toHex(payload)).toBe(`0000000964656661756c746462000000000000002a${"11".repeat(32)}`);
  });

  it("uses the UTF-8 byte length of the database name", () => {
    const b = stateSigningBytes({ db: "dbé", txId: 1n, txHash: new Uint8Array(32) });
    expect(toHex(b.subarray(0, 4))).toBe("00000004");
    expect(toHex(b.subarray(4, 8))).toBe("6462c3a9");
    expect(b.length).toBe(4 + 4 + 8 + 32);
  });

  it("rejects malformed states", () => {
    expect(reasonOf(() => stateSigningBytes({ ...state, txHash: new Uint8Array(31) }))).toBe(
      "malformed-proof",
    );
    expect(reasonOf(() => stateSigningBytes({ ...state, txId: -1n }))).toBe("malformed-proof");
    expect(reasonOf(() => stateSigningBytes({ ...state, db: 5 as unknown as string }))).toBe(
      "malformed-proof",
    );
  });
});

describe("parseSigningPublicKey", () => {
  it("parses PEM text, PEM bytes and raw uncompressed points to the same key", () => {
    const point = rawPoint(publicKey);
    expect(toHex(key.point)).toBe(toHex(point));
    expect(key.algorithm).toBe("ecdsa-p256-sha256");
    expect(toHex(parseSigningPublicKey(new TextEncoder().encode(pem)).point)).toBe(toHex(point));
    expect(toHex(parseSigningPublicKey(`\n  ${pem}`).point)).toBe(toHex(point));
    const fromPoint = parseSigningPublicKey(point);
    expect(toHex(fromPoint.point)).toBe(toHex(point));
    verifyStateSignature(state, signature, fromPoint);
  });

  it("rejects everything else with InvalidArgumentError", () => {
    const point = rawPoint(publicKey);
    const bad: (string | Uint8Array)[] = [
      "",
      "not a key",
      privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      privateKey.export({ type: "sec1", format: "pem" }).toString(),
      generateKeyPairSync("ec", { namedCurve: "secp384r1" })
        .publicKey.export({ type: "spki", format: "pem" })
        .toString(),
      generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString(),
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
      point.subarray(0, 33),
      Uint8Array.of(2, ...point.subarray(1, 33)),
      flipByte(point, 64), // off the curve
      Uint8Array.of(5, ...point.subarray(1)),
      new Uint8Array(65),
      point.subarray(1),
      publicKey.export({ type: "spki", format: "der" }),
    ];
    for (const k of bad) expect(() => parseSigningPublicKey(k)).toThrow(InvalidArgumentError);
    expect(() => parseSigningPublicKey(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});

describe("verifyStateSignature (spec 5.2, 5.3)", () => {
  it("accepts the signature in both low-S and high-S form", () => {
    expect(highS).toBeGreaterThan(N / 2n);
    verifyStateSignature(state, signature, key);
    verifyStateSignature(state, lowSig, key);
    verifyStateSignature(state, highSig, key);
  });

  it("accepts what Go's asn1.Unmarshal accepts: trailing bytes and extra SEQUENCE elements", () => {
    verifyStateSignature(state, Uint8Array.of(...highSig, 0), key);
    verifyStateSignature(state, Uint8Array.of(...lowSig, 0xde, 0xad), key);
    verifyStateSignature(state, derSig(intContent(r), intContent(lowS), Uint8Array.of(2, 1, 5)), key);
  });

  it("rejects signatures of other data, by other keys, or malformed", () => {
    const otherKey = parseSigningPublicKey(
      other.publicKey.export({ type: "spki", format: "pem" }).toString(),
    );
    const cases: [string, StateDigest, Uint8Array | undefined, SigningPublicKey][] = [
      ["wrong key", state, signature, otherKey],
      ["wrong key high-S", state, highSig, otherKey],
      ["other txId", { ...state, txId: 43n }, signature, key],
      ["other db", { ...state, db: "defaultdb2" }, signature, key],
      ["other hash", { ...state, txHash: flipByte(state.txHash, 31) }, signature, key],
      ["flipped signature byte", state, flipByte(signature, signature.length - 1), key],
      ["r + n", state, derSig(intContent(r + N), intContent(lowS)), key],
      ["s + n", state, derSig(intContent(r), intContent(lowS + N)), key],
      ["r = 0", state, derSig(Uint8Array.of(0), intContent(lowS)), key],
      ["s = 0", state, derSig(intContent(r), Uint8Array.of(0)), key],
      ["negative r", state, derSig(Uint8Array.of(0xff), intContent(lowS)), key],
      ["non-minimal r", state, derSig(Uint8Array.of(0, ...intContent(r)), intContent(lowS)), key],
      ["empty r", state, derSig(new Uint8Array(0), intContent(lowS)), key],
      ["missing s", state, tlv(0x30, tlv(0x02, intContent(r))), key],
      ["truncated", state, signature.subarray(0, signature.length - 1), key],
      ["long-form short length", state, Uint8Array.of(0x30, 0x81, ...lowSig.subarray(1)), key],
      ["indefinite length", state, Uint8Array.of(0x30, 0x80, ...lowSig.subarray(2), 0, 0), key],
      ["not a SEQUENCE", state, Uint8Array.of(0x31, ...lowSig.subarray(1)), key],
      [
        "INTEGER with another tag",
        state,
        derSig(intContent(r), intContent(lowS)).map((b, k) => (k === 2 ? 0x03 : b)),
        key,
      ],
      [
        "raw r||s (P1363)",
        state,
        sign("sha256", payload, { key: privateKey, dsaEncoding: "ieee-p1363" }),
        key,
      ],
      ["empty", state, new Uint8Array(0), key],
    ];
    const accepted: string[] = [];
    for (const [what, st, sig, k] of cases) {
      if (reasonOf(() => verifyStateSignature(st, sig, k)) !== "signature") accepted.push(what);
    }
    expect(accepted).toEqual([]);
  });

  it("reports a missing signature and a foreign key object", () => {
    try {
      verifyStateSignature(state, undefined, key);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VerificationError);
      expect((e as VerificationError).reason).toBe("signature");
      expect((e as VerificationError).message).toContain("no signature provided");
    }
    const fake = { algorithm: "ecdsa-p256-sha256", point: key.point } as SigningPublicKey;
    expect(reasonOf(() => verifyStateSignature(state, signature, fake))).toBe("signature");
    expect(
      reasonOf(() => verifyStateSignature({ ...state, txHash: new Uint8Array(5) }, signature, key)),
    ).toBe("malformed-proof");
  });
});
