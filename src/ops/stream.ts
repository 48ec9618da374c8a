/**
 * The chunked streaming key-value API (`streamGet`, `streamSet`, `streamVerifiableGet`, `streamVerifiableSet`,
 * `streamScan`, `streamZScan`, `streamHistory`, `streamExecAll`). Values travel as logical messages split into
 * chunks of at most 64 KiB (see `stream-framing.ts`), so neither the client's nor the server's gRPC message
 * limits bound them; the server's own limits do:
 *
 * - immudb's `streamSet` and `streamVerifiableSet` handlers refuse more than 32 MiB of values per transaction
 *   (`stream.MaxTxValueLen`, hard-coded; `streamVerifiableSet` also counts the 8-byte `proveSinceTx` message).
 *   Larger writes are sent with `streamExecAll`, which has no such cap (and a verified one is then proven with
 *   `VerifiableTxById`, with the same checks).
 * - A database's `maxValueLen` (32 MiB by default) bounds a value *including* immudb's 1-byte value prefix, so
 *   a default database stores values of at most 32 MiB − 1 byte. Create the database with a larger
 *   `maxValueLen` for larger values.
 * - immudb's stream readers end the list of entries at an empty value: an empty value is accepted only as the
 *   last entry of `streamSet`, and not at all by `streamExecAll`.
 * - immudb commits a stream write that is cut off in the middle of a value (cancelled call, deadline, broken
 *   connection) with the value truncated, or empty. This client never cuts one off itself: a value source that
 *   fails is completed with filler and the transaction made invalid (see `valueMessage`), so nothing is written.
 *   A deadline or an abort signal during a write still cancels the call: give stream writes a generous
 *   `timeoutMs`, and check the key after a failed write if it matters.
 *
 * Verified streams follow the unary verified operations exactly (`Verifier.streamSet`/`streamGet`), fixing the
 * Go and Python SDKs' gaps: `proveSinceTx` is the trusted state, every entry is re-hashed and proven, and an
 * entry with metadata (which the stream leaves out) is proven with its metadata read from its transaction.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { ClientContext } from "../context.js";
import { txHeaderFromProto } from "../convert/index.js";
import { InvalidArgumentError, ServerError, VerificationError } from "../errors.js";
import {
  EntrySchema,
  ImmuService,
  InclusionProofSchema,
  VerifiableTxSchema,
  ZAddRequestSchema,
} from "../gen/schema_pb.js";
import { describe, toBytes, toKey, toUint64 } from "../internal/bytes.js";
import type { CallOptions, Entry, GetOptions, TxHeader, VerifiedGetOptions } from "../types.js";
import type { StreamedKeyRequest, StreamedVerifiableEntry } from "../verified.js";
import { encodeKey, PLAIN_VALUE_PREFIX } from "../verify/index.js";
import { keyRequest } from "./args.js";
import {
  checkChunkSize,
  encodeMessage,
  encodeStreamedMessage,
  getU64,
  LENGTH_PREFIX_SIZE,
  MalformedStreamError,
  MessageReader,
  putU64,
  u64Bytes,
} from "./stream-framing.js";

/** Most value bytes immudb's `streamSet`/`streamVerifiableSet` accept in one transaction (`stream.MaxTxValueLen`). */
export const MAX_STREAM_SET_VALUE_BYTES = 32 * 1024 * 1024;

/**
 * A value to write through a stream: bytes, a string (UTF-8), or its bytes in pieces from an iterable or async
 * iterable of Uint8Arrays (a Node `Readable`, a web `ReadableStream`, a generator). With pieces, the value's total
 * `size` must be given up front (it is the first thing sent); the pieces are sent as they come, never buffered
 * whole.
 */
export type StreamValue = Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** An entry to write through a stream. */
export interface StreamEntryInput {
  readonly key: Uint8Array | string;
  readonly value: StreamValue;
  /** Length of `value` in bytes: required when `value` comes in pieces, checked otherwise. */
  readonly size?: number;
}

/** Options of the streamed writes. */
export interface StreamWriteOptions extends CallOptions {
  /** Chunk size in bytes: 4096 to 4 MiB, default 64 KiB (immudb's). */
  readonly chunkSize?: number;
}

/** Options of `streamSet` and `streamVerifiedSet`. */
export interface StreamSetOptions extends StreamWriteOptions {
  /** Length of the value in bytes: required when the value comes in pieces, checked otherwise. */
  readonly size?: number;
}

