/**
 * Proofs between transactions: linear proofs (Alh chains, spec 3.5), LinearAdvanceProofs (spec 3.6),
 * dual proofs v1 (spec 3.7) and v2 (spec 3.9), and the planner for filling a LinearAdvanceProof that an
 * older server did not send (spec 3.8).
 *
 * @module
 */

import { VerificationError } from "../errors.js";
import { verifyAhtConsistency, verifyAhtInclusion, verifyAhtLastInclusion } from "./ahtree.js";
import { requireU64 } from "./bytes.js";
import { assertDigest, assertDigestList, bytesEqual, leafHash } from "./hash.js";
import { advanceAlh, alhChecked, checkHeader } from "./header.js";
import type { Digest, DualProof, DualProofV2, LinearAdvanceProof, LinearProof, TxHeader } from "./types.js";

function isObject(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/**
 * Verifies a linear proof: starting from `terms[0] == sourceAlh`, advancing the Alh chain with the inner
 * hashes `terms[1..]` reaches `targetAlh` at `targetTxId` (spec 3.5). `terms` must hold exactly
 * `targetTxId - sourceTxId + 1` digests.
 *
 * @throws VerificationError `linear-proof` if the proof is missing, is for other tx ids, has
 *   `sourceTxId == 0` or `sourceTxId > targetTxId`, the wrong number of terms, a first term other than
 *   `sourceAlh`, or does not reach `targetAlh`; `malformed-proof` for ids outside uint64 or non-32-byte
 *   digests.
 */
export function verifyLinearProof(
  p: LinearProof | undefined,
  sourceTxId: bigint,
  targetTxId: bigint,
  sourceAlh: Digest,
  targetAlh: Digest,
): void {
  requireU64(sourceTxId, "linear proof source tx id");
  requireU64(targetTxId, "linear proof target tx id");
  assertDigest(sourceAlh, "linear proof source Alh");
  assertDigest(targetAlh, "linear proof target Alh");
  if (!isObject(p)) throw new VerificationError("linear-proof", "linear proof is missing");
  if (p.sourceTxId !== sourceTxId || p.targetTxId !== targetTxId) {
    throw new VerificationError(
      "linear-proof",
      `linear proof is for ${String(p.sourceTxId)}→${String(p.targetTxId)}, expected ${sourceTxId}→${targetTxId}`,
    );
  }
  if (sourceTxId === 0n || sourceTxId > targetTxId) {
    throw new VerificationError("linear-proof", `invalid linear proof range ${sourceTxId}→${targetTxId}`);
  }
  if (!Array.isArray(p.terms))
    throw new VerificationError("malformed-proof", "linear proof terms are missing");
  const expected = targetTxId - sourceTxId + 1n;
  if (BigInt(p.terms.length) !== expected) {
    throw new VerificationError(
      "linear-proof",
      `linear proof has ${p.terms.length} terms, expected ${expected}`,
    );
  }
  const terms = p.terms;
  assertDigestList(terms, "linear proof terms", terms.length);
  let calc = terms[0]!;
  if (!bytesEqual(calc, sourceAlh)) {
    throw new VerificationError("linear-proof", `linear proof does not start at the Alh of tx ${sourceTxId}`);
  }
  let txId = sourceTxId;
  for (let k = 1; k < terms.length; k++) {
    txId += 1n;
    calc = advanceAlh(txId, calc, terms[k]!);
  }
  if (!bytesEqual(calc, targetAlh)) {
    throw new VerificationError("linear-proof", `linear proof does not reach the Alh of tx ${targetTxId}`);
  }
}

/**
 * Verifies a LinearAdvanceProof (spec 3.6): every transaction strictly between `startTxId` and `endTxId`
 * is in the AHT of size `treeSize` with root `treeRoot`, and the Alh chain from `startTxId + 1` reaches
 * `endAlh` at `endTxId`. When `endTxId <= startTxId + 1` nothing is needed and `p` is ignored.
 *
 * @throws VerificationError `linear-advance-proof` if `endTxId < startTxId`, the proof is needed but
 *   missing, has the wrong number of terms or inclusion proofs, an intermediate tx is not in the tree, or
 *   the chain does not reach `endAlh`; `malformed-proof` for ids outside uint64 or non-32-byte digests.
 */
export function verifyLinearAdvanceProof(
  p: LinearAdvanceProof | undefined,
  startTxId: bigint,
  endTxId: bigint,
  endAlh: Digest,
  treeRoot: Digest,
  treeSize: bigint,
): void {
  requireU64(startTxId, "linear advance proof start tx id");
  requireU64(endTxId, "linear advance proof end tx id");
  requireU64(treeSize, "linear advance proof tree size");
  assertDigest(endAlh, "linear advance proof end Alh");
  assertDigest(treeRoot, "linear advance proof tree root");
  if (endTxId < startTxId) {
    throw new VerificationError("linear-advance-proof", `invalid range ${startTxId}→${endTxId}`);
  }
  if (endTxId <= startTxId + 1n) return;
  if (!isObject(p)) {
    throw new VerificationError(
      "linear-advance-proof",
      `a linear advance proof is required for ${startTxId}→${endTxId} but none was provided`,
    );
  }
  const terms = p.linearProofTerms;
  const proofs = p.inclusionProofs;
  if (!Array.isArray(terms) || !Array.isArray(proofs)) {
    throw new VerificationError("malformed-proof", "linear advance proof terms are missing");
  }
  const span = endTxId - startTxId;
  if (BigInt(terms.length) !== span || BigInt(proofs.length) !== span - 1n) {
    throw new VerificationError(
      "linear-advance-proof",
      `linear advance proof for ${startTxId}→${endTxId} has ${terms.length} terms and ${proofs.length} inclusion proofs, expected ${span} and ${span - 1n}`,
    );
  }
  assertDigestList(terms, "linear advance proof terms", terms.length);
  let calc = terms[0]!; // Alh(startTxId + 1)
  let txId = startTxId + 1n;
  for (let k = 0; k < proofs.length; k++, txId += 1n) {
    try {
      verifyAhtInclusion(proofs[k]!, txId, treeSize, leafHash(calc), treeRoot);
    } catch (e) {
      if (e instanceof VerificationError && e.reason === "aht-inclusion") {
        throw new VerificationError(
          "linear-advance-proof",
          `tx ${txId} of the linear advance proof is not in the tree of size ${treeSize}`,
          { cause: e },
        );
      }
      throw e;
    }
    calc = advanceAlh(txId + 1n, calc, terms[k + 1]!);
  }
  if (!bytesEqual(calc, endAlh)) {
    throw new VerificationError(
      "linear-advance-proof",
      `linear advance proof does not reach the Alh of tx ${endTxId}`,
    );
  }
}

function dualProofHeaders(
  p: DualProof | DualProofV2 | undefined,
  sourceTxId: bigint,
  targetTxId: bigint,
): { s: TxHeader; t: TxHeader } {
  requireU64(sourceTxId, "dual proof source tx id");
  requireU64(targetTxId, "dual proof target tx id");
  if (!isObject(p)) throw new VerificationError("dual-proof", "dual proof is missing");
  const s = p.sourceTxHeader;
  const t = p.targetTxHeader;
  checkHeader(s, "dual proof source header");
  checkHeader(t, "dual proof target header");
  if (s.id !== sourceTxId) {
    throw new VerificationError(
      "header-mismatch",
      `dual proof source header is tx ${s.id}, expected ${sourceTxId}`,
    );
  }
  if (t.id !== targetTxId) {
    throw new VerificationError(
      "header-mismatch",
      `dual proof target header is tx ${t.id}, expected ${targetTxId}`,
    );
  }
  return { s, t };
}

function checkAlhs(s: TxHeader, t: TxHeader, sourceAlh: Digest, targetAlh: Digest): void {
  if (!bytesEqual(alhChecked(s), sourceAlh)) {
    throw new VerificationError("alh-mismatch", `Alh of source tx ${s.id} differs from the expected one`);
  }
  if (!bytesEqual(alhChecked(t), targetAlh)) {
    throw new VerificationError("alh-mismatch", `Alh of target tx ${t.id} differs from the expected one`);
  }
}

/**
 * Verifies a dual proof (spec 3.7) between `sourceTxId <= targetTxId` whose Alhs the caller trusts or has
 * derived: the headers hash to those Alhs, the source is in (or linearly precedes) the target's AHT, the
 * source's AHT is a prefix of the target's, and the linear and linear-advance parts close the gaps.
 *
 * Fill a LinearAdvanceProof missing from an older server first (see {@link linearAdvanceProofRange}).
 *
 * @throws VerificationError with the reason of the failing check: `dual-proof` (missing proof, source id
 *   0 or after the target), `header-mismatch` (header ids), `alh-mismatch`, `aht-inclusion`,
 *   `aht-consistency`, `aht-last-inclusion`, `linear-proof`, `linear-advance-proof`,
 *   `unsupported-header-version`, or `malformed-proof` (missing headers, out-of-range fields, non-32-byte
 *   digests).
 */
export function verifyDualProof(
  p: DualProof | undefined,
  sourceTxId: bigint,
  targetTxId: bigint,
  sourceAlh: Digest,
  targetAlh: Digest,
): void {
  const { s, t } = dualProofHeaders(p, sourceTxId, targetTxId);
  const proof = p as DualProof;
  assertDigest(sourceAlh, "dual proof source Alh");
  assertDigest(targetAlh, "dual proof target Alh");
  assertDigest(proof.targetBlTxAlh, "dual proof targetBlTxAlh");
  if (s.id === 0n || s.id > t.id) {
    throw new VerificationError("dual-proof", `invalid dual proof range ${s.id}→${t.id}`);
  }
  checkAlhs(s, t, sourceAlh, targetAlh);

  if (sourceTxId < t.blTxId) {
    verifyAhtInclusion(proof.inclusionProof, sourceTxId, t.blTxId, leafHash(sourceAlh), t.blRoot);
  }
  if (s.blTxId > 0n) {
    verifyAhtConsistency(proof.consistencyProof, s.blTxId, t.blTxId, s.blRoot, t.blRoot);
  }
  if (t.blTxId > 0n) {
    verifyAhtLastInclusion(proof.lastInclusionProof, t.blTxId, leafHash(proof.targetBlTxAlh), t.blRoot);
  }
  if (sourceTxId < t.blTxId) {
    verifyLinearProof(proof.linearProof, t.blTxId, targetTxId, proof.targetBlTxAlh, targetAlh);
    verifyLinearAdvanceProof(proof.linearAdvanceProof, s.blTxId, sourceTxId, sourceAlh, t.blRoot, t.blTxId);
  } else {
    verifyLinearProof(proof.linearProof, sourceTxId, targetTxId, sourceAlh, targetAlh);
    verifyLinearAdvanceProof(
      proof.linearAdvanceProof,
      s.blTxId,
      t.blTxId,
      proof.targetBlTxAlh,
      t.blRoot,
      t.blTxId,
    );
  }
}

/**
 * Verifies a dual proof of the document API (`DualProofV2`, spec 3.9): only valid for histories where both
 * headers have `blTxId == id - 1`; purely AHT-based, no linear part.
 *
 * @throws VerificationError `dual-proof` (missing proof, source id 0 or after the target, headers not
 *   linked as `blTxId == id - 1`), `header-mismatch`, `alh-mismatch`, `aht-inclusion`, `aht-consistency`,
 *   `unsupported-header-version` or `malformed-proof`.
 */
export function verifyDualProofV2(
  p: DualProofV2 | undefined,
  sourceTxId: bigint,
  targetTxId: bigint,
  sourceAlh: Digest,
  targetAlh: Digest,
): void {
  const { s, t } = dualProofHeaders(p, sourceTxId, targetTxId);
  const proof = p as DualProofV2;
  assertDigest(sourceAlh, "dual proof source Alh");
  assertDigest(targetAlh, "dual proof target Alh");
  if (s.id === 0n) throw new VerificationError("dual-proof", "dual proof source tx id is 0");
  if (sourceTxId > targetTxId) {
    throw new VerificationError(
      "dual-proof",
      `source tx ${sourceTxId} is newer than target tx ${targetTxId}`,
    );
  }
  checkAlhs(s, t, sourceAlh, targetAlh);
  if (s.blTxId !== s.id - 1n || t.blTxId !== t.id - 1n) {
    throw new VerificationError("dual-proof", "DualProofV2 requires headers with blTxId == id - 1");
  }
  if (sourceTxId === targetTxId) return;
  const sourceLeaf = leafHash(sourceAlh);
  verifyAhtInclusion(proof.inclusionProof, sourceTxId, t.blTxId, sourceLeaf, t.blRoot);
  if (sourceTxId === 1n) {
    verifyAhtConsistency(proof.consistencyProof, 1n, t.blTxId, sourceLeaf, t.blRoot);
  } else {
    verifyAhtConsistency(proof.consistencyProof, s.blTxId, t.blTxId, s.blRoot, t.blRoot);
  }
}

/**
 * Plans the "fill a missing LinearAdvanceProof" step for servers older than immudb 1.4.1 (spec 3.8).
 * Returns the `(start, end)` range whose proof the client must assemble with extra `VerifiableTxById`
 * calls — inclusion proofs of txs `start+1 .. end-1` in the target's AHT and the linear proof terms of
 * `start+1 → end` — or `undefined` when the proof is present, not needed, or the dual proof is too broken
 * to plan for (its verification will fail anyway). Never throws.
 */
export function linearAdvanceProofRange(
  p: DualProof,
  sourceTxId: bigint,
  targetTxId: bigint,
): { start: bigint; end: bigint } | undefined {
  if (!isObject(p) || isObject(p.linearAdvanceProof)) return undefined;
  const s: unknown = p.sourceTxHeader;
  const t: unknown = p.targetTxHeader;
  if (!isObject(s) || !isObject(t)) return undefined;
  const sh = s as TxHeader;
  const th = t as TxHeader;
  if (typeof sh.id !== "bigint" || typeof th.id !== "bigint") return undefined;
  if (typeof sh.blTxId !== "bigint" || typeof th.blTxId !== "bigint") return undefined;
  if (sh.id !== sourceTxId || th.id !== targetTxId) return undefined;
  const start = sh.blTxId;
  const end = sourceTxId < th.blTxId ? sourceTxId : th.blTxId;
  if (end <= start + 1n) return undefined;
  return { start, end };
}
