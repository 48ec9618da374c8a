/**
 * What immudb actually hashes for an entry: metadata encodings (spec 1.4, 2.3), the stored key/value
 * encodings of plain, reference, sorted-set and deleted entries (spec 1.5), and the entry digest of
 * header versions 0 and 1 (spec 1.4).
 *
 * @module
 */

import { VerificationError } from "../errors.js";
import { Preimage, putU64, requireBytes, requireI64, requireU64 } from "./bytes.js";
import { assertDigest, DIGEST_SIZE, emptyDigest, sha256 } from "./hash.js";
import type { Digest, EntrySpec, KVMetadata, TxMetadata } from "./types.js";

/** Key prefix of plain (set) keys. */
export const SET_KEY_PREFIX = 0x00;
/** Key prefix of sorted-set (zadd) keys. */
export const SORTED_SET_KEY_PREFIX = 0x01;
/** Key prefix of SQL keys. */
export const SQL_KEY_PREFIX = 0x02;
/** Key prefix of document keys. */
export const DOCUMENT_KEY_PREFIX = 0x03;
/** Value prefix of plain values. */
export const PLAIN_VALUE_PREFIX = 0x00;
/** Value prefix of reference values. */
export const REFERENCE_VALUE_PREFIX = 0x01;

/** Maximum length of `TxMetadata.extra`. */
export const MAX_TX_METADATA_EXTRA_LEN = 256;

const EMPTY_BYTES = new Uint8Array(0);

/**
 * The `KVMetadata.Bytes()` encoding (spec 1.4): attribute codes in order `0x00` deleted, `0x01 ‖ u64`
 * expiresAt, `0x02` nonIndexable, each only when present. Absent or attribute-less metadata gives 0 bytes.
 *
 * @throws VerificationError `malformed-proof` if `expiresAt` is not an int64 bigint.
 */
export function kvMetadataBytes(md?: KVMetadata): Uint8Array {
  if (md === undefined || md === null) return new Uint8Array(0);
  const deleted = md.deleted === true;
  const nonIndexable = md.nonIndexable === true;
  const hasExpiry = md.expiresAt !== undefined;
  const out = new Uint8Array((deleted ? 1 : 0) + (hasExpiry ? 9 : 0) + (nonIndexable ? 1 : 0));
  let off = 0;
  if (deleted) out[off++] = 0x00;
  if (hasExpiry) {
    const at = requireI64(md.expiresAt, "KVMetadata.expiresAt");
    out[off] = 0x01;
    putU64(out, off + 1, at);
    off += 9;
  }
  if (nonIndexable) out[off] = 0x02;
  return out;
}

/**
 * The `TxMetadata.Bytes()` encoding (spec 2.3): `0x00 ‖ u64(truncatedTxId)` when it is > 0, then
 * `0x01 ‖ u16(len) ‖ extra` when `extra` is non-empty. Absent or empty metadata gives 0 bytes.
 *
 * @throws VerificationError `malformed-proof` if `truncatedTxId` is not a uint64 bigint or `extra` is longer
 *   than 256 bytes.
 */
export function txMetadataBytes(md?: TxMetadata): Uint8Array {
  if (md === undefined || md === null) return new Uint8Array(0);
  const truncated =
    md.truncatedTxId === undefined ? 0n : requireU64(md.truncatedTxId, "TxMetadata.truncatedTxId");
  const extra = md.extra === undefined ? EMPTY_BYTES : requireBytes(md.extra, "TxMetadata.extra");
  if (extra.length > MAX_TX_METADATA_EXTRA_LEN) {
    throw new VerificationError(
      "malformed-proof",
      `TxMetadata.extra is ${extra.length} bytes (at most ${MAX_TX_METADATA_EXTRA_LEN} allowed)`,
    );
  }
  const out = new Uint8Array((truncated > 0n ? 9 : 0) + (extra.length > 0 ? 3 + extra.length : 0));
  let off = 0;
  if (truncated > 0n) {
    out[0] = 0x00;
    putU64(out, 1, truncated);
    off = 9;
  }
  if (extra.length > 0) {
    out[off] = 0x01;
    out[off + 1] = Math.floor(extra.length / 256);
    out[off + 2] = extra.length % 256;
    out.set(extra, off + 3);
  }
  return out;
}

