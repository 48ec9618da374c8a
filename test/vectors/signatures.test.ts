import { describe, expect, it } from "vitest";
import {
  parseSigningPublicKey,
  type SigningPublicKey,
  stateSigningBytes,
  verifyStateSignature,
} from "../../src/verify/index.js";
import { KNOWN_DEVIATIONS } from "./deviations.js";
import { hex, loadVectors, mismatch, toHex, verdict } from "./load.js";

interface SigFile {
  keys: { name: string; pem: string; rawPoint: string }[];
  cases: {
    name: string;
    db: string;
    txId: string;
    txHash: string;
    signingBytes: string;
    signature: string;
    key: string;
    highS: boolean;
    goOk: boolean;
    goErr?: string;
  }[];
}

const f = loadVectors<SigFile>("signatures.json");

describe("vectors: state signatures (P-256 ECDSA, DER)", () => {
  const keysFromPem = new Map<string, SigningPublicKey>();
  const keysFromRaw = new Map<string, SigningPublicKey>();

  it("parses the PEM public keys and the raw 65-byte points to the same key", () => {
    for (const k of f.keys) {
      const fromPem = parseSigningPublicKey(k.pem);
      const fromPemBytes = parseSigningPublicKey(new TextEncoder().encode(k.pem));
      const fromRaw = parseSigningPublicKey(hex(k.rawPoint));
      expect(toHex(fromPem.point)).toBe(k.rawPoint);
      expect(toHex(fromPemBytes.point)).toBe(k.rawPoint);
      expect(toHex(fromRaw.point)).toBe(k.rawPoint);
      keysFromPem.set(k.name, fromPem);
      keysFromRaw.set(k.name, fromRaw);
    }
    expect(keysFromPem.size).toBe(2);
  });

  it("both S forms of every signature verify; each negative case matches Go", () => {
    expect(f.cases.filter((c) => c.highS && c.goOk).length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const c of f.cases) {
      const state = { db: c.db, txId: BigInt(c.txId), txHash: hex(c.txHash) };
      expect(toHex(stateSigningBytes(state)), c.name).toBe(c.signingBytes);
      for (const keys of [keysFromPem, keysFromRaw]) {
        const key = keys.get(c.key);
        if (key === undefined) throw new Error(`unknown key ${c.key}`);
        const res = verdict(() => verifyStateSignature(state, hex(c.signature), key));
        const m = mismatch(`${c.db}/${c.txId} ${c.name}`, c.goOk, res);
        if (m !== undefined && !KNOWN_DEVIATIONS.signature(c.name, res)) problems.push(m);
        if (!res.ok && !c.goOk) expect(res.reason, c.name).toBe("signature");
      }
    }
    expect(problems).toEqual([]);
  });

  it("a missing signature is rejected", () => {
    const c = f.cases[0]!;
    const key = parseSigningPublicKey(f.keys[0]!.pem);
    const state = { db: c.db, txId: BigInt(c.txId), txHash: hex(c.txHash) };
    expect(verdict(() => verifyStateSignature(state, undefined, key))).toMatchObject({
      ok: false,
      reason: "signature",
    });
  });
});
