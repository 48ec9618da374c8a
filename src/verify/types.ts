/**
 * Plain input types of the verification core. No protobuf types: the client layer converts wire messages
 * into these (applying "digest from proto" exactly once, see {@link digestFromProto}).
 *
 * All 64-bit integers are `bigint`; all digests are 32-byte `Uint8Array`s.
 *
 * @module
 */

/** A 32-byte SHA-256 digest. */
export type Digest = Uint8Array;

/** Key-value entry metadata (`KVMetadata`), hashed into entry digests of header version 1. */
export interface KVMetadata {
  /** Logical deletion marker (attribute code 0x00). */
  readonly deleted?: boolean;
  /** Expiry as Unix seconds (attribute code 0x01). Present even when 0n if the proto carried an expiration. */
  readonly expiresAt?: bigint;
  /** Entry excluded from the index (attribute code 0x02). */
  readonly nonIndexable?: boolean;
}

/** Transaction-level metadata (`TxMetadata`), hashed into the inner hash of header version 1. */
export interface TxMetadata {
  /** Truncation marker: all txs up to this one were truncated (attribute code 0x00). Absent or 0n: none. */
  readonly truncatedTxId?: bigint;
  /** User-supplied extra bytes, at most 256 (attribute code 0x01). Absent or empty: none. */
  readonly extra?: Uint8Array;
}

/** A transaction header (`TxHeader`). */
export interface TxHeader {
  /** Transaction id, 1-based. */
  readonly id: bigint;
  /** Alh of the previous transaction (`H("")` for tx 1). */
  readonly prevAlh: Digest;
  /** Commit time, Unix seconds (int64). */
  readonly ts: bigint;
  /** Number of entries. */
  readonly nEntries: number;
  /** Root of the transaction's entry tree (htree). */
  readonly eh: Digest;
  /** Size of the global tree (AHT) when the transaction was committed. */
  readonly blTxId: bigint;
  /** Root of the AHT of size `blTxId` (32 zero bytes when `blTxId` is 0). */
  readonly blRoot: Digest;
  /** Header format version: 0 or 1. */
  readonly version: number;
  /** Transaction metadata (only hashed in version 1). */
  readonly metadata?: TxMetadata;
}

/**
 * An entry as it is hashed: the stored (prefixed) key, its metadata and the SHA-256 of the stored
 * (prefixed) value.
 */
export interface EntrySpec {
  /** Stored key bytes, including immudb's one-byte key prefix. */
  readonly key: Uint8Array;
  /** Entry metadata, if any. */
  readonly metadata?: KVMetadata;
  /** SHA-256 of the stored value bytes. */
  readonly hValue: Digest;
}

/** Inclusion proof of one entry in a transaction's htree. `terms` go from the leaf up to the root. */
export interface InclusionProof {
  readonly leaf: number;
  readonly width: number;
  readonly terms: readonly Digest[];
}

/** Linear proof: the Alh chain from `sourceTxId` to `targetTxId`. */
export interface LinearProof {
  readonly sourceTxId: bigint;
  readonly targetTxId: bigint;
  /** `terms[0]` is Alh(source); `terms[k]` is the inner hash of tx `source + k`. */
  readonly terms: readonly Digest[];
}

/** Proof that part of an older linear chain lies in a newer AHT (the "linear-fake" fix, immudb 1.4.1). */
export interface LinearAdvanceProof {
  readonly linearProofTerms: readonly Digest[];
  /** AHT inclusion proofs (terms only), one per intermediate transaction. */
  readonly inclusionProofs: readonly (readonly Digest[])[];
}

/** Dual proof between a source and a target transaction (`DualProof`). */
export interface DualProof {
  readonly sourceTxHeader: TxHeader;
  readonly targetTxHeader: TxHeader;
  readonly inclusionProof: readonly Digest[];
  readonly consistencyProof: readonly Digest[];
  readonly targetBlTxAlh: Digest;
  readonly lastInclusionProof: readonly Digest[];
  readonly linearProof: LinearProof;
  /** Absent when not needed, or when the server predates immudb 1.4.1. */
  readonly linearAdvanceProof?: LinearAdvanceProof;
}

/** Dual proof of the document API (`DualProofV2`, immudb 1.5+). */
export interface DualProofV2 {
  readonly sourceTxHeader: TxHeader;
  readonly targetTxHeader: TxHeader;
  readonly inclusionProof: readonly Digest[];
  readonly consistencyProof: readonly Digest[];
}

/** A database state: the last transaction id and its Alh. */
export interface StateDigest {
  readonly db: string;
  readonly txId: bigint;
  readonly txHash: Digest;
}
