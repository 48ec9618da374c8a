/**
 * SQL: statements and queries with named, typed parameters; results decoded to JavaScript values; streamed
 * query results (any number of rows); interactive transactions; and the value codecs that the verified row
 * read (`Verifier.sqlGet`) shares.
 *
 * Type mapping (parameters → wire → column, and column → JavaScript):
 *
 * | SQL type  | parameter (JS)                                   | wire `SQLValue` | result (JS)                 |
 * |-----------|--------------------------------------------------|-----------------|-----------------------------|
 * | INTEGER   | `bigint`, `sql.int(n)`                           | `n` (int64)     | `bigint`                    |
 * | FLOAT     | `number`, `sql.float(x)`                         | `f` (double)    | `number`                    |
 * | VARCHAR   | `string`                                         | `s`             | `string`                    |
 * | BOOLEAN   | `boolean`                                        | `b`             | `boolean`                   |
 * | BLOB      | `Uint8Array` (a `Buffer` too)                    | `bs`            | `Uint8Array`                |
 * | TIMESTAMP | `Date`, `SqlTimestamp`, `sql.timestamp(µs)`      | `ts` (µs)       | `SqlTimestamp` (a `Date`)   |
 * | UUID      | `sql.uuid(text or 16 bytes)`                     | `s` (canonical) | `string` (canonical)        |
 * | JSON      | `sql.json(value)`                                | `s` (JSON text) | parsed value                |
 * | NULL      | `null`                                           | `null`          | `null`                      |
 *
 * immudb's wire format has no UUID or JSON case: the server sends both as text (`s`) and converts text
 * parameters to the column's type on INSERT/UPDATE. In a WHERE clause it does not: compare with a cast,
 * e.g. `WHERE id = @id::UUID` (immudb 1.11.1 answers "values are not comparable" otherwise).
 *
 * This module must not import `context.js` or `verified.js` at run time (`verified.ts` imports it).
 *
 * @module
 */
import type { DescMethodServerStreaming, MessageInitShape } from "@bufbuild/protobuf";
import { NullValue } from "@bufbuild/protobuf/wkt";
import type { ClientContext } from "../context.js";
import { txHeaderFromProto } from "../convert/index.js";
import { ImmudbError, InvalidArgumentError, VerificationError } from "../errors.js";
import {
  type CommittedSQLTx,
  ImmuService,
  type NamedParamSchema,
  type Row,
  type SQLQueryRequestSchema,
  type SQLQueryResult,
  type SQLQueryResultSchema,
  type SQLValue,
  TxMode,
} from "../gen/schema_pb.js";
import { describe, toUint64 } from "../internal/bytes.js";
import type { CallOptions, TxHeader } from "../types.js";
import type { SqlKeyType, SqlPrimaryKeyValue } from "../verify/index.js";

// ---------------------------------------------------------------------------------------------------------
// Values

const MIN_I64 = -(2n ** 63n);
const MAX_I64 = 2n ** 63n - 1n;
const textDecoder = new TextDecoder();

/**
 * A TIMESTAMP value: a `Date` (millisecond precision, UTC) that also carries the exact microseconds immudb
 * stores. Use it as a parameter to send the microseconds back unchanged. Treat it as immutable: the `Date`
 * setters do not update {@link SqlTimestamp.micros}. Outside the `Date` range (±8.64e15 ms) the `Date` part is
 * invalid, `micros` still holds the value.
 */
export class SqlTimestamp extends Date {
  /** Microseconds since the Unix epoch (UTC), exactly as stored. */
  readonly micros: bigint;

  /** @param micros - microseconds since the Unix epoch (int64). */
  constructor(micros: bigint) {
    if (typeof micros !== "bigint" || micros < MIN_I64 || micros > MAX_I64) {
      throw new InvalidArgumentError("a TIMESTAMP must be a bigint of microseconds within int64");
    }
    const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
    super(ms >= -8_640_000_000_000_000n && ms <= 8_640_000_000_000_000n ? Number(ms) : Number.NaN);
    this.micros = micros;
  }

  /** The timestamp of a `Date` (whole milliseconds). */
  static fromDate(date: Date): SqlTimestamp {
    return new SqlTimestamp(dateMicros(date, "date"));
  }
}

function dateMicros(d: Date, what: string): bigint {
  if (d instanceof SqlTimestamp) return d.micros;
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`${what} is an invalid Date`);
  return BigInt(ms) * 1000n;
}

/** A value parsed from a JSON column. */
export type SqlJsonValue =
  | null
  | boolean
  | number
  | string
  | readonly SqlJsonValue[]
  | { readonly [key: string]: SqlJsonValue };

/**
 * A value read from SQL: `null`, `bigint` (INTEGER), `number` (FLOAT), `string` (VARCHAR, UUID), `boolean`,
 * `Uint8Array` (BLOB), {@link SqlTimestamp} (TIMESTAMP), or a parsed JSON value (JSON column).
 */
export type SqlValue = SqlJsonValue | bigint | Uint8Array | SqlTimestamp;

/** @internal A wire `SQLValue` (one case of its oneof). */
export type SqlWireValue = Exclude<SQLValue["value"], { case: undefined }>;

/** The SQL type a {@link SqlTypedParam} was made for. */
export type SqlParamType = "INTEGER" | "FLOAT" | "TIMESTAMP" | "UUID" | "JSON";

/**
 * A parameter with an explicit SQL type, made by the {@link sql} helpers (`sql.int(5)`, …). Checked when it is
 * made, so a bad value throws there, long before any RPC.
 */
export class SqlTypedParam {
  /** The SQL type it was made for. */
  readonly type: SqlParamType;
  /** @internal The wire value. */
  readonly wire: SqlWireValue;

