import { describe, expect, it } from "vitest";
import {
  deletedEntrySpec,
  type EntrySpec,
  encodeKey,
  encodePlainValue,
  encodeReferenceValue,
  encodeZAddKey,
  entryDigest,
  kvMetadataBytes,
  plainEntrySpec,
  referenceEntrySpec,
  txMetadataBytes,
  VerificationError,
  zAddEntrySpec,
} from "../../../src/verify/index.js";
import { fromHex, refSha256, toHex, u64, utf8 } from "./helpers.js";

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof VerificationError) return e.reason;
    return `not a VerificationError: ${String(e)}`;
  }
  return undefined;
}

describe("kvMetadataBytes (spec 1.4, Go-verified vectors)", () => {
  it("encodes each attribute and their combination", () => {
    expect(toHex(kvMetadataBytes())).toBe("");
    expect(toHex(kvMetadataBytes({}))).toBe("");
    expect(toHex(kvMetadataBytes({ deleted: false, nonIndexable: false }))).toBe("");
    expect(toHex(kvMetadataBytes({ deleted: true }))).toBe("00");
    expect(toHex(kvMetadataBytes({ expiresAt: 1_700_000_000n }))).toBe("01000000006553f100");
    expect(toHex(kvMetadataBytes({ nonIndexable: true }))).toBe("02");
    expect(toHex(kvMetadataBytes({ deleted: true, expiresAt: 1_700_000_000n, nonIndexable: true }))).toBe(
      "0001000000006553f10002",
    );
  });

  it("encodes expiresAt = 0 (present) differently from absent, negatives as two's complement", () => {
    expect(toHex(kvMetadataBytes({ expiresAt: 0n }))).toBe("010000000000000000");
    expect(toHex(kvMetadataBytes({ expiresAt: -1n }))).toBe("01ffffffffffffffff");
  });

  it("rejects expiresAt outside int64", () => {
    expect(reasonOf(() => kvMetadataBytes({ expiresAt: 2n ** 63n }))).toBe("malformed-proof");
    expect(reasonOf(() => kvMetadataBytes({ expiresAt: -(2n ** 63n) - 1n }))).toBe("malformed-proof");
  });
});

describe("txMetadataBytes (spec 2.3, Go-verified vectors)", () => {
  it("encodes truncatedTxId, extra and both", () => {
    expect(toHex(txMetadataBytes())).toBe("");
    expect(toHex(txMetadataBytes({}))).toBe("");
    expect(toHex(txMetadataBytes({ truncatedTxId: 0n, extra: new Uint8Array(0) }))).toBe("");
    expect(toHex(txMetadataBytes({ truncatedTxId: 5n }))).toBe("000000000000000005");
    expect(toHex(txMetadataBytes({ extra: utf8("abc") }))).toBe("010003616263");
    expect(toHex(txMetadataBytes({ truncatedTxId: 5n, extra: utf8("abc") }))).toBe(
      "000000000000000005010003616263",
    );
  });

  it("accepts 256 extra bytes and rejects 257", () => {
    const md = txMetadataBytes({ extra: new Uint8Array(256).fill(7) });
    expect(md.length).toBe(3 + 256);
    expect(toHex(md.subarray(0, 4))).toBe("01010007");
    expect(reasonOf(() => txMetadataBytes({ extra: new Uint8Array(257) }))).toBe("malformed-proof");
  });

  it("rejects truncatedTxId outside uint64", () => {
    expect(reasonOf(() => txMetadataBytes({ truncatedTxId: -1n }))).toBe("malformed-proof");
    expect(reasonOf(() => txMetadataBytes({ truncatedTxId: 2n ** 64n }))).toBe("malformed-proof");
  });
});

describe("key and value encodings (spec 1.5)", () => {
  it("prefixes plain keys and values with 0x00", () => {
    expect(toHex(encodeKey(utf8("key1")))).toBe("006b657931");
    expect(toHex(encodePlainValue(utf8("v")))).toBe("0076");
    expect(toHex(encodeKey(new Uint8Array(0)))).toBe("00");
  });

  it("encodes reference values (Go-verified vector)", () => {
    expect(toHex(encodeReferenceValue(utf8("key1"), 0n))).toBe("010000000000000000006b657931");
    expect(toHex(encodeReferenceValue(utf8("key1"), 258n))).toBe("010000000000000102006b657931");
    expect(reasonOf(() => encodeReferenceValue(utf8("k"), -1n))).toBe("malformed-proof");
  });

  it("encodes sorted-set keys (Go-verified vector)", () => {
    expect(toHex(encodeZAddKey(utf8("set1"), 1.5, utf8("key1"), 0n))).toBe(
      "010000000000000004736574313ff80000000000000000000000000005006b6579310000000000000000",
    );
  });

  it("keeps the sign of -0 and encodes atTx and infinities", () => {
    const pos = encodeZAddKey(utf8("s"), 0, utf8("k"), 7n);
    const neg = encodeZAddKey(utf8("s"), -0, utf8("k"), 7n);
    // 0x01 ‖ u64(1) ‖ "s" = 10 bytes, then the score.
    expect(toHex(pos.subarray(10, 18))).toBe("0000000000000000");
    expect(toHex(neg.subarray(10, 18))).toBe("8000000000000000");
    expect(toHex(pos.subarray(pos.length - 8))).toBe("0000000000000007");
    const inf = encodeZAddKey(utf8("s"), Number.NEGATIVE_INFINITY, utf8("k"), 0n);
    expect(toHex(inf.subarray(10, 18))).toBe("fff0000000000000");
  });

  it("rejects NaN scores", () => {
    expect(reasonOf(() => encodeZAddKey(utf8("s"), Number.NaN, utf8("k"), 0n))).toBe("malformed-proof");
  });
});

