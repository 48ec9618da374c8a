/**
 * Conversion from protobuf messages (src/gen) to the domain and verification types. The only place outside
 * the transport that imports generated code; "digest from proto" happens here, through the verification
 * core's {@link digestFromProto}.
 *
 * @module
 */
import type {
  Entry as EntryProto,
  KVMetadata as KVMetadataProto,
  Reference as ReferenceProto,
  TxEntry as TxEntryProto,
  TxHeader as TxHeaderProto,
  TxMetadata as TxMetadataProto,
  Tx as TxProto,
  ZEntry as ZEntryProto,
} from "../gen/schema_pb.js";
import type { Entry, Reference, Tx, TxEntry, ZEntry } from "../types.js";
import { digestFromProto } from "../verify/index.js";
import type { KVMetadata, TxHeader, TxMetadata } from "../verify/types.js";

/** Converts KV metadata; an absent message means no metadata (`undefined`). */
export function kvMetadataFromProto(md: KVMetadataProto | undefined): KVMetadata | undefined {
  if (!md) return undefined;
  const out: { deleted?: boolean; expiresAt?: bigint; nonIndexable?: boolean } = {};
  if (md.deleted) out.deleted = true;
  // A present expiration message counts, even with expiresAt 0 (it is hashed).
  if (md.expiration) out.expiresAt = md.expiration.expiresAt;
  if (md.nonIndexable) out.nonIndexable = true;
  return out;
}

/** Converts tx metadata; absent → `undefined`. */
export function txMetadataFromProto(md: TxMetadataProto | undefined): TxMetadata | undefined {
  if (!md) return undefined;
  const out: { truncatedTxId?: bigint; extra?: Uint8Array } = {};
  if (md.truncatedTxID > 0n) out.truncatedTxId = md.truncatedTxID;
  if (md.extra.length > 0) out.extra = md.extra;
  return out;
}

/** Converts a transaction header. An absent header is a malformed response: the caller decides. */
export function txHeaderFromProto(h: TxHeaderProto): TxHeader {
  const metadata = txMetadataFromProto(h.metadata);
  return {
    id: h.id,
    prevAlh: digestFromProto(h.prevAlh),
    ts: h.ts,
    nEntries: h.nentries,
    eh: digestFromProto(h.eH),
    blTxId: h.blTxId,
    blRoot: digestFromProto(h.blRoot),
    version: h.version,
    ...(metadata ? { metadata } : {}),
  };
}

/** Converts a reference. */
export function referenceFromProto(r: ReferenceProto): Reference {
  const metadata = kvMetadataFromProto(r.metadata);
  return { tx: r.tx, key: r.key, atTx: r.atTx, revision: r.revision, ...(metadata ? { metadata } : {}) };
}

/** Converts an entry. */
export function entryFromProto(e: EntryProto): Entry {
  const metadata = kvMetadataFromProto(e.metadata);
  return {
    tx: e.tx,
    key: e.key,
    value: e.value,
    expired: e.expired,
    revision: e.revision,
    ...(metadata ? { metadata } : {}),
    ...(e.referencedBy ? { referencedBy: referenceFromProto(e.referencedBy) } : {}),
  };
}

/** Converts a sorted-set entry. */
export function zEntryFromProto(z: ZEntryProto): ZEntry {
  return {
    set: z.set,
    key: z.key,
    score: z.score,
    atTx: z.atTx,
    ...(z.entry ? { entry: entryFromProto(z.entry) } : {}),
  };
}

const TX_ENTRY_KINDS: readonly TxEntry["kind"][] = ["kv", "zset", "sql"];

/** Converts a stored transaction entry; `withValue` keeps the stored value (raw mode). */
export function txEntryFromProto(e: TxEntryProto, withValue: boolean): TxEntry {
  const metadata = kvMetadataFromProto(e.metadata);
  return {
    kind: TX_ENTRY_KINDS[e.key[0] ?? 255] ?? "other",
    storedKey: e.key,
    key: e.key.subarray(1),
    hValue: e.hValue,
    valueLength: e.vLen,
    ...(withValue ? { value: e.value } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

/** Converts a transaction whose header the caller has checked is present; `raw` keeps stored values. */
export function txFromProto(header: TxHeaderProto, tx: TxProto, raw: boolean): Tx {
  return {
    header: txHeaderFromProto(header),
    entries: tx.entries.map((e) => txEntryFromProto(e, raw)),
    kvEntries: tx.kvEntries.map(entryFromProto),
    zEntries: tx.zEntries.map(zEntryFromProto),
  };
}
