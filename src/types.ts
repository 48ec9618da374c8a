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

// ---- key-value ----

/** Options of `getAll`. */
export interface GetAllOptions extends CallOptions {
  /** Wait until the index includes this transaction (default: the last committed one). */
  readonly sinceTx?: bigint;
}

/** Options of `delete`. */
export interface DeleteOptions extends CallOptions {
  /** Wait until the index includes this transaction before deleting (default: the last committed one). */
  readonly sinceTx?: bigint;
  /** Return without waiting for the index to include the deletion. */
  readonly noWait?: boolean;
}

/** Options every paging read (`scan`, `zScan`, `history`, `txScan`) accepts. */
export interface PageOptions extends CallOptions {
  /**
   * Total number of results to return, over all pages (default: no bound). `0` returns nothing. Unlike the
   * RPCs' own `limit`, this is not a page size and may exceed 2,500.
   */
  readonly limit?: number;
  /** Results asked for per RPC, 1 to 2,500 (immudb's maximum; the default). Smaller pages keep messages small. */
  readonly pageSize?: number;
}

/** Options of `scan`. Every bound is optional; an absent one is not sent. */
export interface ScanOptions extends PageOptions {
  /** Only keys with this prefix. */
  readonly prefix?: Uint8Array | string;
  /** Start at this key (see `inclusiveSeek`); in `desc` order, start at it going down. */
  readonly seekKey?: Uint8Array | string;
  /** Stop at this key (see `inclusiveEnd`). */
  readonly endKey?: Uint8Array | string;
  /** Include `seekKey` itself (default `false`). */
  readonly inclusiveSeek?: boolean;
  /** Include `endKey` itself (default `false`). */
  readonly inclusiveEnd?: boolean;
  /** Descending key order. */
  readonly desc?: boolean;
  /** Skip this many entries first (applied by the server to the first page). */
  readonly offset?: number;
  /** Wait until the index includes this transaction (default: the last committed one at each page). */
  readonly sinceTx?: bigint;
  /** Sent as `noWait`; immudb 1.11 ignores it for scans (deprecated in its proto). */
  readonly noWait?: boolean;
}

/** Options of `history`. */
export interface HistoryOptions extends PageOptions {
  /** Skip this many revisions first (counted from the newest with `desc`). */
  readonly offset?: number;
  /** Newest revision first. */
  readonly desc?: boolean;
  /** Wait until the index includes this transaction (default: the last committed one). */
  readonly sinceTx?: bigint;
}

/**
 * Options of `zScan`. Scores are compared as numbers: `minScore`/`maxScore` are inclusive, results come in
 * numeric score order (ascending, or descending with `desc`), negative scores included.
 */
export interface ZScanOptions extends PageOptions {
  /** Lowest score to return (inclusive). */
  readonly minScore?: number;
  /** Highest score to return (inclusive). */
  readonly maxScore?: number;
  /**
   * Resume from this member: with `seekScore` and `seekAtTx` it names one entry of the set (as returned in a
   * {@link ZEntry}); the scan starts after it (or at it, with `inclusiveSeek`).
   */
  readonly seekKey?: Uint8Array | string;
  /** Score of the `seekKey` entry (default `0`). Requires `seekKey`. */
  readonly seekScore?: number;
  /** `atTx` of the `seekKey` entry (default `0n`). Requires `seekKey`. */
  readonly seekAtTx?: bigint;
  /** Include the seek entry itself. Requires `seekKey`. */
  readonly inclusiveSeek?: boolean;
  /** Highest score first. */
  readonly desc?: boolean;
  /** Skip this many entries first (counted by the client, after the score bounds). */
  readonly offset?: number;
  /** Wait until the index includes this transaction (default: the last committed one). */
  readonly sinceTx?: bigint;
  /** Sent as `noWait`; deprecated in immudb's proto. */
  readonly noWait?: boolean;
}

/**
 * How a transaction's entries are returned by `txById` and `txScan`:
 * - `"resolved"` (default): key-value entries as {@link Entry} (references followed) in `kvEntries`, sorted-set
 *   entries as {@link ZEntry} in `zEntries`. The server leaves out deleted and expired entries and references
 *   to deleted keys; SQL entries, which it cannot resolve, come raw in `entries`.
 * - `"raw"`: entries as {@link TxEntry} with their stored values; the server leaves out expired entries.
 * - `"digest"`: every entry as a {@link TxEntry} with only the value's SHA-256 and length.
 * - `"exclude"`: no entries, only the header.
 */
export type TxEntriesMode = "resolved" | "raw" | "digest" | "exclude";

/** Options of `txById`. */
export interface TxByIdOptions extends CallOptions {
  /** How entries are returned (default `"resolved"`). */
  readonly entries?: TxEntriesMode;
  /** With `"resolved"`: do not follow references (a reference comes as an entry without value). */
  readonly keepReferencesUnresolved?: boolean;
  /** Resolve references against an index that includes at least this transaction. */
  readonly sinceTx?: bigint;
  /** Sent as `noWait`; deprecated in immudb's proto. */
  readonly noWait?: boolean;
}