  private constructor(type: SqlParamType, wire: SqlWireValue) {
    this.type = type;
    this.wire = wire;
  }

  /** @internal */
  static of(type: SqlParamType, wire: SqlWireValue): SqlTypedParam {
    return new SqlTypedParam(type, wire);
  }
}

/**
 * A SQL parameter: `null`, `bigint` (INTEGER), `number` (FLOAT), `string` (VARCHAR), `boolean`, `Uint8Array`
 * (BLOB), `Date` (TIMESTAMP; a {@link SqlTimestamp} keeps its microseconds), or a {@link SqlTypedParam} from
 * the {@link sql} helpers. Anything else (`undefined`, objects, functions, symbols) is rejected before any RPC.
 */
export type SqlParam = null | bigint | number | string | boolean | Uint8Array | Date | SqlTypedParam;

/** Named parameters: `{ id: 5n }` fills `@id`. Names are case-insensitive; `$1`/`?` are `param1`, … */
export type SqlParams = Readonly<Record<string, SqlParam>>;

function int64(v: unknown, what: string): bigint {
  let n: bigint;
  if (typeof v === "bigint") n = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
  else throw new InvalidArgumentError(`${what} must be a bigint or a safe integer, got ${describe(v)}`);
  if (n < MIN_I64 || n > MAX_I64) throw new InvalidArgumentError(`${what} is outside int64`);
  return n;
}

const UUID_HEX = /^[0-9a-f]{32}$/;

/** Canonical lowercase text of a UUID given as text (with or without dashes, braces, `urn:uuid:`) or 16 bytes. */
function canonicalUuid(v: unknown): string | undefined {
  let hex: string;
  if (v instanceof Uint8Array) {
    if (v.length !== 16) return undefined;
    hex = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
  } else if (typeof v === "string") {
    let s = v.toLowerCase();
    if (s.startsWith("urn:uuid:")) s = s.slice(9);
    else if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1);
    if (s.length === 36) {
      if (s[8] !== "-" || s[13] !== "-" || s[18] !== "-" || s[23] !== "-") return undefined;
      s = s.replaceAll("-", "");
    }
    if (!UUID_HEX.test(s)) return undefined;
    hex = s;
  } else return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Typed parameter helpers, for when the JavaScript type does not say it (a `number` is sent as FLOAT):
 *
 * ```ts
 * await client.sqlExec("INSERT INTO t (id, score, at, ref, doc) VALUES (@id, @score, @at, @ref, @doc)", {
 *   id: sql.int(5), score: 1, at: sql.timestamp(1700000000123456n), ref: sql.uuid(crypto.randomUUID()),
 *   doc: sql.json({ tags: ["a"] }),
 * });
 * ```
 */
