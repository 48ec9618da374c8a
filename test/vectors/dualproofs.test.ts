import { describe, expect, it } from "vitest";
import {
  alh,
  innerHash,
  linearAdvanceProofRange,
  verifyDualProof,
  verifyDualProofV2,
  verifyLinearAdvanceProof,
  verifyLinearProof,
} from "../../src/verify/index.js";
import { KNOWN_DEVIATIONS } from "./deviations.js";
import {
  applyPatch,
  hex,
  type JDualProof,
  type JDualProofV2,
  type JHeader,
  type JLAP,
  type JLinearProof,
  loadVectors,
  mismatch,
  toDualProof,
  toDualProofV2,
  toHeader,
  toHex,
  toLinearAdvanceProof,
  toLinearProof,
  type Variant,
  verdict,
} from "./load.js";

interface DpCase {
  name?: string;
  source: string;
  target: string;
  sourceAlh: string;
  targetAlh: string;
  proof: JDualProof;
  lapRange?: { start: string; end: string };
  needsLap: boolean;
  goOk: boolean;
  variants?: Variant[];
}

interface DualFile {
  headers: { header: JHeader; innerHash: string; alh: string }[];
  cases: DpCase[];
}

interface Dp2Case {
  name?: string;
  source: string;
  target: string;
  sourceAlh: string;
  targetAlh: string;
  proof: JDualProofV2;
  goOk: boolean;
  goErr?: string;
  variants?: Variant[];
}

interface LpCase {
  name?: string;
  source: string;
  target: string;
  sourceAlh: string;
  targetAlh: string;
  proof: JLinearProof;
  goOk: boolean;
  variants?: Variant[];
}

interface LapCase {
  name?: string;
  start: string;
  end: string;
  endAlh: string;
  treeRoot: string;
  treeSize: string;
  proof?: JLAP;
  goOk: boolean;
  variants?: Variant[];
}

function runDual(c: DpCase) {
  return verdict(() =>
    verifyDualProof(
      toDualProof(c.proof),
      BigInt(c.source),
      BigInt(c.target),
      hex(c.sourceAlh),
      hex(c.targetAlh),
    ),
  );
}

function runDual2(c: Dp2Case) {
  return verdict(() =>
    verifyDualProofV2(
      toDualProofV2(c.proof),
      BigInt(c.source),
      BigInt(c.target),
      hex(c.sourceAlh),
      hex(c.targetAlh),
    ),
  );
}

function runLinear(c: LpCase) {
  return verdict(() =>
    verifyLinearProof(
      toLinearProof(c.proof),
      BigInt(c.source),
      BigInt(c.target),
      hex(c.sourceAlh),
      hex(c.targetAlh),
    ),
  );
}

function runLap(c: LapCase) {
  return verdict(() =>
    verifyLinearAdvanceProof(
      toLinearAdvanceProof(c.proof),
      BigInt(c.start),
      BigInt(c.end),
      hex(c.endAlh),
      hex(c.treeRoot),
      BigInt(c.treeSize),
    ),
  );
}

/** Runs every variant of a case and returns the mismatches with Go (Go-accepted tampers must be accepted). */
function variantProblems<C extends { variants?: Variant[] }>(
  c: C,
  run: (c: C) => ReturnType<typeof verdict>,
  known: (name: string, v: ReturnType<typeof verdict>) => boolean,
): string[] {
  const { variants, ...base } = c;
  const problems: string[] = [];
  for (const variant of variants ?? []) {
    const patched = applyPatch(base as C, variant.patch);
    const res = run(patched);
    const m = mismatch(variant.name, variant.goOk, res);
    if (m !== undefined && !known(variant.name, res)) problems.push(m);
  }
  return problems;
}

const pairName = (c: { source: string; target: string; name?: string }) =>
  c.name ?? `${c.source}->${c.target}`;

function checkHeaders(f: DualFile) {
  for (const h of f.headers) {
    const hdr = toHeader(h.header);
    expect(toHex(innerHash(hdr)), `innerHash ${h.header.id}`).toBe(h.innerHash);
    expect(toHex(alh(hdr)), `alh ${h.header.id}`).toBe(h.alh);
  }
}

describe("vectors: dual proofs, test/data_long_linear_proof (lagging blTxId)", () => {
  const f = loadVectors<DualFile>("dualproof-long.json");

  it("has every (source <= target) pair of the 30-tx store, 90 of them needing a LinearAdvanceProof", () => {
    expect(f.cases.length).toBe(465);
    expect(f.cases.filter((c) => c.needsLap).length).toBe(90);
    checkHeaders(f);
  });

  it.each(f.cases.map((c) => [pairName(c), c] as const))("%s", (_n, c) => {
    expect(runDual(c)).toEqual({ ok: c.goOk });
    expect(c.goOk).toBe(true);
    // linearAdvanceProofRange: nothing to fill while the proof is present or not needed
    const proof = toDualProof(c.proof);
    expect(linearAdvanceProofRange(proof, BigInt(c.source), BigInt(c.target))).toBeUndefined();
    if (c.needsLap) {
      const { linearAdvanceProof: _lap, ...withoutLap } = proof;
      expect(linearAdvanceProofRange(withoutLap, BigInt(c.source), BigInt(c.target))).toEqual({
        start: BigInt(c.lapRange?.start ?? "x"),
        end: BigInt(c.lapRange?.end ?? "x"),
      });
    }
    expect(variantProblems(c, runDual, KNOWN_DEVIATIONS.dual)).toEqual([]);
  });
});

