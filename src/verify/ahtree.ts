/**
 * The global append-only Merkle tree ("ahtree", root = a header's `blRoot`): an RFC 6962 Merkle tree over
 * the Alhs of transactions 1..n (spec 1.3), and its inclusion, consistency and last-inclusion proofs
 * (spec 3.2-3.4). Tree sizes and leaf positions are `bigint`s, 1-based like tx ids.
 *
 * @module
 */

import { VerificationError } from "../errors.js";
import { requireU64 } from "./bytes.js";
import { assertDigest, assertDigestList, bytesEqual, nodeHashUnchecked, ZERO_DIGEST } from "./hash.js";
import { htreeRoot } from "./htree.js";
import type { Digest } from "./types.js";

/** Upper bound on the terms of an AHT inclusion proof (tree sizes are < 2^64). */
const MAX_INCLUSION_TERMS = 64;
/** Upper bound on the terms of an AHT consistency proof (seed + at most two terms per level). */
const MAX_CONSISTENCY_TERMS = 130;

/**
 * The AHT root over the given Alhs (`RootAt(n)` for `n = alhs.length`): RFC 6962 `MTH` with leaves
 * `H(0x00 ‖ alh)`. For no Alhs it returns 32 zero bytes, the `blRoot` of a header with `blTxId == 0`.
 *
 * @throws VerificationError `malformed-proof` if an Alh is not 32 bytes.
 */
export function ahtRoot(alhs: readonly Digest[]): Digest {
  if (Array.isArray(alhs) && alhs.length === 0) return ZERO_DIGEST.slice();
  return htreeRoot(alhs);
}

/**
 * Evaluates an inclusion proof for leaf `i` (1-based) of a tree of size `j` (inputs already validated).
 * Returns `undefined` when the proof ends before reaching the right edge of the tree (`i1 != j1`), i.e. it
 * is too short to be an audit path of leaf `i`.
 */
function evalAhtInclusion(terms: readonly Digest[], i: bigint, j: bigint, iLeaf: Digest): Digest | undefined {
  let i1 = i - 1n;
  let j1 = j - 1n;
  let c = iLeaf;
  for (const h of terms) {
    c = i1 % 2n === 0n && i1 !== j1 ? nodeHashUnchecked(c, h) : nodeHashUnchecked(h, c);
    i1 /= 2n;
    j1 /= 2n;
  }
  return i1 === j1 ? c : undefined;
}

/**
 * Verifies that `iLeaf` (= `leafHash(alh_i)`) is leaf `i` of the AHT of size `j` with root `jRoot`
 * (spec 3.2). `terms` go leaf-to-root; `i == j == 1` takes an empty proof (`jRoot` must equal `iLeaf`).
 *
 * Slightly stricter than Go's `ahtree.VerifyInclusion`: like Go's own htree verifier it also requires the
 * proof to reach the right edge of the tree (final `i-1 == j-1` after halving once per term), so a proof
 * that is too short for position `i` is rejected even when the hashes happen to match (e.g. the 1-term
 * audit path of leaf 3 of 3 presented as a proof for leaf 2 of 3). Every genuine audit path passes.
 *
 * @throws VerificationError `malformed-proof` for sizes outside uint64, non-32-byte digests or more than 64
 *   terms; `aht-inclusion` if `i == 0`, `i > j`, the proof is empty while `i < j`, or it does not lead to
 *   `jRoot`.
 */
export function verifyAhtInclusion(
  terms: readonly Digest[],
  i: bigint,
  j: bigint,
  iLeaf: Digest,
  jRoot: Digest,
): void {
  requireU64(i, "AHT inclusion leaf index");
  requireU64(j, "AHT inclusion tree size");
  assertDigestList(terms, "AHT inclusion proof", MAX_INCLUSION_TERMS);
  assertDigest(iLeaf, "AHT inclusion leaf");
  assertDigest(jRoot, "AHT inclusion root");
  if (i === 0n || i > j) {
    throw new VerificationError("aht-inclusion", `leaf ${i} cannot be in a tree of size ${j}`);
  }
  if (i < j && terms.length === 0) {
    throw new VerificationError(
      "aht-inclusion",
      `empty inclusion proof for leaf ${i} in a tree of size ${j}`,
    );
  }
  const root = evalAhtInclusion(terms, i, j, iLeaf);
  if (root === undefined) {
    throw new VerificationError(
      "aht-inclusion",
      `inclusion proof too short for leaf ${i} in a tree of size ${j}`,
    );
  }
  if (!bytesEqual(root, jRoot)) {
    throw new VerificationError("aht-inclusion", `leaf ${i} is not included in the tree of size ${j}`);
  }
}

