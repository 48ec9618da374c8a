/**
 * SQL row verification helpers (spec 4.7): primary-key encoding (`EncodeRawValueAsKey`), the row key under
 * which a row is stored and hashed, and the row value decoder.
 *
 * @module
 */

import { InvalidArgumentError, VerificationError } from "../errors.js";
import { describe, getU32, MAX_I64, MIN_I64, putU32, requireBytes, requireInt } from "./bytes.js";
import { SQL_KEY_PREFIX } from "./encoding.js";

/** SQL column types that can be part of a primary key. */
export type SqlKeyType = "INTEGER" | "VARCHAR" | "BLOB" | "BOOLEAN" | "UUID" | "TIMESTAMP" | "FLOAT";

/**
 * A primary-key value: `null` (SQL NULL); `bigint` or safe-integer `number` (INTEGER); `string` (VARCHAR,
 * or a UUID in text form); `Uint8Array` (BLOB, or a 16-byte UUID); `boolean` (BOOLEAN); `bigint`
 * microseconds since the Unix epoch or a `Date` (TIMESTAMP); `number` (FLOAT).
 */
export type SqlPrimaryKeyValue = null | bigint | number | string | boolean | Uint8Array | Date;

/** Maximum encoded key length of a column (`MaxKeyLen`, immudb 1.11). */
export const SQL_MAX_KEY_LEN = 1024;

const KEY_VAL_PREFIX_NULL = 0x20;
const KEY_VAL_PREFIX_NOT_NULL = 0x80;

const textEncoder = new TextEncoder();

function wrongType(value: unknown, type: SqlKeyType): InvalidArgumentError {
  return new InvalidArgumentError(`cannot encode ${describe(value)} as a ${type} primary-key value`);
}

function fixedLen(type: SqlKeyType, maxLen: number, expected: number): void {
  if (maxLen !== expected) {
    throw new VerificationError("sql-row", `${type} column has length ${maxLen}, expected ${expected}`);
  }
}

/** 0x80 ‖ u64(v) with the top bit flipped (int64 → order-preserving unsigned). */
function encodeSigned64(v: bigint): Uint8Array {
  const out = new Uint8Array(9);
  const view = new DataView(out.buffer);
  out[0] = KEY_VAL_PREFIX_NOT_NULL;
  view.setBigUint64(1, BigInt.asUintN(64, v), false);
  out[1] = (out[1] ?? 0) ^ 0x80;
  return out;
}

function encodeVariable(bytes: Uint8Array, maxLen: number, type: SqlKeyType): Uint8Array {
  if (bytes.length > maxLen) {
    throw new VerificationError(
      "sql-row",
      `${type} value of ${bytes.length} bytes exceeds the column length ${maxLen}`,
    );
  }
  // not-null marker ‖ value zero-padded to maxLen ‖ u32(actual length)
  const out = new Uint8Array(1 + maxLen + 4);
  out[0] = KEY_VAL_PREFIX_NOT_NULL;
  out.set(bytes, 1);
  putU32(out, 1 + maxLen, bytes.length);
  return out;
}

function parseUuid(text: string): Uint8Array | undefined {
  let s = text;
  if (s.length === 45 && s.slice(0, 9).toLowerCase() === "urn:uuid:") s = s.slice(9);
  else if (s.length === 38 && s.startsWith("{") && s.endsWith("}")) s = s.slice(1, 37);
  if (s.length === 36) {
    if (s[8] !== "-" || s[13] !== "-" || s[18] !== "-" || s[23] !== "-") return undefined;
    s = s.slice(0, 8) + s.slice(9, 13) + s.slice(14, 18) + s.slice(19, 23) + s.slice(24);
  }
  if (s.length !== 32 || !/^[0-9a-fA-F]{32}$/.test(s)) return undefined;
  return Uint8Array.from(Buffer.from(s, "hex"));
}

/**
 * Encodes one primary-key value as immudb stores it in a row key (`EncodeRawValueAsKey`, spec 4.7):
 * NULL → `0x20`; otherwise `0x80 ‖ payload` with VARCHAR/BLOB zero-padded to `maxLen` plus `u32(len)`
 * (VARCHAR lengths are UTF-8 byte lengths), INTEGER/TIMESTAMP (nanoseconds) as sign-flipped big-endian
 * int64, BOOLEAN one byte, UUID 16 bytes, FLOAT order-preserving float64 bits. `maxLen` is the column
 * length the server reports (`ColLenById`).
 *
 * @throws InvalidArgumentError if `value` has a JavaScript type that does not fit `type` (or is NaN, an
 *   INTEGER outside int64, a malformed UUID, a TIMESTAMP outside the int64-nanosecond range);
 *   VerificationError `sql-row` if `maxLen` is not in `[1, 1024]`, is not 8 (INTEGER, TIMESTAMP) or 1
 *   (BOOLEAN), or the value is longer than `maxLen`.
 */
