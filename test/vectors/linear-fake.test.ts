import { describe, expect, it } from "vitest";
import {
  alh,
  entryDigest,
  htreeRoot,
  innerHash,
  linearAdvanceProofRange,
  plainEntrySpec,
  verifyDualProof,
} from "../../src/verify/index.js";
import {
  fromHexUtf8,
  hex,
  type JDualProof,
  type JHeader,
  loadVectors,
  toDualProof,
  toHeader,
  toHex,
  verdict,
} from "./load.js";

interface Step {
  name: string;
  source: string;
  target: string;
  sourceAlh: string;
  targetAlh: string;
  proof: JDualProof;
  lapRange: { start: string; end: string };
  needsLap: boolean;
  goOk: boolean;
  legacyOk: boolean;
  explanation: string;
}

interface LinearFakeFile {
  txs: {
    name: string;
    header: JHeader;
    innerHash: string;
    alh: string;
    key: string;
    value: string;
    digest: string;
  }[];
  ahtLeaves: string[];
  steps: Step[];
}

const f = loadVectors<LinearFakeFile>("linear-fake.json");
const step = (name: string): Step => {
  const s = f.steps.find((x) => x.name === name);
  if (s === undefined) throw new Error(`missing step ${name}`);
  return s;
};

describe("vectors: linear-fake attack (immudb < 1.4.1)", () => {
  it("transactions: the forged tx2 is a different tx with the same id and prevAlh", () => {
    for (const t of f.txs) {
      const hdr = toHeader(t.header);
      expect(toHex(innerHash(hdr)), t.name).toBe(t.innerHash);
      expect(toHex(alh(hdr)), t.name).toBe(t.alh);
      // the stored key/value are 0x00-prefixed
      const spec = plainEntrySpec(hex(t.key).subarray(1), hex(t.value).subarray(1));
      expect(toHex(entryDigest(1, spec)), t.name).toBe(t.digest);
      expect(toHex(htreeRoot([entryDigest(1, spec)])), t.name).toBe(t.header.eh);
    }
    const tx2 = f.txs.find((t) => t.name === "tx2")!;
    const fake = f.txs.find((t) => t.name === "tx2 fake")!;
    expect(fake.header.id).toBe(tx2.header.id);
    expect(fake.header.prevAlh).toBe(tx2.header.prevAlh);
    expect(fake.alh).not.toBe(tx2.alh);
    expect(fromHexUtf8(fake.key)).toBe("\u0000fake-key");
    // the tree holds the fake tx2 as leaf 2
    expect(f.ahtLeaves[1]).toBe(fake.alh);
  });

  it("client sequence: 2->2 ok, 2->3 ok, 3->5 rejected", () => {
    let state = { txId: 2n, alh: hex(step("2_2").sourceAlh) };
    for (const name of ["2_2", "3_2", "5_3"]) {
      const s = step(name);
      expect(BigInt(s.source)).toBe(state.txId);
      expect(toHex(state.alh)).toBe(s.sourceAlh);
      const proof = toDualProof(s.proof);
      // the Alh of the target comes from the proof's target header, as in VerifiedTxByID
      const targetAlh = alh(proof.targetTxHeader);
      expect(toHex(targetAlh)).toBe(s.targetAlh);
      const res = verdict(() => verifyDualProof(proof, state.txId, BigInt(s.target), state.alh, targetAlh));
      expect(res.ok, name).toBe(s.goOk);
      if (res.ok) state = { txId: BigInt(s.target), alh: targetAlh };
    }
    expect(step("2_2").goOk && step("3_2").goOk).toBe(true);
    expect(step("5_3").goOk).toBe(false);
    // the client stays at state 3: the attack stops here
    expect(state.txId).toBe(3n);
  });

  it("3->5 is rejected for the missing LinearAdvanceProof (the pre-1.4.1 algorithm accepted it)", () => {
    const s = step("5_3");
    expect(s.legacyOk).toBe(true);
    expect(s.needsLap).toBe(true);
    const proof = toDualProof(s.proof);
    expect(proof.linearAdvanceProof).toBeUndefined();
    expect(
      verdict(() =>
        verifyDualProof(proof, BigInt(s.source), BigInt(s.target), hex(s.sourceAlh), hex(s.targetAlh)),
      ),
    ).toMatchObject({ ok: false, reason: "linear-advance-proof" });
    // a client filling the proof for an old server asks for exactly this range
    expect(linearAdvanceProofRange(proof, BigInt(s.source), BigInt(s.target))).toEqual({
      start: BigInt(s.lapRange.start),
      end: BigInt(s.lapRange.end),
    });
  });

  it.each(f.steps.map((s) => [s.name, s] as const))("step %s: same verdict as Go", (_n, s) => {
    const res = verdict(() =>
      verifyDualProof(
        toDualProof(s.proof),
        BigInt(s.source),
        BigInt(s.target),
        hex(s.sourceAlh),
        hex(s.targetAlh),
      ),
    );
    expect(res.ok, s.explanation).toBe(s.goOk);
    if (!res.ok) expect(res.reason).not.toMatch(/^NOT a/);
  });

  it("5_2_fake verifies on its own: only rejecting 3->5 protects the client", () => {
    const s = step("5_2_fake");
    const fake = f.txs.find((t) => t.name === "tx2 fake")!;
    expect(s.sourceAlh).toBe(fake.alh);
    expect(
      verdict(() =>
        verifyDualProof(
          toDualProof(s.proof),
          BigInt(s.source),
          BigInt(s.target),
          hex(s.sourceAlh),
          hex(s.targetAlh),
        ),
      ),
    ).toEqual({ ok: true });
    // ...whereas against state 3 (where a fixed client stays) the forged tx2 does not verify
    expect(step("3_2_fake").goOk).toBe(false);
  });
});