/**
 * Verifies that the AHT of size `i` with root `iRoot` is a prefix of the AHT of size `j` with root `jRoot`
 * (spec 3.3: RFC 6962 consistency proof with the seed node always first). For `i == j` an empty proof
 * requires `iRoot == jRoot`.
 *
 * @throws VerificationError `malformed-proof` for sizes outside uint64, non-32-byte digests or more than
 *   130 terms; `aht-consistency` if `i == 0`, `i > j`, the proof is empty while `i < j`, or the proof does
 *   not yield both roots.
 */
export function verifyAhtConsistency(
  terms: readonly Digest[],
  i: bigint,
  j: bigint,
  iRoot: Digest,
  jRoot: Digest,
): void {
  requireU64(i, "AHT consistency old size");
  requireU64(j, "AHT consistency new size");
  assertDigestList(terms, "AHT consistency proof", MAX_CONSISTENCY_TERMS);
  assertDigest(iRoot, "AHT consistency old root");
  assertDigest(jRoot, "AHT consistency new root");
  if (i === 0n || i > j) {
    throw new VerificationError(
      "aht-consistency",
      `a tree of size ${i} cannot be a prefix of one of size ${j}`,
    );
  }
  const first = terms[0];
  if (first === undefined) {
    if (i < j) {
      throw new VerificationError("aht-consistency", `empty consistency proof from size ${i} to ${j}`);
    }
    if (!bytesEqual(iRoot, jRoot)) {
      throw new VerificationError("aht-consistency", `roots of the tree of size ${i} differ`);
    }
    return;
  }
  let fn = i - 1n;
  let sn = j - 1n;
  while (fn % 2n === 1n) {
    fn /= 2n;
    sn /= 2n;
  }
  let ci = first;
  let cj = first;
  for (let k = 1; k < terms.length; k++) {
    const h = terms[k]!;
    if (fn % 2n === 1n || fn === sn) {
      ci = nodeHashUnchecked(h, ci);
      cj = nodeHashUnchecked(h, cj);
      while (fn % 2n === 0n && fn !== 0n) {
        fn /= 2n;
        sn /= 2n;
      }
    } else {
      cj = nodeHashUnchecked(cj, h);
    }
    fn /= 2n;
    sn /= 2n;
  }
  if (!bytesEqual(ci, iRoot) || !bytesEqual(cj, jRoot)) {
    throw new VerificationError(
      "aht-consistency",
      `the tree of size ${i} is not a prefix of the tree of size ${j}`,
    );
  }
}

/**
 * Verifies that `leaf` (= `leafHash(alh_i)`) is the LAST leaf of the AHT of size `i` with root `root`
 * (spec 3.4): every term is a left sibling.
 *
 * @throws VerificationError `malformed-proof` for `i` outside uint64, non-32-byte digests or more than 64
 *   terms; `aht-last-inclusion` if `i == 0` or the proof does not lead to `root`.
 */
export function verifyAhtLastInclusion(
  terms: readonly Digest[],
  i: bigint,
  leaf: Digest,
  root: Digest,
): void {
  requireU64(i, "AHT last-inclusion tree size");
  assertDigestList(terms, "AHT last-inclusion proof", MAX_INCLUSION_TERMS);
  assertDigest(leaf, "AHT last-inclusion leaf");
  assertDigest(root, "AHT last-inclusion root");
  if (i === 0n) {
    throw new VerificationError("aht-last-inclusion", "a tree of size 0 has no last leaf");
  }
  let r = leaf;
  for (const h of terms) r = nodeHashUnchecked(h, r);
  if (!bytesEqual(r, root)) {
    throw new VerificationError("aht-last-inclusion", `leaf is not the last leaf of the tree of size ${i}`);
  }
}