export const sql = {
  /** INTEGER from a `bigint` or a safe-integer `number`. */
  int(value: bigint | number): SqlTypedParam {
    return SqlTypedParam.of("INTEGER", { case: "n", value: int64(value, "sql.int value") });
  },
  /** FLOAT (float64) from a `number`. */
  float(value: number): SqlTypedParam {
    if (typeof value !== "number") {
      throw new InvalidArgumentError(`sql.float value must be a number, got ${describe(value)}`);
    }
    return SqlTypedParam.of("FLOAT", { case: "f", value });
  },
  /** TIMESTAMP from microseconds since the Unix epoch (`bigint`), or a `Date`. */
  timestamp(value: bigint | Date): SqlTypedParam {
    if (typeof value !== "bigint" && !(value instanceof Date)) {
      throw new InvalidArgumentError(
        `sql.timestamp takes a bigint of microseconds or a Date, got ${describe(value)}`,
      );
    }
    const micros =
      value instanceof Date ? dateMicros(value, "sql.timestamp value") : int64(value, "sql.timestamp value");
    return SqlTypedParam.of("TIMESTAMP", { case: "ts", value: micros });
  },
  /** UUID from its text form or its 16 bytes; sent as canonical lowercase text. */
  uuid(value: string | Uint8Array): SqlTypedParam {
    const text = canonicalUuid(value);
    if (text === undefined) throw new InvalidArgumentError(`sql.uuid: invalid UUID (${describe(value)})`);
    return SqlTypedParam.of("UUID", { case: "s", value: text });
  },
  /** JSON from any value `JSON.stringify` accepts (sent as JSON text). */
  json(value: unknown): SqlTypedParam {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new InvalidArgumentError(`sql.json: cannot serialise the value: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (text === undefined) throw new InvalidArgumentError(`sql.json: ${describe(value)} has no JSON form`);
    return SqlTypedParam.of("JSON", { case: "s", value: text });
  },
} as const;

/** Converts one parameter to its wire value. */
function paramToWire(v: unknown, what: string): SqlWireValue {
  if (v === null) return { case: "null", value: NullValue.NULL_VALUE };
  switch (typeof v) {
    case "bigint":
      return { case: "n", value: int64(v, what) };
    case "number":
      return { case: "f", value: v };
    case "string":
      return { case: "s", value: v };
    case "boolean":
      return { case: "b", value: v };
    default:
      break;
  }
  if (v instanceof Uint8Array) return { case: "bs", value: v };
  if (v instanceof Date) return { case: "ts", value: dateMicros(v, what) };
  if (v instanceof SqlTypedParam) return v.wire;
  throw new InvalidArgumentError(
    `${what} is ${describe(v)}; use null, bigint, number, string, boolean, Uint8Array, Date or a sql.* helper`,
  );
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks and converts named parameters; throws InvalidArgumentError (before any RPC) on anything off. */
export function toSqlParams(params: unknown): MessageInitShape<typeof NamedParamSchema>[] {
  if (params === undefined || params === null) return [];
  if (typeof params !== "object" || Array.isArray(params) || params instanceof Map) {
    throw new InvalidArgumentError(`params must be an object of named parameters, got ${describe(params)}`);
  }
  const out: MessageInitShape<typeof NamedParamSchema>[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(params)) {
    if (name.startsWith("@")) {
      throw new InvalidArgumentError(`parameter "${name}": write the name without "@"`);
    }
    if (!PARAM_NAME.test(name)) throw new InvalidArgumentError(`invalid parameter name "${name}"`);
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      throw new InvalidArgumentError(`parameter "${name}" is given twice (names are case-insensitive)`);
    }
    seen.add(lower);
    out.push({ name, value: { value: paramToWire(value, `parameter "${name}"`) } });
  }
  return out;
}

function checkSql(text: unknown): string {
  if (typeof text !== "string" || text.trim() === "") {
    throw new InvalidArgumentError(`sql must be a non-empty string, got ${describe(text)}`);
  }
  return text;
}

function parseJson(text: string, column: string): SqlJsonValue {
  try {
    return JSON.parse(text) as SqlJsonValue;
  } catch (err) {
    throw new ImmudbError("SERVER", `column ${column}: the server sent invalid JSON`, { cause: err });
  }
}

/** Decodes a wire value of a column of type `type` (`JSON` text is parsed). */
function wireToValue(v: SQLValue | undefined, type: string, column: string): SqlValue {
  const w = v?.value;
  switch (w?.case) {
    case undefined:
    case "null":
      return null;
    case "n":
      return w.value;
    case "s":
      return type === "JSON" ? parseJson(w.value, column) : w.value;
    case "b":
      return w.value;
    case "bs":
      return w.value;
    case "ts":
      return new SqlTimestamp(w.value);
    case "f":
      return w.value;
    default:
      throw new ImmudbError("SERVER", `column ${column}: unknown SQL value kind`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rows

/** A result column. */
export interface SqlColumn {
  /** Column name or alias, e.g. `id` (immudb lowercases identifiers). */
  readonly name: string;
  /** The table (or alias) it comes from, e.g. `t`; empty when the server does not say. */
  readonly table: string;
  /** SQL type: `INTEGER`, `VARCHAR`, `BLOB`, `BOOLEAN`, `TIMESTAMP`, `FLOAT`, `UUID`, `JSON`, or `ANY`. */
  readonly type: string;
  /** The server's selector, e.g. `(t.id)`. */
  readonly selector: string;
}

const SELECTOR = /^([A-Za-z_]*)\((?:(.*)\.)?([^.()]*)\)$/;

function columnOf(selector: string, type: string): SqlColumn {
  const m = SELECTOR.exec(selector);
  if (!m) return { name: selector, table: "", type, selector };
  const agg = m[1] ?? "";
  const col = m[3] ?? "";
  return { name: agg ? `${agg.toLowerCase()}(${col})` : col, table: m[2] ?? "", type, selector };
}

/** Looks up column positions by name; shared by every row of one result. */
class ColumnIndex {
  readonly columns: readonly SqlColumn[];
  readonly #byName = new Map<string, number>();
  readonly #ambiguous = new Set<string>();

  constructor(columns: readonly SqlColumn[]) {
    this.columns = columns;
    const counts = new Map<string, number>();
    for (const c of columns) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
    columns.forEach((c, i) => {
      if ((counts.get(c.name) ?? 0) > 1) this.#ambiguous.add(c.name);
      else this.#byName.set(c.name, i);
    });
    columns.forEach((c, i) => {
      if (c.table) this.#byName.set(`${c.table}.${c.name}`, i);
      this.#byName.set(c.selector, i);
    });
  }

  indexOf(name: string): number {
    const i = this.#byName.get(name) ?? this.#byName.get(name.toLowerCase());
    if (i !== undefined) return i;
    if (this.#ambiguous.has(name) || this.#ambiguous.has(name.toLowerCase())) {
      throw new InvalidArgumentError(`column "${name}" is ambiguous; use "table.${name}"`);
    }
    return -1;
  }

  /** Keys of `toObject()`: the name, or `table.name` when the name is ambiguous. */
  keys(): string[] {
    return this.columns.map((c) => (this.#ambiguous.has(c.name) ? `${c.table}.${c.name}` : c.name));
  }
}

/**
 * One result row: values by position (`row.values[0]`) or by column name (`row.get("id")`, also
 * `row.get("t.id")` when a join makes names ambiguous).
 */
export class SqlRow implements Iterable<SqlValue> {
  readonly #index: ColumnIndex;
  /** Values in column order. */
  readonly values: readonly SqlValue[];

  /** @internal */
  constructor(index: ColumnIndex, values: readonly SqlValue[]) {
    this.#index = index;
    this.values = values;
  }

  /** The result's columns. */
  get columns(): readonly SqlColumn[] {
    return this.#index.columns;
  }

  /**
   * The value of a column, by name (`"id"`, `"t.id"` or `"(t.id)"`) or position.
   * @throws InvalidArgumentError for an unknown or ambiguous column.
   */
  get(column: string | number): SqlValue {
    const i = typeof column === "number" ? column : this.#index.indexOf(column);
    if (!Number.isInteger(i) || i < 0 || i >= this.values.length) {
      throw new InvalidArgumentError(
        `no column ${JSON.stringify(column)}; columns: ${this.#index.columns.map((c) => c.name).join(", ")}`,
      );
    }
    return this.values[i] as SqlValue;
  }

  /** Whether the row has a column of that name. */
  has(column: string): boolean {
    try {
      return this.#index.indexOf(column) >= 0;
    } catch {
      return true;
    }
  }

  /** A plain object keyed by column name (`table.name` for names that appear twice). */
  toObject(): Record<string, SqlValue> {
    const out: Record<string, SqlValue> = {};
    this.#index.keys().forEach((k, i) => {
      out[k] = this.values[i] as SqlValue;
    });
    return out;
  }

  [Symbol.iterator](): Iterator<SqlValue> {
    return this.values[Symbol.iterator]();
  }
}