describe("vectors: filling a missing LinearAdvanceProof (spec 3.8) from other dual proofs", () => {
  const f = loadVectors<DualFile>("dualproof-long.json");
  const byPair = new Map(f.cases.map((c) => [`${c.source}->${c.target}`, c]));
  const lapCases = f.cases.filter((c) => c.needsLap);

  it.each(lapCases.map((c) => [pairName(c), c] as const))("%s", (_n, c) => {
    const { linearAdvanceProof: lap, ...withoutLap } = toDualProof(c.proof);
    const range = linearAdvanceProofRange(withoutLap, BigInt(c.source), BigInt(c.target));
    if (range === undefined) throw new Error("a range was expected");
    // VerifiableTxById(tx: target, proveSinceTx: txID) for every txID in (start, end), then
    // VerifiableTxById(tx: end, proveSinceTx: start + 1) for the linear part
    const inclusionProofs: Uint8Array[][] = [];
    for (let tx = range.start + 1n; tx < range.end; tx++) {
      const other = byPair.get(`${tx}->${c.target}`);
      if (other === undefined) throw new Error(`no vector ${tx}->${c.target}`);
      inclusionProofs.push(toDualProof(other.proof).inclusionProof.slice());
    }
    const linear = byPair.get(`${range.start + 1n}->${range.end}`);
    if (linear === undefined) throw new Error("no linear vector");
    const filled = {
      ...withoutLap,
      linearAdvanceProof: { linearProofTerms: toDualProof(linear.proof).linearProof.terms, inclusionProofs },
    };
    expect(filled.linearAdvanceProof.linearProofTerms.map(toHex)).toEqual(lap?.linearProofTerms.map(toHex));
    expect(filled.linearAdvanceProof.inclusionProofs.map((p) => p.map(toHex))).toEqual(
      lap?.inclusionProofs.map((p) => p.map(toHex)),
    );
    expect(
      verdict(() =>
        verifyDualProof(filled, BigInt(c.source), BigInt(c.target), hex(c.sourceAlh), hex(c.targetAlh)),
      ),
    ).toEqual({ ok: true });
    // without it the proof is rejected
    expect(
      verdict(() =>
        verifyDualProof(withoutLap, BigInt(c.source), BigInt(c.target), hex(c.sourceAlh), hex(c.targetAlh)),
      ),
    ).toMatchObject({ ok: false, reason: "linear-advance-proof" });
  });
});

describe("vectors: dual proofs, chain written by immudb v1.11.1", () => {
  const f = loadVectors<DualFile>("dualproof-normal.json");

  it("headers", () => {
    expect(f.headers.length).toBeGreaterThanOrEqual(30);
    checkHeaders(f);
  });

  it.each(f.cases.map((c) => [pairName(c), c] as const))("%s", (_n, c) => {
    expect(runDual(c)).toEqual({ ok: c.goOk });
    expect(variantProblems(c, runDual, KNOWN_DEVIATIONS.dual)).toEqual([]);
  });
});

describe("vectors: DualProofV2", () => {
  const f = loadVectors<{ cases: Dp2Case[] }>("dualproof-v2.json");

  it.each(f.cases.map((c) => [pairName(c), c] as const))("%s", (_n, c) => {
    const res = runDual2(c);
    const m = mismatch(pairName(c), c.goOk, res);
    expect(m === undefined || KNOWN_DEVIATIONS.dualV2(pairName(c), res) ? undefined : m).toBeUndefined();
    expect(variantProblems(c, runDual2, KNOWN_DEVIATIONS.dualV2)).toEqual([]);
  });
});

describe("vectors: linear proofs and linear advance proofs", () => {
  const f = loadVectors<{ linearProofs: LpCase[]; linearAdvanceProofs: LapCase[] }>("linear.json");

  it.each(f.linearProofs.map((c) => [pairName(c), c] as const))("linear %s", (_n, c) => {
    const res = runLinear(c);
    expect(mismatch(pairName(c), c.goOk, res)).toBeUndefined();
    expect(variantProblems(c, runLinear, KNOWN_DEVIATIONS.linear)).toEqual([]);
  });

  it.each(f.linearAdvanceProofs.map((c) => [c.name ?? `${c.start}..${c.end} in ${c.treeSize}`, c] as const))(
    "linear advance %s",
    (n, c) => {
      const res = runLap(c);
      expect(mismatch(n, c.goOk, res)).toBeUndefined();
      expect(variantProblems(c, runLap, KNOWN_DEVIATIONS.linear)).toEqual([]);
    },
  );
});
