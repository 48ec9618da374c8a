/**
 * The per-transaction Merkle tree ("htree", root = the header's `eh`), an RFC 6962 Merkle tree over the
 * entry digests (spec 1.2, 3.1).
 *
 * @module
 */

import { VerificationError } from "../errors.js";
import { requireInt } from "./bytes.js";
import {
  assertDigest,
  assertDigestList,
  bytesEqual,
  emptyDigest,
  leafHash,
  nodeHashUnchecked,
} from "./hash.js";
import type { Digest, InclusionProof } from "./types.js";

/** Largest htree width representable on the wire (`int32`). */
const MAX_WIDTH = 0x7fff_ffff;
/** Upper bound on the number of terms of an htree inclusion proof (depth of a tree of `MAX_WIDTH` leaves). */
const MAX_TERMS = 31;

function checkedLeaves(leafDigests: readonly Digest[]): readonly Digest[] {
  if (!Array.isArray(leafDigests)) {
    throw new VerificationError("malformed-proof", "entry digests must be an array");
  }
  for (let k = 0; k < leafDigests.length; k++) assertDigest(leafDigests[k], `entry digest ${k}`);
  return leafDigests;
}

/** Next level up: pairs hashed, an odd last node promoted unchanged. */
function nextLevel(level: readonly Digest[]): Digest[] {
  const n = level.length;
  const next: Digest[] = new Array<Digest>(Math.ceil(n / 2));
  let k = 0;
  for (let i = 0; i + 1 < n; i += 2) next[k++] = nodeHashUnchecked(level[i]!, level[i + 1]!);
  if (n % 2 === 1) next[k] = level[n - 1]!;
  return next;
}

/**
 * The htree root (`eh`) over the entry digests of a transaction, in entry order; `H("")` for no entries.
 *
 * @throws VerificationError `malformed-proof` if a digest is not 32 bytes.
 */
export function htreeRoot(leafDigests: readonly Digest[]): Digest {
  checkedLeaves(leafDigests);
  if (leafDigests.length === 0) return emptyDigest();
  let level: Digest[] = leafDigests.map((d) => leafHash(d));
  while (level.length > 1) level = nextLevel(level);
  return level[0]!;
}

/**
 * Builds the inclusion proof (RFC 6962 audit path, terms leaf-to-root) of entry `index` in the htree over
 * `leafDigests`. Used when the client rebuilds a transaction from the entries the server returned.
 *
 * @throws VerificationError `malformed-proof` if `index` is not in `[0, leafDigests.length)` or a digest
 *   is not 32 bytes.
 */
export function htreeInclusionProof(leafDigests: readonly Digest[], index: number): InclusionProof {
  checkedLeaves(leafDigests);
  const width = leafDigests.length;
  if (width === 0) {
    throw new VerificationError("malformed-proof", "cannot build an inclusion proof in an empty tree");
  }
  requireInt(index, 0, width - 1, "htree leaf index");
  const terms: Digest[] = [];
  let level: Digest[] = leafDigests.map((d) => leafHash(d));
  let i = index;
  while (level.length > 1) {
    if (i % 2 === 1) terms.push(level[i - 1]!);
    else if (i + 1 < level.length) terms.push(level[i + 1]!);
    // else: last node of an odd level, promoted unchanged: no sibling at this level.
    level = nextLevel(level);
    i = Math.floor(i / 2);
  }
  return { leaf: index, width, terms };
}

/**
 * Verifies that `entryDigest` is leaf `proof.leaf` of the htree of width `proof.width` whose root is
 * `root` (spec 3.1, including the final `i == r` check that rejects too-short proofs).
 *
 * @throws VerificationError `malformed-proof` if the proof is missing, `leaf`/`width` are out of range
 *   (`0 <= leaf < width <= 2^31-1`), or a term/digest is not 32 bytes; `htree-inclusion` if the proof does
 *   not lead to `root`.
 */
export function verifyHtreeInclusion(proof: InclusionProof, entryDigest: Digest, root: Digest): void {
  if (proof === undefined || proof === null || typeof proof !== "object") {
    throw new VerificationError("malformed-proof", "htree inclusion proof is missing");
  }
  const width = requireInt(proof.width, 1, MAX_WIDTH, "htree inclusion proof width");
  const leaf = requireInt(proof.leaf, 0, width - 1, "htree inclusion proof leaf");
  assertDigestList(proof.terms, "htree inclusion proof terms", MAX_TERMS);
  assertDigest(entryDigest, "entry digest");
  assertDigest(root, "htree root");

  let calc = leafHash(entryDigest);
  let i = leaf;
  let r = width - 1;
  for (const t of proof.terms) {
    calc = i % 2 === 0 && i !== r ? nodeHashUnchecked(calc, t) : nodeHashUnchecked(t, calc);
    i = Math.floor(i / 2);
    r = Math.floor(r / 2);
  }
  if (i !== r) {
    throw new VerificationError("htree-inclusion", "htree inclusion proof is too short for its width");
  }
  if (!bytesEqual(calc, root)) {
    throw new VerificationError(
      "htree-inclusion",
      `entry ${leaf} of ${width} does not lead to the tx entries root`,
    );
  }
}