/** Result of a query: columns and every row. */
export interface SqlQueryResult {
  readonly columns: readonly SqlColumn[];
  readonly rows: readonly SqlRow[];
}

/** Builds rows from streamed `SQLQueryResult` messages (columns arrive with the first message only). */
class RowDecoder {
  #index: ColumnIndex | undefined;

  get columns(): readonly SqlColumn[] {
    return this.#index?.columns ?? [];
  }

  accept(msg: SQLQueryResult): SqlRow[] {
    if (!this.#index && (msg.columns.length > 0 || msg.rows.length > 0)) {
      this.#index = new ColumnIndex(
        msg.columns.length > 0
          ? msg.columns.map((c) => columnOf(c.name, c.type))
          : (msg.rows[0]?.columns ?? []).map((n) => columnOf(n, "ANY")),
      );
    }
    const index = this.#index;
    if (!index) return [];
    return msg.rows.map((r) => decodeRow(index, r));
  }
}

function decodeRow(index: ColumnIndex, r: Row): SqlRow {
  const cols = index.columns;
  if (r.values.length !== cols.length) {
    throw new ImmudbError("SERVER", `a row has ${r.values.length} values for ${cols.length} columns`);
  }
  const values = new Array<SqlValue>(cols.length);
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i] as SqlColumn;
    values[i] = wireToValue(r.values[i], c.type, c.name);
  }
  return new SqlRow(index, values);
}

// ---------------------------------------------------------------------------------------------------------
// Operations without a transaction

/** One transaction committed by a SQL statement. */
export interface SqlCommittedTx {
  /** Its header; absent when nothing was written (e.g. an empty or read-only transaction). */
  readonly header: TxHeader | undefined;
  /** Rows inserted, updated or deleted. */
  readonly updatedRows: number;
  /** Per table, the last AUTO_INCREMENT primary key inserted. */
  readonly lastInsertedPks: Readonly<Record<string, bigint>>;
  /** Per table, the first AUTO_INCREMENT primary key inserted (not reported by interactive-transaction commits). */
  readonly firstInsertedPks: Readonly<Record<string, bigint>>;
}

/** Result of `sqlExec`. */
export interface SqlExecResult {
  /** The transactions committed, one per transaction the statements ran in (usually one). */
  readonly txs: readonly SqlCommittedTx[];
  /** Whether a transaction is still open on the server after the statements (immudb 1.11 rejects that). */
  readonly ongoingTx: boolean;
}

/** Options of `sqlExec`. */
export interface SqlExecOptions extends CallOptions {
  /** Sent as the request's `noWait` ("do not wait for the index"); immudb 1.11 ignores it. */
  readonly noWait?: boolean;
}

function pkMap(m: { [key: string]: SQLValue }): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [table, v] of Object.entries(m)) {
    if (v.value.case !== "n") {
      throw new ImmudbError("SERVER", `inserted primary key of ${table} is not an INTEGER`);
    }
    out[table] = v.value.value;
  }
  return out;
}

function committedFromProto(c: CommittedSQLTx): SqlCommittedTx {
  return {
    header: c.header ? txHeaderFromProto(c.header) : undefined,
    updatedRows: c.updatedRows,
    lastInsertedPks: pkMap(c.lastInsertedPKs),
    firstInsertedPks: pkMap(c.firstInsertedPKs),
  };
}

/** `SQLExec`. Retried once on a lost session (the server runs nothing before it checks the session). */
export async function sqlExec(
  ctx: ClientContext,
  text: unknown,
  params: unknown,
  options: SqlExecOptions | undefined,
): Promise<SqlExecResult> {
  const req = { sql: checkSql(text), params: toSqlParams(params), noWait: options?.noWait ?? false };
  const res = await ctx.unary(ImmuService.method.sQLExec, req, options);
  return { txs: res.txs.map(committedFromProto), ongoingTx: res.ongoingTx };
}

type QueryMethod = DescMethodServerStreaming<typeof SQLQueryRequestSchema, typeof SQLQueryResultSchema>;
type StreamCall = (
  method: QueryMethod,
  input: MessageInitShape<typeof SQLQueryRequestSchema>,
) => AsyncIterable<SQLQueryResult>;

/**
 * Runs a query stream and decodes its rows. Outside a transaction, a session lost before the first answer is
 * reopened and the query sent once more (nothing ran). Leaving early cancels the call.
 */
async function* streamRows(
  call: StreamCall,
  method: QueryMethod,
  input: MessageInitShape<typeof SQLQueryRequestSchema>,
  retryLostSession: boolean,
  decoder: RowDecoder,
): AsyncGenerator<SqlRow, void, undefined> {
  for (let attempt = 0; ; attempt++) {
    const it = call(method, input)[Symbol.asyncIterator]();
    let finished = false;
    try {
      let r: IteratorResult<SQLQueryResult>;
      try {
        r = await it.next();
      } catch (err) {
        finished = true;
        if (
          retryLostSession &&
          attempt === 0 &&
          err instanceof ImmudbError &&
          err.code === "SESSION_NOT_FOUND"
        ) {
          continue;
        }
        throw err;
      }
      while (!r.done) {
        for (const row of decoder.accept(r.value)) yield row;
        r = await it.next();
      }
      finished = true;
      return;
    } finally {
      if (!finished) await it.return?.(undefined);
    }
  }
}