/** A key and its value, as the unverified streams return them (the stream carries nothing else). */
export interface StreamedEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/**
 * A value being received, from `streamGetReader`: iterate it (once) to get the value's bytes in pieces as they
 * arrive, without buffering the value. Leaving the loop early, or {@link cancel}, cancels the call. The call's
 * `timeoutMs` covers the whole transfer.
 */
export interface ValueReader extends AsyncIterable<Uint8Array> {
  /** The key, as the server sent it. */
  readonly key: Uint8Array;
  /** The value's length in bytes, as announced by the server. */
  readonly size: number;
  /** Stops the transfer (cancels the call). Idempotent. */
  cancel(): Promise<void>;
}

/** Options of `streamScan`: one request, so at most 2,500 entries (immudb's limit). */
export interface StreamScanOptions extends CallOptions {
  /** Only keys with this prefix. */
  readonly prefix?: Uint8Array | string;
  /** Start at this key (see `inclusiveSeek`). */
  readonly seekKey?: Uint8Array | string;
  /** Stop at this key (see `inclusiveEnd`). */
  readonly endKey?: Uint8Array | string;
  /** Include `seekKey` itself. */
  readonly inclusiveSeek?: boolean;
  /** Include `endKey` itself. */
  readonly inclusiveEnd?: boolean;
  /** Descending key order. */
  readonly desc?: boolean;
  /** At most this many entries, 1 to 2,500 (default, and `0`: the server's maximum, 2,500). */
  readonly limit?: number;
  /** Skip this many entries first. */
  readonly offset?: number;
  /** Wait until the index includes this transaction. */
  readonly sinceTx?: bigint;
  /** Sent as `noWait` (deprecated in immudb's proto). */
  readonly noWait?: boolean;
}

/** Options of `streamHistory`: one request, so at most 2,500 revisions. */
export interface StreamHistoryOptions extends CallOptions {
  /** Skip this many revisions first. */
  readonly offset?: number;
  /** At most this many revisions, 1 to 2,500 (default: 2,500). */
  readonly limit?: number;
  /** Newest revision first. */
  readonly desc?: boolean;
  /** Wait until the index includes this transaction. */
  readonly sinceTx?: bigint;
}

/** Options of `streamZScan`: one request, so at most 2,500 members. */
export interface StreamZScanOptions extends CallOptions {
  /** Lowest score (inclusive). */
  readonly minScore?: number;
  /** Highest score (inclusive). */
  readonly maxScore?: number;
  /** Resume from this member (with `seekScore` and `seekAtTx`). */
  readonly seekKey?: Uint8Array | string;
  /** Score of the `seekKey` member. */
  readonly seekScore?: number;
  /** `atTx` of the `seekKey` member. */
  readonly seekAtTx?: bigint;
  /** Include the seek member itself. */
  readonly inclusiveSeek?: boolean;
  /** Highest score first. */
  readonly desc?: boolean;
  /** At most this many members, 1 to 2,500 (default: 2,500). */
  readonly limit?: number;
  /** Skip this many members first. */
  readonly offset?: number;
  /** Wait until the index includes this transaction. */
  readonly sinceTx?: bigint;
  /** Sent as `noWait` (deprecated in immudb's proto). */
  readonly noWait?: boolean;
}

/** A sorted-set member with its key's value, as `streamZScan` returns it. */
export interface StreamedZEntry {
  readonly set: Uint8Array;
  readonly key: Uint8Array;
  readonly score: number;
  /** The transaction the member is bound to; `0n` means it follows the key's latest value. */
  readonly atTx: bigint;
  readonly value: Uint8Array;
}

/**
 * One operation of `streamExecAll`. immudb's stream has no reference operation (its server answers "reference
 * operation is not implemented"), no metadata, no preconditions and no `noWait`.
 */
export type StreamOperation =
  | {
      readonly type: "set";
      readonly key: Uint8Array | string;
      readonly value: StreamValue;
      /** Length of `value` in bytes: required when `value` comes in pieces. */
      readonly size?: number;
    }
  | {
      readonly type: "zAdd";
      readonly set: Uint8Array | string;
      readonly score: number;
      readonly key: Uint8Array | string;
      /** Bind to the value `key` had at this transaction. */
      readonly atTx?: bigint;
    };

// ---- input checks ----

