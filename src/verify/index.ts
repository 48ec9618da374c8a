/**
 * `immudb-ts/verify`: the pure cryptographic verification core of immudb-ts (no I/O, no protobuf).
 *
 * Every `verifyX` function returns nothing on success and throws a {@link VerificationError} whose `reason`
 * names the failed check. Inputs are plain values (see the types below): apply {@link digestFromProto} to
 * every 32-byte value read from the wire exactly once, and use `bigint` for all 64-bit integers.
 *
 * @module
 */

export type { VerificationReason } from "../errors.js";
export { InvalidArgumentError, VerificationError } from "../errors.js";

export { ahtRoot, verifyAhtConsistency, verifyAhtInclusion, verifyAhtLastInclusion } from "./ahtree.js";
export {
  DOCUMENT_KEY_PREFIX,
  deletedEntrySpec,
  encodeKey,
  encodePlainValue,
  encodeReferenceValue,
  encodeZAddKey,
  entryDigest,
  kvMetadataBytes,
  MAX_TX_METADATA_EXTRA_LEN,
  PLAIN_VALUE_PREFIX,
  plainEntrySpec,
  REFERENCE_VALUE_PREFIX,
  referenceEntrySpec,
  SET_KEY_PREFIX,
  SORTED_SET_KEY_PREFIX,
  SQL_KEY_PREFIX,
  txMetadataBytes,
  zAddEntrySpec,
} from "./encoding.js";
export {
  bytesEqual,
  DIGEST_SIZE,
  digestFromProto,
  EMPTY_DIGEST,
  leafHash,
  nodeHash,
  sha256,
  ZERO_DIGEST,
} from "./hash.js";
export { alh, innerHash } from "./header.js";
export { htreeInclusionProof, htreeRoot, verifyHtreeInclusion } from "./htree.js";
export {
  linearAdvanceProofRange,
  verifyDualProof,
  verifyDualProofV2,
  verifyLinearAdvanceProof,
  verifyLinearProof,
} from "./proofs.js";
export type { SigningPublicKey } from "./signature.js";
export { parseSigningPublicKey, stateSigningBytes, verifyStateSignature } from "./signature.js";
export type { SqlKeyType, SqlPrimaryKeyValue } from "./sql.js";
export { decodeSqlRowValue, encodeSqlPrimaryKeyValue, SQL_MAX_KEY_LEN, sqlRowKey } from "./sql.js";
export type {
  Digest,
  DualProof,
  DualProofV2,
  EntrySpec,
  InclusionProof,
  KVMetadata,
  LinearAdvanceProof,
  LinearProof,
  StateDigest,
  TxHeader,
  TxMetadata,
} from "./types.js";