function queryInput(text: unknown, params: unknown): MessageInitShape<typeof SQLQueryRequestSchema> {
  return { sql: checkSql(text), params: toSqlParams(params), acceptStream: true };
}

async function collect(rows: AsyncIterable<SqlRow>, decoder: RowDecoder): Promise<SqlQueryResult> {
  const out: SqlRow[] = [];
  for await (const row of rows) out.push(row);
  return { columns: decoder.columns, rows: out };
}

/** `SQLQuery` with `acceptStream`, every batch collected. */
export async function sqlQuery(
  ctx: ClientContext,
  text: unknown,
  params: unknown,
  options: CallOptions | undefined,
): Promise<SqlQueryResult> {
  const input = queryInput(text, params);
  const decoder = new RowDecoder();
  const call: StreamCall = (m, i) => ctx.serverStream(m, i, options);
  return collect(streamRows(call, ImmuService.method.sQLQuery, input, true, decoder), decoder);
}

/**
 * `SQLQuery` with `acceptStream`, rows yielded as batches arrive. Parameters are checked now; the call starts
 * when iteration starts (each iteration runs the query again).
 */
export function sqlQueryIterable(
  ctx: ClientContext,
  text: unknown,
  params: unknown,
  options: CallOptions | undefined,
): AsyncIterable<SqlRow> {
  const input = queryInput(text, params);
  const call: StreamCall = (m, i) => ctx.serverStream(m, i, options);
  return {
    [Symbol.asyncIterator]: () =>
      streamRows(call, ImmuService.method.sQLQuery, input, true, new RowDecoder())[Symbol.asyncIterator](),
  };
}

/** `ListTables`: table names. */
export async function listTables(ctx: ClientContext, options: CallOptions | undefined): Promise<string[]> {
  const res = await ctx.unary(ImmuService.method.listTables, {}, options);
  return res.rows.map((r) => {
    const v = r.values[0]?.value;
    if (v?.case !== "s") throw new ImmudbError("SERVER", "ListTables sent a table name that is not text");
    return v.value;
  });
}

/** A column of a table, as `describeTable` reports it. */
export interface SqlColumnDescription {
  /** Column name. */
  readonly name: string;
  /** Base type, e.g. `VARCHAR`. */
  readonly type: string;
  /** Maximum length for VARCHAR/BLOB columns declared with one (`VARCHAR[64]`). */
  readonly maxLength: number | undefined;
  /** Whether NULL is allowed. */
  readonly nullable: boolean;
  /** Whether the column is (part of) the primary key. */
  readonly primaryKey: boolean;
  /** Whether the column is in an index (the primary key counts). */
  readonly indexed: boolean;
  /** Whether values are assigned automatically. */
  readonly autoIncrement: boolean;
  /** Whether the column has a unique index (the primary key counts). */
  readonly unique: boolean;
}

const TYPE_SPEC = /^([A-Z_]+)\s*[[(](\d+)[\])]$/;

