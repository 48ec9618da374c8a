import { describe, expect, it } from "vitest";
import { recordSha256Calls } from "../../../src/verify/hash.js";
import {
  digestFromProto,
  EMPTY_DIGEST,
  leafHash,
  nodeHash,
  sha256,
  VerificationError,
  ZERO_DIGEST,
} from "../../../src/verify/index.js";
import { fromHex, refSha256, toHex } from "./helpers.js";

describe("sha256 and constants", () => {
  it("hashes known vectors", () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(toHex(sha256(new TextEncoder().encode("abc")))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    expect(sha256(new Uint8Array(5))).toBeInstanceOf(Uint8Array);
    expect(sha256(new Uint8Array(5)).length).toBe(32);
  });

  it("hashes subarray views by their content only", () => {
    const big = fromHex("ff00616263ff");
    expect(toHex(sha256(big.subarray(2, 5)))).toBe(toHex(refSha256(fromHex("616263"))));
  });

  it("exposes EMPTY_DIGEST = H('') and ZERO_DIGEST = 32 zero bytes", () => {
    expect(toHex(EMPTY_DIGEST)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(ZERO_DIGEST)).toBe("00".repeat(32));
  });

  it("computes RFC 6962 leaf and node hashes", () => {
    // MTH of a single empty leaf (certificate-transparency test vector).
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
    // MTH({"", 0x00}) = node(leaf(""), leaf(0x00)).
    expect(toHex(nodeHash(leafHash(new Uint8Array(0)), leafHash(Uint8Array.of(0))))).toBe(
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    );
    const d = refSha256(Uint8Array.of(7));
    expect(toHex(leafHash(d))).toBe(toHex(refSha256(Uint8Array.of(0), d)));
    const e = refSha256(Uint8Array.of(8));
    expect(toHex(nodeHash(d, e))).toBe(toHex(refSha256(Uint8Array.of(1), d, e)));
  });

  it("rejects node hash inputs that are not 32 bytes", () => {
    expect(() => nodeHash(new Uint8Array(31), new Uint8Array(32))).toThrow(VerificationError);
    expect(() => nodeHash(new Uint8Array(32), new Uint8Array(33))).toThrow(VerificationError);
  });

  it("returns fresh results that do not alias the internal scratch buffers", () => {
    const a = leafHash(refSha256(Uint8Array.of(1)));
    const before = toHex(a);
    leafHash(refSha256(Uint8Array.of(2)));
    nodeHash(a, a);
    expect(toHex(a)).toBe(before);
  });

  it("records sha256 call sizes only inside recordSha256Calls", () => {
    const d = new Uint8Array(32);
    const sizes = recordSha256Calls(() => {
      leafHash(d);
      nodeHash(d, d);
      sha256(new Uint8Array(3));
    });
    expect(sizes).toEqual([33, 65, 3]);
    expect(recordSha256Calls(() => {})).toEqual([]);
  });
});

describe("digestFromProto", () => {
  it("zero-pads short input, truncates long input, maps undefined to zeros", () => {
    expect(toHex(digestFromProto(undefined))).toBe("00".repeat(32));
    expect(toHex(digestFromProto(new Uint8Array(0)))).toBe("00".repeat(32));
    expect(toHex(digestFromProto(fromHex("abcd")))).toBe(`abcd${"00".repeat(30)}`);
    const long = fromHex(`${"11".repeat(32)}2222`);
    expect(toHex(digestFromProto(long))).toBe("11".repeat(32));
  });

  it("always returns a fresh 32-byte copy", () => {
    const src = fromHex("22".repeat(32));
    const out = digestFromProto(src);
    expect(out).not.toBe(src);
    src[0] = 0;
    expect(out[0]).toBe(0x22);
  });
});