interface PreparedValue {
  readonly size: number;
  readonly source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

interface PreparedEntry extends PreparedValue {
  readonly key: Uint8Array;
}

function isIterable(v: unknown): v is AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  return (
    typeof v === "object" &&
    v !== null &&
    (Symbol.asyncIterator in v || Symbol.iterator in (v as Iterable<unknown>))
  );
}

function prepareValue(value: unknown, size: unknown, what: string): PreparedValue {
  if (typeof value === "string" || value instanceof Uint8Array) {
    const bytes = toBytes(value, what);
    if (size !== undefined && size !== bytes.length) {
      throw new InvalidArgumentError(
        `${what} is ${bytes.length} bytes, but its size is given as ${String(size)}`,
      );
    }
    return { size: bytes.length, source: bytes };
  }
  if (isIterable(value)) {
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw new InvalidArgumentError(
        `${what} comes in pieces: its size in bytes must be given (a non-negative integer), got ${describe(size)}`,
      );
    }
    return { size, source: value };
  }
  throw new InvalidArgumentError(
    `${what} must be a Uint8Array, a string or an (async) iterable of Uint8Arrays, got ${describe(value)}`,
  );
}

function prepareEntries(entries: readonly StreamEntryInput[]): PreparedEntry[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new InvalidArgumentError("entries must be a non-empty array");
  }
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const key = toKey(e?.key, `entries[${i}].key`);
    const id = Buffer.from(key).toString("base64");
    if (seen.has(id))
      throw new InvalidArgumentError(`entries[${i}].key is a duplicate; keys must be distinct`);
    seen.add(id);
    const v = prepareValue(e.value, e.size, `entries[${i}].value`);
    if (v.size === 0 && i !== entries.length - 1) {
      throw new InvalidArgumentError(
        `entries[${i}].value is empty: immudb's stream reader ends the entry list at an empty value, so an empty ` +
          "value is accepted only as the last entry",
      );
    }
    return { key, ...v };
  });
}

function totalSize(entries: readonly PreparedEntry[]): number {
  return entries.reduce((n, e) => n + e.size, 0);
}

function checkLimit(limit: unknown, what = "limit"): bigint {
  if (limit === undefined) return 0n;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > 2500) {
    throw new InvalidArgumentError(`${what} must be an integer from 0 to 2500, got ${String(limit)}`);
  }
  return BigInt(limit);
}

function checkOffset(offset: unknown): bigint {
  if (offset === undefined) return 0n;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(`offset must be a non-negative integer, got ${String(offset)}`);
  }
  return BigInt(offset);
}

function optionalBytes(v: unknown, what: string): Uint8Array {
  return v === undefined ? new Uint8Array(0) : toBytes(v, what);
}

function checkScore(score: unknown, what: string): number {
  if (typeof score !== "number" || !Number.isFinite(score)) {
    throw new InvalidArgumentError(`${what} must be a finite number`);
  }
  return score;
}

// ---- chunk producers ----

type Contents = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** The stored-value hash immudb puts in an entry's digest: SHA-256 of `0x00 ‖ value`. */
function valueHash(): Hash {
  return createHash("sha256").update(Uint8Array.of(PLAIN_VALUE_PREFIX));
}

/** Where a stream write records that a value's source failed (see {@link valueMessage}). */
interface WriteState {
  failure?: { readonly error: unknown };
}

/**
 * The message of one value. A value in pieces whose source fails (throws, or yields more or fewer bytes than its
 * declared size) is not cut short: cancelling a stream write mid-value makes immudb (up to 1.11.1 at least) commit
 * the key with an empty or truncated value, because its stream reader turns the broken stream into a clean end.
 * So the message is completed with zero bytes, the failure recorded in `state`, and the caller follows it with a
 * duplicate of the entry's key ({@link poison}): the server then refuses the whole transaction ("duplicated keys")
 * and nothing is written.
 */
async function* valueMessage(
  v: PreparedValue,
  chunkSize: number,
  hash: Hash | undefined,
  state: WriteState,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (v.source instanceof Uint8Array) {
    hash?.update(v.source);
    yield* encodeMessage(v.source, chunkSize);
    return;
  }
  let sent = 0;
  try {
    for await (const c of encodeStreamedMessage(
      v.size,
      v.source,
      chunkSize,
      hash && ((p) => hash.update(p)),
    )) {
      sent += c.length;
      yield c;
    }
  } catch (error) {
    state.failure = { error };
    let left = LENGTH_PREFIX_SIZE + v.size - sent;
    if (sent === 0) {
      const first = new Uint8Array(Math.min(chunkSize, left));
      putU64(first, 0, v.size);
      left -= first.length;
      yield first;
    }
    while (left > 0) {
      const n = Math.min(chunkSize, left);
      left -= n;
      yield new Uint8Array(n);
    }
  }
}