/** `DescribeTable`, read by column name (not by position). */
export async function describeTable(
  ctx: ClientContext,
  table: unknown,
  options: CallOptions | undefined,
): Promise<SqlColumnDescription[]> {
  if (typeof table !== "string" || table === "") {
    throw new InvalidArgumentError(`table must be a non-empty string, got ${describe(table)}`);
  }
  const res = await ctx.unary(ImmuService.method.describeTable, { tableName: table }, options);
  const index = new ColumnIndex(
    res.columns.map((c) => ({ name: c.name.toLowerCase(), table: "", type: c.type, selector: c.name })),
  );
  const rows = res.rows.map((r) => decodeRow(index, r));
  const get = (row: SqlRow, col: string): SqlValue => (row.has(col) ? row.get(col) : null);
  return rows.map((row) => {
    const spec = String(get(row, "type") ?? "");
    const m = TYPE_SPEC.exec(spec);
    const idx = String(get(row, "index") ?? "");
    return {
      name: String(get(row, "column") ?? ""),
      type: m ? (m[1] as string) : spec,
      maxLength: m ? Number(m[2]) : undefined,
      nullable: get(row, "nullable") === true,
      primaryKey: idx === "PRIMARY KEY",
      indexed: idx === "PRIMARY KEY" || idx === "YES",
      autoIncrement: get(row, "auto_increment") === true,
      unique: get(row, "unique") === true,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Interactive transactions

/** Options of an interactive transaction. `timeoutMs`/`signal` apply to `NewTx` and `Commit`. */
export interface SqlTransactionOptions extends CallOptions {
  /** A read-only transaction (`TxMode.ReadOnly`): statements that write fail. Default read-write. */
  readonly readOnly?: boolean;
  /** Read from a snapshot that includes at least this transaction. */
  readonly snapshotMustIncludeTxId?: bigint;
  /** Reuse a snapshot not older than this many milliseconds. */
  readonly snapshotRenewalPeriodMs?: number;
  /** Skip the index-freshness check of MVCC (faster, may miss conflicts on unindexed writes). */
  readonly unsafeMvcc?: boolean;
}

/** What `transaction()` resolves to: the callback's value and the committed transaction. */
export interface SqlTransactionResult<T> {
  /** What the callback returned. */
  readonly result: T;
  /** The committed transaction (no header for read-only or empty transactions). */
  readonly committed: SqlCommittedTx;
}

/**
 * State of a {@link SqlTransaction}: `failed` after a commit that failed (nothing was written, unless the
 * failure was a timeout or a broken connection: then the outcome is unknown).
 */
export type SqlTransactionState = "active" | "committed" | "rolledBack" | "failed";

const EMPTY_COMMIT: SqlCommittedTx = Object.freeze({
  header: undefined,
  updatedRows: 0,
  lastInsertedPks: Object.freeze({}),
  firstInsertedPks: Object.freeze({}),
});

/**
 * An interactive SQL transaction (NewTx … Commit/Rollback), bound to the client's current session. Only SQL
 * runs inside it: key-value calls on the client autocommit as usual.
 *
 * If the session is lost (server restart, session timeout), the server discards the transaction: calls then
 * reject with an `ImmudbError` of code `SESSION_NOT_FOUND` and nothing is retried. A statement that fails also
 * makes the server discard the transaction; a later `commit()` then rejects with "no transaction found".
 *
 * `await using tx = await client.beginTransaction()` rolls back on scope exit unless committed.
 */
export class SqlTransaction implements AsyncDisposable {
  readonly #ctx: ClientContext;
  readonly #sessionId: string;
  /** The server's transaction id. */
  readonly id: string;
  /** Whether it was opened read-only. */
  readonly readOnly: boolean;
  #state: SqlTransactionState = "active";
  #committed: SqlCommittedTx | undefined;

  /** @internal Use `client.beginTransaction()`. */
  constructor(ctx: ClientContext, sessionId: string, id: string, readOnly: boolean) {
    this.#ctx = ctx;
    this.#sessionId = sessionId;
    this.id = id;
    this.readOnly = readOnly;
  }

  /** `active` until `commit()` or `rollback()` is called. */
  get state(): SqlTransactionState {
    return this.#state;
  }

  #checkActive(what: string): void {
    if (this.#state !== "active") {
      throw new InvalidArgumentError(`cannot ${what}: the transaction is already ${this.#stateText()}`);
    }
  }

  #stateText(): string {
    return { active: "active", committed: "committed", rolledBack: "rolled back", failed: "failed" }[
      this.#state
    ];
  }

  #lost(err: unknown): unknown {
    if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") {
      return new ImmudbError(
        "SESSION_NOT_FOUND",
        `the session of SQL transaction ${this.id} was lost (server restart or session timeout); the server ` +
          "discarded the transaction and nothing of it was committed",
        { cause: err },
      );
    }
    return err;
  }

  get #metadata(): Record<string, string> {
    return { transactionid: this.id };
  }

  /** Runs statements in the transaction (`TxSQLExec`). */
  async exec(text: string, params?: SqlParams, options?: SqlExecOptions): Promise<void> {
    this.#checkActive("exec");
    const req = { sql: checkSql(text), params: toSqlParams(params), noWait: options?.noWait ?? false };
    try {
      await this.#ctx.pinnedUnary(
        this.#sessionId,
        this.#metadata,
        ImmuService.method.txSQLExec,
        req,
        options,
      );
    } catch (err) {
      throw this.#lost(err);
    }
  }

  /** Runs a query in the transaction (`TxSQLQuery`, streamed), collecting every row. */
  async query(text: string, params?: SqlParams, options?: CallOptions): Promise<SqlQueryResult> {
    const decoder = new RowDecoder();
    return collect(this.#rows(text, params, options, decoder), decoder);
  }

  /** Runs a query in the transaction, yielding rows as batches arrive. Leaving the loop early cancels the call. */
  queryIterable(text: string, params?: SqlParams, options?: CallOptions): AsyncIterable<SqlRow> {
    this.#checkActive("query");
    const input = queryInput(text, params);
    return {
      [Symbol.asyncIterator]: () => this.#stream(input, options, new RowDecoder())[Symbol.asyncIterator](),
    };
  }

  #rows(
    text: string,
    params: SqlParams | undefined,
    options: CallOptions | undefined,
    decoder: RowDecoder,
  ): AsyncGenerator<SqlRow, void, undefined> {
    this.#checkActive("query");
    return this.#stream(queryInput(text, params), options, decoder);
  }

  async *#stream(
    input: MessageInitShape<typeof SQLQueryRequestSchema>,
    options: CallOptions | undefined,
    decoder: RowDecoder,
  ): AsyncGenerator<SqlRow, void, undefined> {
    this.#checkActive("query");
    const call: StreamCall = (m, i) =>
      this.#ctx.pinnedServerStream(this.#sessionId, this.#metadata, m, i, options);
    try {
      yield* streamRows(call, ImmuService.method.txSQLQuery, input, false, decoder);
    } catch (err) {
      throw this.#lost(err);
    }
  }

  /**
   * Commits (`Commit`). A read-only transaction is closed with `Rollback` instead (immudb refuses to commit
   * one) and reports no header. After a failed commit the transaction is gone: nothing of it was written,
   * except when the outcome is unknown (timeout, connection loss during the call).
   */
  async commit(options?: CallOptions): Promise<SqlCommittedTx> {
    this.#checkActive("commit");
    if (this.readOnly) {
      await this.rollback(options);
      this.#state = "committed";
      this.#committed = EMPTY_COMMIT;
      return EMPTY_COMMIT;
    }
    this.#state = "failed";
    let res: CommittedSQLTx;
    try {
      res = await this.#ctx.pinnedUnary(
        this.#sessionId,
        this.#metadata,
        ImmuService.method.commit,
        {},
        options,
      );
    } catch (err) {
      throw this.#lost(err);
    }
    this.#state = "committed";
    this.#committed = committedFromProto(res);
    return this.#committed;
  }

  /** @internal What `commit()` returned. */
  get committed(): SqlCommittedTx | undefined {
    return this.#committed;
  }

  /**
   * Rolls back (`Rollback`). Resolves too when the server no longer has the transaction (it discards it after
   * a failed statement, or with a lost session): either way nothing of it is committed.
   */
  async rollback(options?: CallOptions): Promise<void> {
    this.#checkActive("roll back");
    this.#state = "rolledBack";
    try {
      await this.#ctx.pinnedUnary(this.#sessionId, this.#metadata, ImmuService.method.rollback, {}, options);
    } catch (err) {
      if (err instanceof ImmudbError && (err.code === "SESSION_NOT_FOUND" || isNoTransaction(err))) return;
      throw err;
    }
  }

  /** Rolls back unless committed or rolled back already. Never throws for a transaction that is already gone. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state === "active") await this.rollback({ timeoutMs: this.#ctx.options.timeoutMs });
  }
}

function isNoTransaction(err: ImmudbError): boolean {
  return err.message.endsWith("no transaction found");
}

/** `NewTx` in the current session. Retried once on a lost session (nothing was opened). */
export async function beginTransaction(
  ctx: ClientContext,
  options: SqlTransactionOptions | undefined,
): Promise<SqlTransaction> {
  const readOnly = options?.readOnly ?? false;
  if (typeof readOnly !== "boolean") throw new InvalidArgumentError("readOnly must be a boolean");
  const req: MessageInitShape<typeof ImmuService.method.newTx.input> = {
    mode: readOnly ? TxMode.ReadOnly : TxMode.ReadWrite,
    unsafeMVCC: options?.unsafeMvcc ?? false,
  };
  if (options?.snapshotMustIncludeTxId !== undefined) {
    req.snapshotMustIncludeTxID = {
      value: toUint64(options.snapshotMustIncludeTxId, "snapshotMustIncludeTxId"),
    };
  }
  if (options?.snapshotRenewalPeriodMs !== undefined) {
    const ms = options.snapshotRenewalPeriodMs;
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new InvalidArgumentError("snapshotRenewalPeriodMs must be a non-negative integer");
    }
    req.snapshotRenewalPeriod = { value: BigInt(ms) };
  }
  for (let attempt = 0; ; attempt++) {
    const s = await ctx.sessions.session();
    try {
      const res = await ctx.pinnedUnary(s.id, {}, ImmuService.method.newTx, req, options);
      return new SqlTransaction(ctx, s.id, res.transactionID, readOnly);
    } catch (err) {
      if (attempt === 0 && err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") continue;
      throw err;
    }
  }
}