export function encodeSqlPrimaryKeyValue(
  value: SqlPrimaryKeyValue,
  type: SqlKeyType,
  maxLen: number,
): Uint8Array {
  requireInt(maxLen, 1, SQL_MAX_KEY_LEN, "SQL column length", "sql-row");
  if (value === null || value === undefined) return Uint8Array.of(KEY_VAL_PREFIX_NULL);
  switch (type) {
    case "VARCHAR":
      if (typeof value !== "string") throw wrongType(value, type);
      return encodeVariable(textEncoder.encode(value), maxLen, type);
    case "BLOB":
      if (!(value instanceof Uint8Array)) throw wrongType(value, type);
      return encodeVariable(value, maxLen, type);
    case "INTEGER": {
      fixedLen(type, maxLen, 8);
      let v: bigint;
      if (typeof value === "bigint") v = value;
      else if (typeof value === "number" && Number.isSafeInteger(value)) v = BigInt(value);
      else throw wrongType(value, type);
      if (v < MIN_I64 || v > MAX_I64) throw new InvalidArgumentError(`INTEGER value ${v} is outside int64`);
      return encodeSigned64(v);
    }
    case "BOOLEAN":
      fixedLen(type, maxLen, 1);
      if (typeof value !== "boolean") throw wrongType(value, type);
      return Uint8Array.of(KEY_VAL_PREFIX_NOT_NULL, value ? 1 : 0);
    case "UUID": {
      let raw: Uint8Array | undefined;
      if (value instanceof Uint8Array) raw = value.length === 16 ? value : undefined;
      else if (typeof value === "string") raw = parseUuid(value);
      else throw wrongType(value, type);
      if (raw === undefined) throw new InvalidArgumentError(`invalid UUID ${describe(value)}`);
      const out = new Uint8Array(17);
      out[0] = KEY_VAL_PREFIX_NOT_NULL;
      out.set(raw, 1);
      return out;
    }
    case "TIMESTAMP": {
      fixedLen(type, maxLen, 8);
      let micros: bigint;
      if (typeof value === "bigint") micros = value;
      else if (value instanceof Date && !Number.isNaN(value.getTime()))
        micros = BigInt(value.getTime()) * 1000n;
      else throw wrongType(value, type);
      const nanos = micros * 1000n;
      if (nanos < MIN_I64 || nanos > MAX_I64) {
        throw new InvalidArgumentError(`TIMESTAMP ${micros}µs is outside the int64 nanosecond range`);
      }
      return encodeSigned64(nanos);
    }
    case "FLOAT": {
      if (typeof value !== "number" || Number.isNaN(value)) throw wrongType(value, type);
      const out = new Uint8Array(9);
      new DataView(out.buffer).setFloat64(1, value, false);
      out[0] = KEY_VAL_PREFIX_NOT_NULL;
      if ((out[1] ?? 0) >= 0x80) {
        for (let k = 1; k < 9; k++) out[k] = 0xff - (out[k] ?? 0);
      } else {
        out[1] = (out[1] ?? 0) + 0x80;
      }
      return out;
    }
    default:
      throw new InvalidArgumentError(`unsupported SQL primary-key type ${String(type)}`);
  }
}

/**
 * The key under which a SQL row is stored and hashed (spec 4.7):
 * `0x02 ‖ "R." ‖ u32(databaseId) ‖ u32(tableId) ‖ u32(0) ‖ encodedPkValues…`, with `databaseId` as the
 * server reports it (1 since immudb 1.5) and the primary-key values encoded by
 * {@link encodeSqlPrimaryKeyValue} in primary-key column order.
 *
 * @throws VerificationError `sql-row` if an id is not a uint32 or a pk value is not a Uint8Array.
 */
export function sqlRowKey(
  databaseId: number,
  tableId: number,
  encodedPkValues: readonly Uint8Array[],
): Uint8Array {
  requireInt(databaseId, 0, 0xffff_ffff, "SQL database id", "sql-row");
  requireInt(tableId, 0, 0xffff_ffff, "SQL table id", "sql-row");
  if (!Array.isArray(encodedPkValues)) {
    throw new VerificationError("sql-row", "encoded primary-key values must be an array");
  }
  let size = 3 + 12;
  for (const pk of encodedPkValues) size += requireBytes(pk, "encoded primary-key value", "sql-row").length;
  const out = new Uint8Array(size);
  out[0] = SQL_KEY_PREFIX;
  out[1] = 0x52; // 'R'
  out[2] = 0x2e; // '.'
  putU32(out, 3, databaseId);
  putU32(out, 7, tableId);
  putU32(out, 11, 0); // primary index id
  let off = 15;
  for (const pk of encodedPkValues) {
    out.set(pk, off);
    off += pk.length;
  }
  return out;
}

/**
 * Decodes a stored SQL row value (`u32(count)` then `count × (u32(colId) ‖ u32(len) ‖ bytes)`) into a map
 * from column id to the raw value bytes (views into `value`, not copies). Interpreting the bytes by column
 * type, skipping dropped columns and comparing with the caller's row is the client layer's job.
 *
 * @throws VerificationError `sql-row` if the value is truncated, a length overruns it, a column id repeats,
 *   or bytes follow the last column (stricter than Go's client decoder, which ignores trailing bytes and
 *   lets a repeated column overwrite an earlier one; immudb never writes either).
 */
export function decodeSqlRowValue(value: Uint8Array): Map<number, Uint8Array> {
  requireBytes(value, "SQL row value", "sql-row");
  const end = value.length;
  if (end < 4) throw new VerificationError("sql-row", "SQL row value is truncated (no column count)");
  const count = getU32(value, 0);
  let off = 4;
  const columns = new Map<number, Uint8Array>();
  for (let k = 0; k < count; k++) {
    if (end - off < 8) throw new VerificationError("sql-row", `SQL row value is truncated at column ${k}`);
    const colId = getU32(value, off);
    const len = getU32(value, off + 4);
    off += 8;
    if (len > end - off) {
      throw new VerificationError("sql-row", `SQL row column ${colId} length ${len} overruns the value`);
    }
    if (columns.has(colId)) throw new VerificationError("sql-row", `SQL row column ${colId} appears twice`);
    columns.set(colId, value.subarray(off, off + len));
    off += len;
  }
  if (off !== end) {
    throw new VerificationError("sql-row", `SQL row value has ${end - off} trailing bytes`);
  }
  return columns;
}
