import { describe, expect, it } from "vitest";
import {
  ahtRoot,
  htreeInclusionProof,
  htreeRoot,
  leafHash,
  verifyAhtConsistency,
  verifyAhtInclusion,
  verifyAhtLastInclusion,
  verifyHtreeInclusion,
} from "../../src/verify/index.js";
import { KNOWN_DEVIATIONS } from "./deviations.js";
import {
  hex,
  hexList,
  type JInclusionProof,
  loadVectors,
  mismatch,
  toHex,
  toInclusionProof,
  verdict,
} from "./load.js";

interface HtreeFile {
  digests: string[];
  nodes: string[];
  emptyRoot: string;
  widths: { width: number; root: string; proofs: number[][] }[];
  negative: { name: string; proof: JInclusionProof; digest: string; root: string; goOk: boolean }[];
}

interface AhtProof {
  i: string;
  j: string;
  terms: number[];
}

interface AhtFile {
  alhs: string[];
  leaves: string[];
  roots: string[];
  nodes: string[];
  inclusion: AhtProof[];
  consistency: AhtProof[];
  lastInclusion: AhtProof[];
  negative: {
    name: string;
    kind: "inclusion" | "consistency" | "lastInclusion";
    i: string;
    j: string;
    terms: string[];
    a: string;
    b: string;
    goOk: boolean;
  }[];
}

describe("vectors: htree (per-tx Merkle tree)", () => {
  const v = loadVectors<HtreeFile>("htree.json");
  const digests = hexList(v.digests);
  const nodes = hexList(v.nodes);
  const terms = (idx: number[]) => idx.map((k) => nodes[k]!);

  it("empty tree root is H('')", () => {
    expect(toHex(htreeRoot([]))).toBe(v.emptyRoot);
  });

  it("roots and every inclusion proof for widths 1..64", () => {
    expect(v.widths.length).toBe(64);
    let proofs = 0;
    for (const w of v.widths) {
      const ds = digests.slice(0, w.width);
      const root = htreeRoot(ds);
      expect(toHex(root), `width ${w.width}`).toBe(w.root);
      w.proofs.forEach((idx, leaf) => {
        const proof = { leaf, width: w.width, terms: terms(idx) };
        expect(
          verdict(() => verifyHtreeInclusion(proof, ds[leaf]!, root)),
          `w=${w.width} leaf=${leaf}`,
        ).toEqual({
          ok: true,
        });
        const local = htreeInclusionProof(ds, leaf);
        expect(local.terms.map(toHex), `local proof w=${w.width} leaf=${leaf}`).toEqual(
          proof.terms.map(toHex),
        );
        proofs++;
      });
    }
    expect(proofs).toBe((64 * 65) / 2);
  });

  it("tampered proofs: same verdict as Go", () => {
    const problems: string[] = [];
    for (const n of v.negative) {
      const res = verdict(() => verifyHtreeInclusion(toInclusionProof(n.proof), hex(n.digest), hex(n.root)));
      const m = mismatch(n.name, n.goOk, res);
      if (m !== undefined && !KNOWN_DEVIATIONS.htree(n.name, res)) problems.push(m);
    }
    expect(v.negative.length).toBeGreaterThan(400);
    expect(problems).toEqual([]);
  });
});

describe("vectors: AHT (global append-only Merkle tree)", () => {
  const v = loadVectors<AhtFile>("aht.json");
  const nodes = hexList(v.nodes);
  const terms = (idx: number[]) => idx.map((k) => nodes[k]!);
  const alhs = hexList(v.alhs);
  const leaves = hexList(v.leaves);
  const roots = hexList(v.roots);
  const at = (xs: Uint8Array[], n: string) => xs[Number(n) - 1]!;

  it("leaves and roots for sizes 1..64", () => {
    alhs.forEach((a, k) => {
      expect(toHex(leafHash(a))).toBe(v.leaves[k]);
    });
    for (let n = 1; n <= 64; n++) {
      expect(toHex(ahtRoot(alhs.slice(0, n))), `size ${n}`).toBe(v.roots[n - 1]);
    }
    expect(toHex(ahtRoot([]))).toBe("00".repeat(32));
  });

  it("every inclusion proof (i <= j <= 64)", () => {
    expect(v.inclusion.length).toBe(2080);
    for (const p of v.inclusion) {
      const res = verdict(() =>
        verifyAhtInclusion(terms(p.terms), BigInt(p.i), BigInt(p.j), at(leaves, p.i), at(roots, p.j)),
      );
      expect(res, `inclusion(${p.i},${p.j})`).toEqual({ ok: true });
    }
  });

  it("every consistency proof (i <= j <= 64)", () => {
    expect(v.consistency.length).toBe(2080);
    for (const p of v.consistency) {
      const res = verdict(() =>
        verifyAhtConsistency(terms(p.terms), BigInt(p.i), BigInt(p.j), at(roots, p.i), at(roots, p.j)),
      );
      expect(res, `consistency(${p.i},${p.j})`).toEqual({ ok: true });
    }
  });

  it("every last-inclusion proof", () => {
    for (const p of v.lastInclusion) {
      const res = verdict(() =>
        verifyAhtLastInclusion(terms(p.terms), BigInt(p.i), at(leaves, p.i), at(roots, p.i)),
      );
      expect(res, `lastInclusion(${p.i})`).toEqual({ ok: true });
    }
  });

  it("tampered proofs: same verdict as Go", () => {
    const problems: string[] = [];
    for (const n of v.negative) {
      const ts = hexList(n.terms);
      const [i, j, a, b] = [BigInt(n.i), BigInt(n.j), hex(n.a), hex(n.b)];
      const res = verdict(() => {
        if (n.kind === "inclusion") verifyAhtInclusion(ts, i, j, a, b);
        else if (n.kind === "consistency") verifyAhtConsistency(ts, i, j, a, b);
        else verifyAhtLastInclusion(ts, i, a, b);
      });
      const m = mismatch(n.name, n.goOk, res);
      if (m !== undefined && !KNOWN_DEVIATIONS.aht(n.name, res)) problems.push(m);
    }
    expect(v.negative.length).toBeGreaterThan(500);
    expect(problems).toEqual([]);
  });
});