/** A second entry with `key`, which makes the server refuse the transaction (see {@link valueMessage}). */
function* poison(key: Uint8Array, chunkSize: number): Generator<Uint8Array, void, undefined> {
  yield* encodeMessage(key, chunkSize);
  yield* encodeMessage(Uint8Array.of(0), chunkSize);
}

/** Key and value messages of each entry (the `streamSet` / `streamVerifiableSet` layout). */
async function* kvMessages(
  entries: readonly PreparedEntry[],
  chunkSize: number,
  state: WriteState,
  hashes?: readonly Hash[],
): AsyncGenerator<Uint8Array, void, undefined> {
  for (const [i, e] of entries.entries()) {
    yield* encodeMessage(e.key, chunkSize);
    yield* valueMessage(e, chunkSize, hashes?.[i], state);
    if (state.failure) {
      yield* poison(e.key, chunkSize);
      return;
    }
  }
}

const OP_KV = 1;
const OP_ZADD = 2;

type PreparedOperation =
  | ({ readonly type: "set" } & PreparedEntry)
  | { readonly type: "zAdd"; readonly request: Uint8Array };

/** The `streamExecAll` layout: per operation a 1-byte type message, then key and value, or a `ZAddRequest`. */
async function* execAllMessages(
  ops: readonly PreparedOperation[],
  chunkSize: number,
  state: WriteState,
  hashes?: readonly (Hash | undefined)[],
): AsyncGenerator<Uint8Array, void, undefined> {
  for (const [i, op] of ops.entries()) {
    if (op.type === "set") {
      yield* encodeMessage(Uint8Array.of(OP_KV), chunkSize);
      yield* encodeMessage(op.key, chunkSize);
      yield* valueMessage(op, chunkSize, hashes?.[i], state);
      if (state.failure) {
        yield* encodeMessage(Uint8Array.of(OP_KV), chunkSize);
        yield* poison(op.key, chunkSize);
        return;
      }
    } else {
      yield* encodeMessage(Uint8Array.of(OP_ZADD), chunkSize);
      yield* encodeMessage(op.request, chunkSize);
    }
  }
}

/** Runs a stream write; a failed value source wins over the server's refusal it provoked. */
async function guarded<T>(state: WriteState, write: () => Promise<T>): Promise<T> {
  let res: T;
  try {
    res = await write();
  } catch (err) {
    if (state.failure) throw state.failure.error;
    throw err;
  }
  if (state.failure) throw state.failure.error;
  return res;
}

async function* chunks(...parts: Contents[]): AsyncGenerator<{ content: Uint8Array }, void, undefined> {
  for (const part of parts) for await (const content of part) yield { content };
}

function rejectEmptyForExecAll(ops: readonly PreparedOperation[]): void {
  for (const [i, op] of ops.entries()) {
    if (op.type === "set" && op.size === 0) {
      throw new InvalidArgumentError(
        `operation ${i} has an empty value, which immudb's streamExecAll cannot carry (its server fails with EOF)`,
      );
    }
  }
}