/**
 * Runs `fn` in a transaction: commits when it resolves, rolls back when it throws and rethrows its error. If
 * the rollback fails too, its error is attached to the rethrown error as `rollbackError`.
 */
export async function runTransaction<T>(
  ctx: ClientContext,
  fn: (tx: SqlTransaction) => Promise<T> | T,
  options: SqlTransactionOptions | undefined,
): Promise<SqlTransactionResult<T>> {
  if (typeof fn !== "function") throw new InvalidArgumentError("transaction() needs a callback");
  const tx = await beginTransaction(ctx, options);
  let result: T;
  try {
    result = await fn(tx);
  } catch (err) {
    if (tx.state === "active") {
      try {
        await tx.rollback({ timeoutMs: ctx.options.timeoutMs });
      } catch (rollbackError) {
        ctx.options.logger.warn(
          `immudb-ts: rollback of SQL transaction ${tx.id} failed: ${(rollbackError as Error).message}`,
        );
        if (typeof err === "object" && err !== null && Object.isExtensible(err)) {
          Object.defineProperty(err, "rollbackError", { value: rollbackError, configurable: true });
        }
      }
    }
    throw err;
  }
  if (tx.state === "committed" && tx.committed) return { result, committed: tx.committed };
  if (tx.state !== "active") {
    throw new InvalidArgumentError(
      `the transaction callback left the transaction ${tx.state}; throw from the callback to roll back`,
    );
  }
  const committed = await tx.commit(options);
  return { result, committed };
}

// ---------------------------------------------------------------------------------------------------------
// Verified row read (shared with Verifier.sqlGet)

/** A row read with `verifiedSqlGet`, proven to be in the trusted history. */
export interface VerifiedSqlRow {
  /** The transaction that wrote this version of the row. */
  readonly tx: bigint;
  /** That transaction's proven header. */
  readonly header: TxHeader;
  /** The row: every current column of the table, in column-id order (`null` where no value is stored). */
  readonly row: SqlRow;
}

/** Options of `verifiedSqlGet`. */
export interface VerifiedSqlGetOptions extends CallOptions {
  /** Read the version of the row written by exactly this transaction. */
  readonly atTx?: bigint;
  /**
   * Wait until the server's index includes this transaction before reading (e.g. the `header.id` of the
   * `sqlExec` that wrote the row). immudb 1.11 answers `VerifiableSQLGet` from its index without waiting for
   * it, and ignores the request's own `sinceTx`: a row written a moment ago can read as not found. The client
   * therefore waits first with a `Get` carrying `sinceTx` (which waits for every index of the database).
   */
  readonly sinceTx?: bigint;
}

/** Key read (and discarded) by the index wait of {@link verifiedSqlGet}. */
const INDEX_WAIT_KEY = new TextEncoder().encode("immudb-ts:wait-for-index");

/**
 * `verifiedSqlGet`: checks the arguments (before any RPC), waits for the index when asked (`sinceTx`), then
 * reads and proves the row with `Verifier.sqlGet`.
 */