function prefixed(prefix: number, data: Uint8Array, what: string): Uint8Array {
  requireBytes(data, what);
  const out = new Uint8Array(1 + data.length);
  out[0] = prefix;
  out.set(data, 1);
  return out;
}

/**
 * The stored form of a user key: `0x00 ‖ key`.
 *
 * @throws VerificationError `malformed-proof` if `key` is not a Uint8Array.
 */
export function encodeKey(key: Uint8Array): Uint8Array {
  return prefixed(SET_KEY_PREFIX, key, "key");
}

/**
 * The stored form of a plain value: `0x00 ‖ value`.
 *
 * @throws VerificationError `malformed-proof` if `value` is not a Uint8Array.
 */
export function encodePlainValue(value: Uint8Array): Uint8Array {
  return prefixed(PLAIN_VALUE_PREFIX, value, "value");
}

/**
 * The stored value of a reference to `referencedKey` (unprefixed) at `atTx` (0 = unbound):
 * `0x01 ‖ u64(atTx) ‖ 0x00 ‖ referencedKey`.
 *
 * @throws VerificationError `malformed-proof` if `atTx` is not a uint64 bigint.
 */
export function encodeReferenceValue(referencedKey: Uint8Array, atTx: bigint): Uint8Array {
  requireBytes(referencedKey, "referencedKey");
  const tx = requireU64(atTx, "atTx");
  const out = new Uint8Array(10 + referencedKey.length);
  out[0] = REFERENCE_VALUE_PREFIX;
  putU64(out, 1, tx);
  out[9] = SET_KEY_PREFIX;
  out.set(referencedKey, 10);
  return out;
}

/**
 * The stored key of a sorted-set member (`ZAdd`): `0x01 ‖ u64(len(set)) ‖ set ‖ float64be(score) ‖
 * u64(len(key)+1) ‖ 0x00 ‖ key ‖ u64(atTx)`. `-0` keeps its sign bit.
 *
 * @throws VerificationError `malformed-proof` if `score` is NaN or not a number (JavaScript cannot carry
 *   NaN payloads, so its bits would not match the server's), or `atTx` is not a uint64 bigint.
 */
export function encodeZAddKey(set: Uint8Array, score: number, key: Uint8Array, atTx: bigint): Uint8Array {
  requireBytes(set, "set");
  requireBytes(key, "key");
  if (typeof score !== "number" || Number.isNaN(score)) {
    throw new VerificationError("malformed-proof", "sorted-set score must be a number and not NaN");
  }
  const tx = requireU64(atTx, "atTx");
  const out = new Uint8Array(1 + 8 + set.length + 8 + 8 + 1 + key.length + 8);
  const view = new DataView(out.buffer);
  let off = 0;
  out[off] = SORTED_SET_KEY_PREFIX;
  off += 1;
  view.setBigUint64(off, BigInt(set.length), false);
  off += 8;
  out.set(set, off);
  off += set.length;
  view.setFloat64(off, score, false);
  off += 8;
  view.setBigUint64(off, BigInt(key.length + 1), false);
  off += 8;
  out[off] = SET_KEY_PREFIX;
  off += 1;
  out.set(key, off);
  off += key.length;
  view.setBigUint64(off, tx, false);
  return out;
}

function withMetadata(key: Uint8Array, hValue: Digest, md: KVMetadata | undefined): EntrySpec {
  return md === undefined ? { key, hValue } : { key, metadata: md, hValue };
}

/**
 * Entry spec of a plain `Set(key, value)` with optional metadata: key `0x00 ‖ key`,
 * `hValue = H(0x00 ‖ value)`. Takes the unprefixed user key and value.
 *
 * @throws VerificationError `malformed-proof` on non-Uint8Array input.
 */
