/**
 * Public domain types returned by the client. 64-bit integers are `bigint`, bytes are `Uint8Array`.
 *
 * @module
 */
import type { KVMetadata, TxHeader } from "./verify/types.js";

export type { Digest, KVMetadata, TxHeader, TxMetadata } from "./verify/types.js";

/** Options every call accepts. */
export interface CallOptions {
  /** Deadline in milliseconds for this call, overriding the client default; `0` disables it. */
  readonly timeoutMs?: number;
  /** Cancels the call. A cancelled write may or may not have been committed. */
  readonly signal?: AbortSignal;
}

/** A key-value entry as read from immudb. */
export interface Entry {
  /** Transaction that wrote this value. */
  readonly tx: bigint;
  /** The key (without immudb's internal prefix). */
  readonly key: Uint8Array;
  /** The value. */
  readonly value: Uint8Array;
  /** Entry metadata (deletion, expiry, non-indexable), if any. */
  readonly metadata?: KVMetadata;
  /** Whether the entry has expired. */
  readonly expired: boolean;
  /** Revision of the key: 1 for its first value, 2 for the second, and so on. */
  readonly revision: bigint;
  /** When the requested key is a reference, the reference that led to this entry. */
  readonly referencedBy?: Reference;
}

/** A reference (alias) that was resolved to reach an entry. */
export interface Reference {
  /** Transaction that wrote the reference. */
  readonly tx: bigint;
  /** The reference key. */
  readonly key: Uint8Array;
  /** The transaction the reference is bound to; `0n` means it follows the latest value. */
  readonly atTx: bigint;
  /** Metadata of the reference entry. */
  readonly metadata?: KVMetadata;
  /** Revision of the reference key. */
  readonly revision: bigint;
}

/** Result of {@link ImmudbClient.health}. */
export interface HealthInfo {
  /** Whether the server reports itself healthy. */
  readonly status: boolean;
  /** Server version as `"<version>-<commit>"`. */
  readonly version: string;
}

/** Options of `get`. `atTx` cannot be combined with `sinceTx` or `atRevision`. */
export interface GetOptions extends CallOptions {
  /** Read the value the key had at this transaction. */
  readonly atTx?: bigint;
  /** Wait until the index includes this transaction, then read the latest value. */
  readonly sinceTx?: bigint;
  /** Read this revision: `> 0` counts from the first value (1 = first); `<= 0` counts back from the latest. */
  readonly atRevision?: bigint;
  /** Do not wait for the index to catch up. */
  readonly noWait?: boolean;
}

/** The result of a write: the header of the transaction that committed it. */
export type WriteResult = TxHeader;

/** A condition the server checks atomically before committing a write. */
export type Precondition =
  | { readonly type: "mustExist"; readonly key: Uint8Array | string }
  | { readonly type: "mustNotExist"; readonly key: Uint8Array | string }
  | { readonly type: "notModifiedAfterTx"; readonly key: Uint8Array | string; readonly txId: bigint };

/** Options of writes. */
export interface WriteOptions extends CallOptions {
  /** Expiry of the written entries: a `Date`, or Unix seconds. Expired entries read as missing. */
  readonly expiresAt?: bigint | Date;
  /** Keep the entries out of the index (readable by transaction only). */
  readonly nonIndexable?: boolean;
  /** Conditions checked atomically by the server; a failed one rejects with `PRECONDITION_FAILED`. */
  readonly preconditions?: readonly Precondition[];
  /** Return without waiting for the index to include the write. */
  readonly noWait?: boolean;
}

/** Options of `verifiedGet`: the same forms as `get`. */
export type VerifiedGetOptions = GetOptions;

/** A database state as reported by the server. */
export interface ServerState {
  readonly database: string;
  readonly txId: bigint;
  readonly txHash: Uint8Array;
  /** The server's DER ECDSA signature of the state, when it signs. */
  readonly signature: Uint8Array | undefined;
}