function plainDigest(hash: Hash): Uint8Array {
  const d = hash.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

// ---- writes ----

/**
 * Writes entries in one transaction through a client stream: `streamSet`, or `streamExecAll` when the values
 * exceed {@link MAX_STREAM_SET_VALUE_BYTES}. Not verified.
 */
export async function streamSetAll(
  ctx: ClientContext,
  entries: readonly StreamEntryInput[],
  options?: StreamWriteOptions,
): Promise<TxHeader> {
  const prepared = prepareEntries(entries);
  const chunkSize = checkChunkSize(options?.chunkSize);
  const state: WriteState = {};
  if (totalSize(prepared) <= MAX_STREAM_SET_VALUE_BYTES) {
    const res = await guarded(state, () =>
      ctx.clientStream(ImmuService.method.streamSet, chunks(kvMessages(prepared, chunkSize, state)), options),
    );
    return txHeaderFromProto(res);
  }
  const ops = prepared.map((e) => ({ type: "set" as const, ...e }));
  rejectEmptyForExecAll(ops);
  const res = await guarded(state, () =>
    ctx.clientStream(
      ImmuService.method.streamExecAll,
      chunks(execAllMessages(ops, chunkSize, state)),
      options,
    ),
  );
  return txHeaderFromProto(res);
}

/**
 * Writes entries in one transaction through a client stream and proves the write like `verifiedSetAll`:
 * `streamVerifiableSet` with `proveSinceTx` = the trusted state, or, above its 32 MiB cap, `streamExecAll`
 * followed by `VerifiableTxById`. The values are hashed as they are sent; the transaction must hold exactly those
 * entries and extend the trusted history.
 */
export async function streamVerifiedSetAll(
  ctx: ClientContext,
  entries: readonly StreamEntryInput[],
  options?: StreamWriteOptions,
): Promise<TxHeader> {
  const prepared = prepareEntries(entries);
  const chunkSize = checkChunkSize(options?.chunkSize);
  const small = 8 + totalSize(prepared) <= MAX_STREAM_SET_VALUE_BYTES;
  const ops = prepared.map((e) => ({ type: "set" as const, ...e }));
  if (!small) rejectEmptyForExecAll(ops);
  return ctx.verifier.streamSet(async (proveSinceTx) => {
    const hashes = prepared.map(() => valueHash());
    const state: WriteState = {};
    let vtx: MessageShape<typeof VerifiableTxSchema>;
    if (small) {
      vtx = await guarded(state, () =>
        ctx.clientStream(
          ImmuService.method.streamVerifiableSet,
          chunks(
            encodeMessage(u64Bytes(proveSinceTx), chunkSize),
            kvMessages(prepared, chunkSize, state, hashes),
          ),
          options,
        ),
      );
    } else {
      const header = await guarded(state, () =>
        ctx.clientStream(
          ImmuService.method.streamExecAll,
          chunks(execAllMessages(ops, chunkSize, state, hashes)),
          options,
        ),
      );
      vtx = await ctx.unary(ImmuService.method.verifiableTxById, { tx: header.id, proveSinceTx }, options);
    }
    const expected = prepared.map((e, i) => ({ key: encodeKey(e.key), hValue: plainDigest(hashes[i]!) }));
    return { vtx, expected };
  }, options);
}

/** Writes key-value and sorted-set operations in one transaction through `streamExecAll`. Not verified. */
export async function streamExecAll(
  ctx: ClientContext,
  operations: readonly StreamOperation[],
  options?: StreamWriteOptions,
): Promise<TxHeader> {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new InvalidArgumentError("operations must be a non-empty array");
  }
  const chunkSize = checkChunkSize(options?.chunkSize);
  const ops: PreparedOperation[] = operations.map((op, i) => {
    const type = (op as { type?: unknown })?.type;
    if (type === "set") {
      const o = op as Extract<StreamOperation, { type: "set" }>;
      return {
        type,
        key: toKey(o.key, `operations[${i}].key`),
        ...prepareValue(o.value, o.size, `operations[${i}].value`),
      };
    }
    if (type === "zAdd") {
      const o = op as Extract<StreamOperation, { type: "zAdd" }>;
      const atTx = o.atTx === undefined ? 0n : toUint64(o.atTx, `operations[${i}].atTx`);
      const request = toBinary(
        ZAddRequestSchema,
        create(ZAddRequestSchema, {
          set: toKey(o.set, `operations[${i}].set`),
          score: checkScore(o.score, `operations[${i}].score`),
          key: toKey(o.key, `operations[${i}].key`),
          atTx,
          boundRef: atTx > 0n,
        }),
      );
      return { type, request };
    }
    if (type === "ref") {
      throw new InvalidArgumentError(
        `operations[${i}]: immudb's streamExecAll has no reference operation (the server answers "reference ` +
          'operation is not implemented"); use execAll or setReference',
      );
    }
    throw new InvalidArgumentError(`operations[${i}].type must be "set" or "zAdd", got ${String(type)}`);
  });
  rejectEmptyForExecAll(ops);
  const state: WriteState = {};
  const res = await guarded(state, () =>
    ctx.clientStream(
      ImmuService.method.streamExecAll,
      chunks(execAllMessages(ops, chunkSize, state)),
      options,
    ),
  );
  return txHeaderFromProto(res);
}

// ---- reads ----

function isKeyNotFound(err: unknown): boolean {
  return err instanceof ServerError && err.code === "KEY_NOT_FOUND";
}