/** Options of `txScan`. */
export interface TxScanOptions extends PageOptions {
  /** First transaction (default: 1, or the last committed one with `desc`). */
  readonly initialTx?: bigint;
  /** Newest transaction first. */
  readonly desc?: boolean;
  /** How entries are returned (default `"resolved"`). */
  readonly entries?: TxEntriesMode;
  /** Resolve references against an index that includes at least this transaction. */
  readonly sinceTx?: bigint;
  /** Sent as `noWait`; deprecated in immudb's proto. */
  readonly noWait?: boolean;
}

/** Options of `setReference`. */
export interface ReferenceOptions extends CallOptions {
  /** Bind the reference to the value the referenced key had at this transaction (sent with `boundRef`). */
  readonly atTx?: bigint;
  /** Conditions checked atomically by the server. */
  readonly preconditions?: readonly Precondition[];
  /** Return without waiting for the index to include the write. */
  readonly noWait?: boolean;
}

/** Options of `zAdd`. */
export interface ZAddOptions extends CallOptions {
  /** Bind the member to the value the key had at this transaction (sent with `boundRef`). */
  readonly atTx?: bigint;
  /** Return without waiting for the index to include the write. */
  readonly noWait?: boolean;
}

/** One operation of `execAll`. */
export type KVOperation =
  | {
      readonly type: "set";
      readonly key: Uint8Array | string;
      readonly value: Uint8Array | string;
      /** Expiry: a `Date` or Unix seconds. */
      readonly expiresAt?: bigint | Date;
      /** Keep out of the index. */
      readonly nonIndexable?: boolean;
    }
  | {
      readonly type: "ref";
      readonly key: Uint8Array | string;
      readonly referencedKey: Uint8Array | string;
      /** Bind to the value `referencedKey` had at this transaction. */
      readonly atTx?: bigint;
    }
  | {
      readonly type: "zAdd";
      readonly set: Uint8Array | string;
      readonly score: number;
      readonly key: Uint8Array | string;
      /** Bind to the value `key` had at this transaction. */
      readonly atTx?: bigint;
    };

/** Options of `execAll`. */
export interface ExecAllOptions extends CallOptions {
  /** Conditions checked atomically by the server; a failed one writes nothing. */
  readonly preconditions?: readonly Precondition[];
  /**
   * Return without waiting for the index. immudb then only accepts references and sorted-set members bound to
   * keys set in the same call, which this API cannot express: use it with `set` operations only.
   */
  readonly noWait?: boolean;
}

/** A member of a sorted set. */
export interface ZEntry {
  /** The sorted set. */
  readonly set: Uint8Array;
  /** The member key. */
  readonly key: Uint8Array;
  /** The member's score. */
  readonly score: number;
  /** The transaction the member is bound to; `0n` means it follows the key's latest value. */
  readonly atTx: bigint;
  /** The key's entry. Absent only in transactions read with `keepReferencesUnresolved`. */
  readonly entry?: Entry;
}

/** A sorted-set member as `zScan` returns it: always with its entry. */
export type ZScanEntry = ZEntry & { readonly entry: Entry };

/** A transaction entry as stored (modes `"raw"` and `"digest"`). */
export interface TxEntry {
  /** What the entry is, from the stored key's first byte. */
  readonly kind: "kv" | "zset" | "sql" | "other";
  /** The stored key, including immudb's one-byte prefix. */
  readonly storedKey: Uint8Array;
  /** The stored key without the prefix (for `"kv"`, the user key). */
  readonly key: Uint8Array;
  /** SHA-256 of the stored value. */
  readonly hValue: Uint8Array;
  /** Length of the stored value. */
  readonly valueLength: number;
  /**
   * The stored value (mode `"raw"` only). For `"kv"` entries its first byte is immudb's value prefix (0 = plain
   * value, 1 = reference) and the user value follows.
   */
  readonly value?: Uint8Array;
  /** Entry metadata, if any. */
  readonly metadata?: KVMetadata;
}

/** A transaction read with `txById` or `txScan`. Which arrays are filled depends on {@link TxEntriesMode}. */
export interface Tx {
  /** The transaction header (not verified; see `verifiedTxById`). */
  readonly header: TxHeader;
  /** Entries as stored (modes `"raw"`, `"digest"`; SQL entries in `"resolved"`). */
  readonly entries: readonly TxEntry[];
  /** Resolved key-value entries (mode `"resolved"`). */
  readonly kvEntries: readonly Entry[];
  /** Resolved sorted-set entries (mode `"resolved"`). */
  readonly zEntries: readonly ZEntry[];
}
