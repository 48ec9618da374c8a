import { describe, expect, it } from "vitest";
import {
  type Digest,
  htreeInclusionProof,
  htreeRoot,
  type InclusionProof,
  VerificationError,
  verifyHtreeInclusion,
} from "../../../src/verify/index.js";
import { flipByte, fromHex, MerkleLog, refSha256, toHex, u64 } from "./helpers.js";

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof VerificationError) return e.reason;
    return `not a VerificationError: ${String(e)}`;
  }
  return undefined;
}

/** Entry digests as in Go's htree_test: H(u64(i)). */
function digests(n: number): Digest[] {
  return Array.from({ length: n }, (_, i) => refSha256(u64(BigInt(i))));
}

function refLog(ds: readonly Digest[]): MerkleLog {
  const log = new MerkleLog();
  for (const d of ds) log.append(d);
  return log;
}

describe("RFC 6962 reference log", () => {
  it("reproduces the certificate-transparency MTH vectors", () => {
    const leaves = [
      "",
      "00",
      "10",
      "2021",
      "3031",
      "40414243",
      "5051525354555657",
      "606162636465666768696a6b6c6d6e6f",
    ];
    const roots = [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    const log = new MerkleLog();
    for (const [n, l] of leaves.entries()) {
      log.append(fromHex(l));
      expect(toHex(log.root(n + 1))).toBe(roots[n]);
    }
    expect(log.path(0, 0, 8).map(toHex)).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
  });
});

describe("htreeRoot", () => {
  it("is H('') for no entries", () => {
    expect(toHex(htreeRoot([]))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("is the leaf hash for one entry", () => {
    const d = refSha256(u64(0n));
    expect(toHex(htreeRoot([d]))).toBe(toHex(refSha256(Uint8Array.of(0), d)));
  });

  it("equals RFC 6962 MTH for widths 1..300 and 1000", { timeout: 60_000 }, () => {
    const all = digests(1000);
    const log = refLog(all);
    for (let w = 1; w <= 300; w++) expect(toHex(htreeRoot(all.slice(0, w)))).toBe(toHex(log.root(w)));
    expect(toHex(htreeRoot(all))).toBe(toHex(log.root(1000)));
  });

  it("rejects non-32-byte entry digests", () => {
    expect(reasonOf(() => htreeRoot([new Uint8Array(32), new Uint8Array(31)]))).toBe("malformed-proof");
  });
});

describe("htreeInclusionProof + verifyHtreeInclusion", () => {
  it("generates the RFC 6962 audit path and verifies it for every leaf of widths 1..64", {
    timeout: 60_000,
  }, () => {
    const all = digests(64);
    for (let w = 1; w <= 64; w++) {
      const ds = all.slice(0, w);
      const log = refLog(ds);
      const root = htreeRoot(ds);
      for (let i = 0; i < w; i++) {
        const p = htreeInclusionProof(ds, i);
        expect(p.leaf).toBe(i);
        expect(p.width).toBe(w);
        expect(p.terms.map(toHex)).toEqual(log.path(i, 0, w).map(toHex));
        expect(() => verifyHtreeInclusion(p, ds[i]!, root)).not.toThrow();
      }
    }
  });

  it("rejects every single-byte flip, dropped term and added term (widths 1..64)", {
    timeout: 60_000,
  }, () => {
    const all = digests(64);
    let checks = 0;
    const accepted: string[] = [];
    for (let w = 1; w <= 64; w++) {
      const ds = all.slice(0, w);
      const root = htreeRoot(ds);
      for (let i = 0; i < w; i++) {
        // Every leaf up to width 16, then the edge and middle leaves only (time budget).
        if (w > 16 && i > 1 && i < w - 2 && i !== Math.floor(w / 2)) continue;
        const p = htreeInclusionProof(ds, i);
        const d = ds[i]!;
        const bad: [InclusionProof, Digest, Digest][] = [];
        for (let t = 0; t < p.terms.length; t++) {
          for (let k = 0; k < 32; k += w > 8 ? 13 : 1) {
            bad.push([{ ...p, terms: p.terms.map((x, n) => (n === t ? flipByte(x, k) : x)) }, d, root]);
          }
          bad.push([{ ...p, terms: p.terms.filter((_, n) => n !== t) }, d, root]);
        }
        for (let t = 0; t <= p.terms.length; t++) {
          const extra = refSha256(u64(BigInt(1000 + t)));
          bad.push([{ ...p, terms: [...p.terms.slice(0, t), extra, ...p.terms.slice(t)] }, d, root]);
        }
        bad.push([p, flipByte(d, i % 32), root]);
        bad.push([p, d, flipByte(root, 31)]);
        if (w > 1) {
          bad.push([{ ...p, leaf: (i + 1) % w }, d, root]);
          // Another entry's digest must not verify at this position.
          bad.push([p, ds[(i + 1) % w]!, root]);
        }
        for (const [n, [bp, bd, br]] of bad.entries()) {
          const reason = reasonOf(() => verifyHtreeInclusion(bp, bd, br));
          if (reason !== "htree-inclusion") accepted.push(`w=${w} i=${i} case=${n}: ${String(reason)}`);
          checks++;
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(checks).toBeGreaterThan(3_000);
  });

  it("rejects proofs that are too short for the width even when the hash matches", () => {
    // Leaf 0 of a 2-leaf tree: with no terms the computed value is the leaf hash; claim it is the root.
    const ds = digests(2);
    const leafOnlyRoot = refSha256(Uint8Array.of(0), ds[0]!);
    expect(reasonOf(() => verifyHtreeInclusion({ leaf: 0, width: 2, terms: [] }, ds[0]!, leafOnlyRoot))).toBe(
      "htree-inclusion",
    );
    // A 1-leaf proof for the same value is accepted.
    expect(() => verifyHtreeInclusion({ leaf: 0, width: 1, terms: [] }, ds[0]!, leafOnlyRoot)).not.toThrow();
  });

  it("rejects missing proofs and out-of-range leaf/width", () => {
    const ds = digests(4);
    const root = htreeRoot(ds);
    const p = htreeInclusionProof(ds, 1);
    expect(reasonOf(() => verifyHtreeInclusion(undefined as unknown as InclusionProof, ds[1]!, root))).toBe(
      "malformed-proof",
    );
    for (const [leaf, width] of [
      [-1, 4],
      [4, 4],
      [1, 0],
      [1, -4],
      [0.5, 4],
      [1, 2 ** 31],
      [Number.NaN, 4],
    ] as const) {
      expect(reasonOf(() => verifyHtreeInclusion({ ...p, leaf, width }, ds[1]!, root))).toBe(
        "malformed-proof",
      );
    }
    expect(
      reasonOf(() => verifyHtreeInclusion({ ...p, terms: [new Uint8Array(31), p.terms[1]!] }, ds[1]!, root)),
    ).toBe("malformed-proof");
    expect(reasonOf(() => verifyHtreeInclusion(p, new Uint8Array(0), root))).toBe("malformed-proof");
    expect(reasonOf(() => verifyHtreeInclusion(p, ds[1]!, new Uint8Array(31)))).toBe("malformed-proof");
    expect(
      reasonOf(() => verifyHtreeInclusion({ ...p, terms: new Array(32).fill(ds[0]) }, ds[1]!, root)),
    ).toBe("malformed-proof");
  });

  it("rejects out-of-range indices when generating", () => {
    const ds = digests(3);
    expect(reasonOf(() => htreeInclusionProof(ds, 3))).toBe("malformed-proof");
    expect(reasonOf(() => htreeInclusionProof(ds, -1))).toBe("malformed-proof");
    expect(reasonOf(() => htreeInclusionProof([], 0))).toBe("malformed-proof");
  });
});