export function plainEntrySpec(key: Uint8Array, value: Uint8Array, md?: KVMetadata): EntrySpec {
  return withMetadata(encodeKey(key), sha256(encodePlainValue(value)), md);
}

/**
 * Entry spec of a reference `key → referencedKey@atTx` (both unprefixed; `atTx` 0 = unbound):
 * key `0x00 ‖ key`, `hValue = H(encodeReferenceValue(referencedKey, atTx))`.
 *
 * @throws VerificationError `malformed-proof` on bad input (see {@link encodeReferenceValue}).
 */
export function referenceEntrySpec(
  key: Uint8Array,
  referencedKey: Uint8Array,
  atTx: bigint,
  md?: KVMetadata,
): EntrySpec {
  return withMetadata(encodeKey(key), sha256(encodeReferenceValue(referencedKey, atTx)), md);
}

/**
 * Entry spec of a sorted-set member `ZAdd(set, score, key, atTx)` (unprefixed `key`): key
 * {@link encodeZAddKey}, empty value (`hValue = H("")`), no metadata.
 *
 * @throws VerificationError `malformed-proof` on bad input (see {@link encodeZAddKey}).
 */
export function zAddEntrySpec(set: Uint8Array, score: number, key: Uint8Array, atTx: bigint): EntrySpec {
  return { key: encodeZAddKey(set, score, key, atTx), hValue: emptyDigest() };
}

/**
 * Entry spec of a logically deleted key (`Delete(key)`, unprefixed): key `0x00 ‖ key`, empty value with no
 * prefix byte (`hValue = H("")`), metadata `{ deleted: true }`.
 *
 * @throws VerificationError `malformed-proof` if `key` is not a Uint8Array.
 */
export function deletedEntrySpec(key: Uint8Array): EntrySpec {
  return { key: encodeKey(key), metadata: { deleted: true }, hValue: emptyDigest() };
}

const entryPreimage = new Preimage(256);

/**
 * The entry digest (htree leaf input) for transaction header `version` (spec 1.4):
 * version 0: `H(key ‖ hValue)`; version 1: `H(u16(len(md)) ‖ md ‖ u16(len(key)) ‖ key ‖ hValue)`.
 *
 * @throws VerificationError `unsupported-header-version` for any other version; `malformed-proof` if
 *   `hValue` is not 32 bytes, the key is longer than 65535 bytes (version 1), or — stricter than Go's
 *   client-side `EntrySpecDigest_v0`, which ignores it — the spec carries non-empty KV metadata with
 *   version 0 (unrepresentable in a version-0 transaction, so it could never be authenticated).
 */
export function entryDigest(version: number, spec: EntrySpec): Digest {
  if (version !== 0 && version !== 1) {
    throw new VerificationError(
      "unsupported-header-version",
      `unsupported tx header version ${String(version)}`,
    );
  }
  if (spec === undefined || spec === null) {
    throw new VerificationError("malformed-proof", "entry spec is missing");
  }
  const key = requireBytes(spec.key, "entry key");
  assertDigest(spec.hValue, "entry hValue");
  const md = kvMetadataBytes(spec.metadata);
  if (version === 0) {
    if (md.length > 0) {
      throw new VerificationError("malformed-proof", "KV metadata is not supported by tx header version 0");
    }
    return entryPreimage
      .reset(key.length + DIGEST_SIZE)
      .bytes(key)
      .bytes(spec.hValue)
      .hash();
  }
  if (key.length > 0xffff) {
    throw new VerificationError(
      "malformed-proof",
      `entry key is ${key.length} bytes (at most 65535 allowed)`,
    );
  }
  return entryPreimage
    .reset(2 + md.length + 2 + key.length + DIGEST_SIZE)
    .u16(md.length)
    .bytes(md)
    .u16(key.length)
    .bytes(key)
    .bytes(spec.hValue)
    .hash();
}
