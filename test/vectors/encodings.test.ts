import { describe, expect, it } from "vitest";
import {
  digestFromProto,
  encodeKey,
  encodePlainValue,
  encodeReferenceValue,
  encodeZAddKey,
  entryDigest,
  kvMetadataBytes,
  sha256,
  stateSigningBytes,
  txMetadataBytes,
} from "../../src/verify/index.js";
import {
  float64FromBits,
  hex,
  type JKVMd,
  type JSpecInput,
  type JTxMd,
  loadVectors,
  specFromInput,
  toHex,
  toKVMetadata,
  toTxMetadata,
  verdict,
} from "./load.js";

interface EncodingsFile {
  kvMetadata: { name: string; md: JKVMd | null; bytes: string }[];
  txMetadata: { name: string; md: JTxMd | null; bytes: string }[];
  keys: { key: string; encoded: string }[];
  plainValues: { value: string; encoded: string }[];
  referenceValues: { referencedKey: string; atTx: string; encoded: string }[];
  zaddKeys: { set: string; score: string; scoreBits: string; key: string; atTx: string; encoded: string }[];
  entrySpecs: {
    name: string;
    input: JSpecInput;
    md?: JKVMd;
    key: string;
    value: string;
    hValue: string;
    mdBytes: string;
    digestV0?: string;
    digestV1: string;
  }[];
  stateSigningBytes: { db: string; txId: string; txHash: string; signingBytes: string }[];
  sha256: { key: string; encoded: string }[];
  digestFromProto: { key: string; encoded: string }[];
}

const v = loadVectors<EncodingsFile>("encodings.json");

describe("vectors: encodings (immudb v1.11.1)", () => {
  it("KVMetadata.Bytes", () => {
    expect(v.kvMetadata.length).toBeGreaterThan(10);
    for (const c of v.kvMetadata) {
      expect(toHex(kvMetadataBytes(toKVMetadata(c.md))), c.name).toBe(c.bytes);
    }
  });

  it("TxMetadata.Bytes", () => {
    for (const c of v.txMetadata) {
      expect(toHex(txMetadataBytes(toTxMetadata(c.md))), c.name).toBe(c.bytes);
    }
  });

  it("encodeKey / encodePlainValue / encodeReferenceValue", () => {
    for (const c of v.keys) expect(toHex(encodeKey(hex(c.key)))).toBe(c.encoded);
    for (const c of v.plainValues) expect(toHex(encodePlainValue(hex(c.value)))).toBe(c.encoded);
    for (const c of v.referenceValues) {
      expect(toHex(encodeReferenceValue(hex(c.referencedKey), BigInt(c.atTx)))).toBe(c.encoded);
    }
  });

  it("encodeZAddKey (incl. -0, ±Infinity, subnormal and huge scores)", () => {
    expect(v.zaddKeys.some((c) => c.score === "-0")).toBe(true);
    for (const c of v.zaddKeys) {
      const score = float64FromBits(c.scoreBits);
      expect(toHex(encodeZAddKey(hex(c.set), score, hex(c.key), BigInt(c.atTx))), c.score).toBe(c.encoded);
    }
    // -0 and +0 must differ
    const neg = v.zaddKeys.find((c) => c.score === "-0");
    const pos = v.zaddKeys.find((c) => c.score === "0");
    expect(neg?.encoded).not.toBe(pos?.encoded);
  });

  it("entry specs and digests (v0 and v1)", () => {
    for (const c of v.entrySpecs) {
      const spec = specFromInput(c.input, c.md);
      expect(toHex(spec.key), c.name).toBe(c.key);
      expect(toHex(spec.hValue), c.name).toBe(c.hValue);
      expect(toHex(sha256(hex(c.value))), c.name).toBe(c.hValue);
      expect(toHex(kvMetadataBytes(spec.metadata)), c.name).toBe(c.mdBytes);
      expect(toHex(entryDigest(1, spec)), c.name).toBe(c.digestV1);
      if (c.digestV0 !== undefined) {
        expect(toHex(entryDigest(0, spec)), c.name).toBe(c.digestV0);
      } else {
        // KV metadata cannot be carried by a version-0 tx: Go's client-side EntrySpecDigest_v0 ignores it,
        // immudb-ts refuses it (documented in entryDigest).
        expect(verdict(() => entryDigest(0, spec)).ok, c.name).toBe(false);
      }
    }
  });

  it("entryDigest rejects unknown header versions", () => {
    const c = v.entrySpecs[0]!;
    const spec = specFromInput(c.input, c.md);
    expect(verdict(() => entryDigest(2, spec))).toMatchObject({
      ok: false,
      reason: "unsupported-header-version",
    });
  });

  it("ImmutableState.ToBytes", () => {
    for (const c of v.stateSigningBytes) {
      const bytes = stateSigningBytes({ db: c.db, txId: BigInt(c.txId), txHash: hex(c.txHash) });
      expect(toHex(bytes), c.db).toBe(c.signingBytes);
    }
  });

  it("sha256 and digestFromProto", () => {
    for (const c of v.sha256) expect(toHex(sha256(hex(c.key)))).toBe(c.encoded);
    for (const c of v.digestFromProto) expect(toHex(digestFromProto(hex(c.key)))).toBe(c.encoded);
    expect(toHex(digestFromProto(undefined))).toBe("00".repeat(32));
  });
});
