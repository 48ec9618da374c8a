/**
 * Transaction header hashes: `innerHash` and the accumulated linear hash `Alh` (spec 2.2).
 *
 * @module
 */

import { VerificationError } from "../errors.js";
import { Preimage, requireI64, requireInt, requireU64 } from "./bytes.js";
import { txMetadataBytes } from "./encoding.js";
import { assertDigest, DIGEST_SIZE, sha256 } from "./hash.js";
import type { Digest, TxHeader } from "./types.js";

const innerPreimage = new Preimage(512);

// u64(txId) ‖ alh ‖ innerHash, shared by `alh` and the linear-proof `advance` step.
const alhScratch = new Uint8Array(8 + 2 * DIGEST_SIZE);
const alhView = new DataView(alhScratch.buffer);

/**
 * `H(u64(txId) ‖ prevAlh ‖ innerHash)`: the Alh of `txId` given its predecessor's Alh and its inner hash.
 * Inputs must already be validated (bigint in u64 range, 32-byte digests).
 */
export function advanceAlh(txId: bigint, prevAlh: Digest, inner: Digest): Digest {
  alhView.setBigUint64(0, txId, false);
  alhScratch.set(prevAlh, 8);
  alhScratch.set(inner, 8 + DIGEST_SIZE);
  return sha256(alhScratch);
}

/**
 * Validates the shape of a header (ranges, digest lengths, version).
 *
 * @throws VerificationError `malformed-proof` or `unsupported-header-version`.
 */
export function checkHeader(hdr: TxHeader, what = "tx header"): void {
  if (hdr === undefined || hdr === null || typeof hdr !== "object") {
    throw new VerificationError("malformed-proof", `${what} is missing`);
  }
  if (hdr.version !== 0 && hdr.version !== 1) {
    throw new VerificationError(
      "unsupported-header-version",
      `${what}: unsupported tx header version ${String(hdr.version)}`,
    );
  }
  requireU64(hdr.id, `${what}.id`);
  requireI64(hdr.ts, `${what}.ts`);
  requireU64(hdr.blTxId, `${what}.blTxId`);
  requireInt(hdr.nEntries, 0, hdr.version === 0 ? 0xffff : 0xffff_ffff, `${what}.nEntries`);
  assertDigest(hdr.prevAlh, `${what}.prevAlh`);
  assertDigest(hdr.eh, `${what}.eh`);
  assertDigest(hdr.blRoot, `${what}.blRoot`);
}

/** `innerHash` of an already validated header. */
function innerHashChecked(hdr: TxHeader): Digest {
  if (hdr.version === 0) {
    // u64(ts) ‖ u16(0) ‖ u16(nEntries) ‖ eh ‖ u64(blTxId) ‖ blRoot
    return innerPreimage
      .reset(8 + 2 + 2 + DIGEST_SIZE + 8 + DIGEST_SIZE)
      .u64(hdr.ts)
      .u16(0)
      .u16(hdr.nEntries)
      .bytes(hdr.eh)
      .u64(hdr.blTxId)
      .bytes(hdr.blRoot)
      .hash();
  }
  const md = txMetadataBytes(hdr.metadata);
  // u64(ts) ‖ u16(1) ‖ u16(len(md)) ‖ md ‖ u32(nEntries) ‖ eh ‖ u64(blTxId) ‖ blRoot
  return innerPreimage
    .reset(8 + 2 + 2 + md.length + 4 + DIGEST_SIZE + 8 + DIGEST_SIZE)
    .u64(hdr.ts)
    .u16(1)
    .u16(md.length)
    .bytes(md)
    .u32(hdr.nEntries)
    .bytes(hdr.eh)
    .u64(hdr.blTxId)
    .bytes(hdr.blRoot)
    .hash();
}

/**
 * The inner hash of a transaction header (spec 2.2), for header versions 0 and 1. Version 0 ignores
 * `metadata`.
 *
 * @throws VerificationError `unsupported-header-version` for other versions; `malformed-proof` for
 *   out-of-range fields (ids outside uint64, `ts` outside int64, `nEntries` outside uint16 for version 0 or
 *   uint32 for version 1), digests that are not 32 bytes, or invalid `TxMetadata`.
 */
export function innerHash(hdr: TxHeader): Digest {
  checkHeader(hdr);
  return innerHashChecked(hdr);
}

/**
 * The accumulated linear hash `Alh = H(u64(id) ‖ prevAlh ‖ innerHash)` of a transaction header (spec 2.2).
 *
 * @throws VerificationError like {@link innerHash}.
 */
export function alh(hdr: TxHeader): Digest {
  checkHeader(hdr);
  return advanceAlh(hdr.id, hdr.prevAlh, innerHashChecked(hdr));
}

/** `alh` of a header that {@link checkHeader} has already accepted. */
export function alhChecked(hdr: TxHeader): Digest {
  return advanceAlh(hdr.id, hdr.prevAlh, innerHashChecked(hdr));
}