describe("entry spec builders", () => {
  it("plainEntrySpec prefixes key and hashes the prefixed value", () => {
    const e = plainEntrySpec(utf8("key1"), utf8("value1"));
    expect(toHex(e.key)).toBe("006b657931");
    expect(toHex(e.hValue)).toBe(toHex(refSha256(fromHex("00"), utf8("value1"))));
    expect("metadata" in e).toBe(false);
    const md = { expiresAt: 5n };
    expect(plainEntrySpec(utf8("k"), utf8("v"), md).metadata).toBe(md);
  });

  it("referenceEntrySpec hashes the reference value", () => {
    const e = referenceEntrySpec(utf8("ref"), utf8("key1"), 0n);
    expect(toHex(e.key)).toBe("00726566");
    expect(toHex(e.hValue)).toBe(toHex(refSha256(fromHex("010000000000000000006b657931"))));
  });

  it("zAddEntrySpec has an empty value and no metadata", () => {
    const e = zAddEntrySpec(utf8("set1"), 1.5, utf8("key1"), 0n);
    expect(toHex(e.key)).toBe(
      "010000000000000004736574313ff80000000000000000000000000005006b6579310000000000000000",
    );
    expect(toHex(e.hValue)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(e.metadata).toBeUndefined();
  });

  it("deletedEntrySpec has an unprefixed empty value and the deleted flag", () => {
    const e = deletedEntrySpec(utf8("k"));
    expect(toHex(e.key)).toBe("006b");
    expect(toHex(e.hValue)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(e.metadata).toEqual({ deleted: true });
  });
});

describe("entryDigest (spec 1.4)", () => {
  const spec: EntrySpec = { key: utf8("step1:key:0"), hValue: refSha256(utf8("value:0")) };

  it("matches the spec 7.2 values of test/data_long_linear_proof tx 1", () => {
    // hValue = H("value:0") = d8ec21b9…0f97; entry digest (v1) = e315aa32…06b0; single-entry eH = de34d5e5…5104.
    expect(toHex(spec.hValue)).toMatch(/^d8ec21b9[0-9a-f]{52}0f97$/);
    const d = entryDigest(1, spec);
    expect(toHex(d)).toBe("e315aa323becd58aa1282a491f11c51b869fbe978cfda23df39c8712eddb06b0");
    expect(toHex(refSha256(Uint8Array.of(0), d))).toMatch(/^de34d5e5[0-9a-f]{52}5104$/);
  });

  it("version 0 is H(key ‖ hValue)", () => {
    expect(toHex(entryDigest(0, spec))).toBe(toHex(refSha256(spec.key, spec.hValue)));
    // Attribute-less metadata is fine in version 0.
    expect(toHex(entryDigest(0, { ...spec, metadata: {} }))).toBe(toHex(refSha256(spec.key, spec.hValue)));
  });

  it("version 1 is H(u16(len md) ‖ md ‖ u16(len key) ‖ key ‖ hValue)", () => {
    const md = { deleted: true, expiresAt: 1_700_000_000n };
    const mdBytes = fromHex("0001000000006553f100");
    const expected = refSha256(fromHex("000a"), mdBytes, fromHex("000b"), spec.key, spec.hValue);
    expect(toHex(entryDigest(1, { ...spec, metadata: md }))).toBe(toHex(expected));
    // nil metadata and empty metadata agree (Go-verified).
    expect(toHex(entryDigest(1, { ...spec, metadata: {} }))).toBe(toHex(entryDigest(1, spec)));
    expect(toHex(entryDigest(1, spec))).not.toBe(toHex(entryDigest(0, spec)));
  });

  it("rejects unsupported versions, bad hValues, metadata in version 0 and oversized keys", () => {
    expect(reasonOf(() => entryDigest(2, spec))).toBe("unsupported-header-version");
    expect(reasonOf(() => entryDigest(-1, spec))).toBe("unsupported-header-version");
    expect(reasonOf(() => entryDigest(1, { key: spec.key, hValue: new Uint8Array(31) }))).toBe(
      "malformed-proof",
    );
    expect(reasonOf(() => entryDigest(0, { ...spec, metadata: { deleted: true } }))).toBe("malformed-proof");
    expect(reasonOf(() => entryDigest(1, { key: new Uint8Array(65536), hValue: spec.hValue }))).toBe(
      "malformed-proof",
    );
    expect(entryDigest(1, { key: new Uint8Array(65535), hValue: spec.hValue }).length).toBe(32);
  });

  it("binds every input byte", () => {
    const base = toHex(entryDigest(1, spec));
    const u = u64(1n); // sanity for the helper
    expect(u.length).toBe(8);
    for (let k = 0; k < spec.key.length; k++) {
      const key = Uint8Array.from(spec.key);
      key[k] = (key[k] ?? 0) ^ 1;
      expect(toHex(entryDigest(1, { key, hValue: spec.hValue }))).not.toBe(base);
    }
    expect(toHex(entryDigest(1, { ...spec, metadata: { nonIndexable: true } }))).not.toBe(base);
  });
});