/** Reads a key's value whole through `streamGet`; `undefined` when the key does not exist. Not verified. */
export async function streamGet(
  ctx: ClientContext,
  key: Uint8Array | string,
  options?: GetOptions,
): Promise<StreamedEntry | undefined> {
  const req = keyRequest(key, options);
  const reader = new MessageReader(ctx.serverStream(ImmuService.method.streamGet, req, options), "streamGet");
  try {
    const k = await reader.next();
    if (k === undefined) return undefined;
    const value = await reader.expect("value");
    return { key: k, value };
  } catch (err) {
    if (isKeyNotFound(err)) return undefined;
    throw err;
  } finally {
    await reader.close();
  }
}

/**
 * Starts reading a key's value through `streamGet` and returns as soon as its length is known; the value's bytes
 * are then read by iterating the {@link ValueReader}, piece by piece. `undefined` when the key does not exist.
 */
export async function streamGetReader(
  ctx: ClientContext,
  key: Uint8Array | string,
  options?: GetOptions,
): Promise<ValueReader | undefined> {
  const req = keyRequest(key, options);
  const reader = new MessageReader(ctx.serverStream(ImmuService.method.streamGet, req, options), "streamGet");
  let k: Uint8Array | undefined;
  let size: number | undefined;
  try {
    k = await reader.next();
    if (k !== undefined) size = await reader.nextLength();
    if (k !== undefined && size === undefined)
      throw new MalformedStreamError("streamGet", "no value after the key");
  } catch (err) {
    await reader.close();
    if (isKeyNotFound(err)) return undefined;
    throw err;
  }
  if (k === undefined || size === undefined) {
    await reader.close();
    return undefined;
  }
  const length = size;
  let iterated = false;
  return {
    key: k,
    size: length,
    cancel: () => reader.close(),
    async *[Symbol.asyncIterator]() {
      if (iterated) throw new InvalidArgumentError("a ValueReader can be iterated only once");
      iterated = true;
      try {
        yield* reader.pieces(length);
      } finally {
        await reader.close();
      }
    },
  };
}

function decode<D extends DescMessage>(schema: D, bytes: Uint8Array, what: string): MessageShape<D> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new VerificationError("malformed-proof", `the ${what} in the stream does not decode`, {
      cause: err,
    });
  }
}

/** One `streamVerifiableGet` call: the four messages, decoded; a malformed stream is a VerificationError. */
async function receiveVerifiableEntry(
  ctx: ClientContext,
  req: StreamedKeyRequest,
  proveSinceTx: bigint,
  options: CallOptions | undefined,
): Promise<StreamedVerifiableEntry> {
  const reader = new MessageReader(
    ctx.serverStream(ImmuService.method.streamVerifiableGet, { keyRequest: req, proveSinceTx }, options),
    "streamVerifiableGet",
  );
  try {
    const entry = decode(EntrySchema, await reader.expect("entry"), "entry");
    const verifiableTx = decode(VerifiableTxSchema, await reader.expect("verifiable tx"), "verifiable tx");
    const inclusionProof = decode(
      InclusionProofSchema,
      await reader.expect("inclusion proof"),
      "inclusion proof",
    );
    const value = await reader.expect("value");
    if (!(await reader.atEnd()))
      throw new MalformedStreamError("streamVerifiableGet", "data after the value");
    return { entry, verifiableTx, inclusionProof, value };
  } catch (err) {
    if (err instanceof MalformedStreamError) {
      throw new VerificationError("malformed-proof", err.message, { cause: err });
    }
    throw err;
  } finally {
    await reader.close();
  }
}

/**
 * Reads a key through `streamVerifiableGet` and proves it like `verifiedGet` (see `Verifier.streamGet`).
 * The value is held in memory until it is proven; it is never returned unproven.
 */
export async function streamVerifiedGet(
  ctx: ClientContext,
  key: Uint8Array | string,
  options?: VerifiedGetOptions,
): Promise<Entry> {
  const req = keyRequest(key, options);
  return ctx.verifier.streamGet(
    req,
    (r, proveSinceTx) => receiveVerifiableEntry(ctx, r, proveSinceTx, options),
    options,
  );
}

/** Entries of a stream of key and value messages (`streamScan`, `streamHistory`). */
async function* keyValues(reader: MessageReader): AsyncGenerator<StreamedEntry, void, undefined> {
  try {
    for (;;) {
      const key = await reader.next();
      if (key === undefined) return;
      const value = await reader.expect("value");
      yield { key, value };
    }
  } finally {
    await reader.close();
  }
}