export async function verifiedSqlGet(
  ctx: ClientContext,
  table: unknown,
  primaryKey: unknown,
  options: VerifiedSqlGetOptions | undefined,
): Promise<VerifiedSqlRow> {
  if (typeof table !== "string" || table === "") {
    throw new InvalidArgumentError(`table must be a non-empty string, got ${describe(table)}`);
  }
  const pk = toSqlPrimaryKey(primaryKey);
  const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
  const sinceTx = options?.sinceTx === undefined ? 0n : toUint64(options.sinceTx, "sinceTx");
  if (sinceTx > 0n) {
    try {
      await ctx.unary(ImmuService.method.get, { key: INDEX_WAIT_KEY, sinceTx }, options);
    } catch (err) {
      if (!(err instanceof ImmudbError && err.code === "KEY_NOT_FOUND")) throw err;
    }
  }
  return ctx.verifier.sqlGet(table, pk, { atTx, sinceTx }, options);
}

/** @internal Wire values of the caller's primary-key values, checked before any RPC. */
export function toSqlPrimaryKey(values: unknown): SqlWireValue[] {
  const list = Array.isArray(values) ? (values as unknown[]) : [values];
  if (list.length === 0) throw new InvalidArgumentError("primary key values must not be empty");
  return list.map((v, i) => {
    const w = paramToWire(v, `primary key value ${i + 1}`);
    if (w.case === "null") throw new InvalidArgumentError(`primary key value ${i + 1} is null`);
    if (w.case === "f" && Number.isNaN(w.value)) {
      throw new InvalidArgumentError(`primary key value ${i + 1} is NaN`);
    }
    return w;
  });
}

const KEY_TYPES: ReadonlySet<string> = new Set([
  "INTEGER",
  "VARCHAR",
  "BLOB",
  "BOOLEAN",
  "UUID",
  "TIMESTAMP",
  "FLOAT",
]);

/** @internal Whether a server-reported column type can be a primary-key column. */
export function isSqlKeyType(type: string): type is SqlKeyType {
  return KEY_TYPES.has(type);
}

/**
 * @internal The local value to encode for a primary-key wire value, as the server converts it for a column of
 * `type` (the subset of immudb's implicit conversions a caller can reach with the parameter mapping).
 * @throws InvalidArgumentError when the value does not fit the column type.
 */
export function wireToKeyValue(
  w: SqlWireValue,
  type: SqlKeyType,
  column: string,
  position: number,
): SqlPrimaryKeyValue {
  const bad = () =>
    new InvalidArgumentError(
      `primary key value ${position} (${wireKind(w)}) does not fit column "${column}" of type ${type}`,
    );
  switch (type) {
    case "INTEGER":
      if (w.case === "n") return w.value;
      if (w.case === "f" && Number.isSafeInteger(w.value)) return BigInt(w.value);
      throw bad();
    case "FLOAT":
      if (w.case === "f") return w.value;
      if (w.case === "n" && w.value >= -(2n ** 53n) && w.value <= 2n ** 53n) return Number(w.value);
      throw bad();
    case "VARCHAR":
      if (w.case === "s") return w.value;
      throw bad();
    case "BLOB":
      if (w.case === "bs") return w.value;
      throw bad();
    case "BOOLEAN":
      if (w.case === "b") return w.value;
      throw bad();
    case "UUID":
      if (w.case === "s" || (w.case === "bs" && w.value.length === 16)) return w.value;
      throw bad();
    case "TIMESTAMP":
      if (w.case === "ts") return w.value;
      throw bad();
    default:
      throw bad();
  }
}

function wireKind(w: SqlWireValue): string {
  return { null: "NULL", n: "INTEGER", s: "VARCHAR", b: "BOOLEAN", bs: "BLOB", ts: "TIMESTAMP", f: "FLOAT" }[
    w.case
  ];
}

function fixed(bytes: Uint8Array, n: number, type: string, column: string): DataView {
  if (bytes.length !== n) {
    throw new VerificationError("sql-row", `${type} column ${column} holds ${bytes.length} bytes, not ${n}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * @internal Decodes one stored column value (`embedded/sql` `DecodeValue`) to its JavaScript value.
 * @throws VerificationError `sql-row` for a malformed value or an unknown type.
 */
export function decodeSqlColumnBytes(bytes: Uint8Array, type: string, column: string): SqlValue {
  switch (type) {
    case "VARCHAR":
      return textDecoder.decode(bytes);
    case "INTEGER":
      return fixed(bytes, 8, type, column).getBigInt64(0, false);
    case "BOOLEAN":
      return fixed(bytes, 1, type, column).getUint8(0) === 1;
    case "BLOB":
      return bytes.slice();
    case "UUID": {
      fixed(bytes, 16, type, column);
      return canonicalUuid(bytes) as string;
    }
    case "TIMESTAMP":
      return new SqlTimestamp(fixed(bytes, 8, type, column).getBigInt64(0, false));
    case "FLOAT":
      return fixed(bytes, 8, type, column).getFloat64(0, false);
    case "JSON":
      try {
        return JSON.parse(textDecoder.decode(bytes)) as SqlJsonValue;
      } catch (err) {
        throw new VerificationError("sql-row", `JSON column ${column} does not hold JSON`, { cause: err });
      }
    default:
      throw new VerificationError("sql-row", `column ${column} has unknown type ${JSON.stringify(type)}`);
  }
}

/** @internal A row from (column, value) pairs, for `Verifier.sqlGet`. */
export function makeSqlRow(
  table: string,
  columns: readonly { name: string; type: string }[],
  values: SqlValue[],
): SqlRow {
  const cols = columns.map((c) => ({ name: c.name, table, type: c.type, selector: `(${table}.${c.name})` }));
  return new SqlRow(new ColumnIndex(cols), values);
}