/**
 * Scans keys through `streamScan` (one request: at most 2,500 entries). Arguments are checked at once; the call
 * starts when iteration starts, and leaving the loop early cancels it. Not verified.
 */
export function streamScan(
  ctx: ClientContext,
  options?: StreamScanOptions,
): AsyncGenerator<StreamedEntry, void, undefined> {
  const req = {
    seekKey: optionalBytes(options?.seekKey, "seekKey"),
    endKey: optionalBytes(options?.endKey, "endKey"),
    prefix: optionalBytes(options?.prefix, "prefix"),
    desc: options?.desc ?? false,
    limit: checkLimit(options?.limit),
    sinceTx: options?.sinceTx === undefined ? 0n : toUint64(options.sinceTx, "sinceTx"),
    noWait: options?.noWait ?? false,
    inclusiveSeek: options?.inclusiveSeek ?? false,
    inclusiveEnd: options?.inclusiveEnd ?? false,
    offset: checkOffset(options?.offset),
  };
  return keyValues(
    new MessageReader(ctx.serverStream(ImmuService.method.streamScan, req, options), "streamScan"),
  );
}

/**
 * A key's values, oldest first (newest with `desc`), through `streamHistory` (one request: at most 2,500). The
 * stream carries only key and value per revision. Not verified.
 */
export function streamHistory(
  ctx: ClientContext,
  key: Uint8Array | string,
  options?: StreamHistoryOptions,
): AsyncGenerator<StreamedEntry, void, undefined> {
  const req = {
    key: toKey(key),
    offset: checkOffset(options?.offset),
    limit: Number(checkLimit(options?.limit)),
    desc: options?.desc ?? false,
    sinceTx: options?.sinceTx === undefined ? 0n : toUint64(options.sinceTx, "sinceTx"),
  };
  return keyValues(
    new MessageReader(ctx.serverStream(ImmuService.method.streamHistory, req, options), "streamHistory"),
  );
}

/**
 * Members of a sorted set with their values, through `streamZScan` (one request: at most 2,500), in immudb's
 * order: by the bits of the IEEE-754 score, so negative scores come after positive ones. Not verified.
 */
export function streamZScan(
  ctx: ClientContext,
  set: Uint8Array | string,
  options?: StreamZScanOptions,
): AsyncGenerator<StreamedZEntry, void, undefined> {
  const req = {
    set: toKey(set, "set"),
    seekKey: optionalBytes(options?.seekKey, "seekKey"),
    seekScore: options?.seekScore === undefined ? 0 : checkScore(options.seekScore, "seekScore"),
    seekAtTx: options?.seekAtTx === undefined ? 0n : toUint64(options.seekAtTx, "seekAtTx"),
    inclusiveSeek: options?.inclusiveSeek ?? false,
    limit: checkLimit(options?.limit),
    desc: options?.desc ?? false,
    ...(options?.minScore === undefined
      ? {}
      : { minScore: { score: checkScore(options.minScore, "minScore") } }),
    ...(options?.maxScore === undefined
      ? {}
      : { maxScore: { score: checkScore(options.maxScore, "maxScore") } }),
    sinceTx: options?.sinceTx === undefined ? 0n : toUint64(options.sinceTx, "sinceTx"),
    noWait: options?.noWait ?? false,
    offset: checkOffset(options?.offset),
  };
  return zEntries(
    new MessageReader(ctx.serverStream(ImmuService.method.streamZScan, req, options), "streamZScan"),
  );
}

/** Per member: set, key, score (f64 BE), atTx (u64 BE), value. */
async function* zEntries(reader: MessageReader): AsyncGenerator<StreamedZEntry, void, undefined> {
  try {
    for (;;) {
      const set = await reader.next();
      if (set === undefined) return;
      const key = await reader.expect("key");
      const score = await reader.expect("score");
      const atTx = await reader.expect("atTx");
      if (score.length !== 8 || atTx.length !== 8) {
        throw new MalformedStreamError("streamZScan", "score and atTx must be 8 bytes each");
      }
      const value = await reader.expect("value");
      yield {
        set,
        key,
        score: new DataView(score.buffer, score.byteOffset, 8).getFloat64(0),
        atTx: getU64(atTx),
        value,
      };
    }
  } finally {
    await reader.close();
  }
}
