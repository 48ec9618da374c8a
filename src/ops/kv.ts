/**
 * Key-value operations (not verified): writes (`set`, `setAll`, `delete`, `setReference`, `zAdd`, `execAll`),
 * point reads (`get`, `getAll`, `txById`, `count`, `countAll`) and paging reads (`scan`, `zScan`, `history`,
 * `txScan`), each checking its arguments before any RPC.
 *
 * Paging reads return a {@link PagedIterable}: pages of at most 2,500 entries (immudb's `MaxKeyScanLimit`; a
 * larger RPC limit is rejected) fetched as the iteration goes. How each continues:
 * - `scan`: after the last key read (`seekKey`, `inclusiveSeek=false`; for a reference, the reference's own key).
 * - `zScan`: after the last member read (`seekKey`/`seekScore`/`seekAtTx`, `inclusiveSeek=false`).
 * - `history`: by `offset` (revisions are never reordered; with `desc`, revisions seen already are dropped in
 *   case new ones were written between pages).
 * - `txScan`: from the next transaction id (`initialTx = last ± 1`).
 *
 * `scan` and `zScan` stop at the first empty page rather than the first short one: immudb counts entries it
 * skips (references to deleted keys, members whose key was deleted, scores out of bounds) against the page limit,
 * so a short page does not mean the end.
 *
 * @module
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { ClientContext } from "../context.js";
import { entryFromProto, txFromProto, txHeaderFromProto, zEntryFromProto } from "../convert/index.js";
import { InvalidArgumentError, ServerError } from "../errors.js";
import {
  type EntriesSpecSchema,
  EntryTypeAction,
  ImmuService,
  KeyValueSchema,
  type Op,
  OpSchema,
  ReferenceRequestSchema,
  type TxHeader as TxHeaderProto,
  ZAddRequestSchema,
} from "../gen/schema_pb.js";
import { type BytesLike, describe, MAX_KEY_LENGTH, toBytes, toKey } from "../internal/bytes.js";
import type {
  CallOptions,
  DeleteOptions,
  Entry,
  ExecAllOptions,
  GetAllOptions,
  GetOptions,
  HistoryOptions,
  KVMetadata,
  KVOperation,
  PageOptions,
  ReferenceOptions,
  ScanOptions,
  Tx,
  TxByIdOptions,
  TxEntriesMode,
  TxScanOptions,
  WriteOptions,
  WriteResult,
  ZAddOptions,
  ZScanEntry,
  ZScanOptions,
} from "../types.js";
import { kvMetadataToProto } from "../verified.js";
import { bytesEqual } from "../verify/index.js";
import { type EntryInput, keyRequest, toKVs, toPreconditions, toUnixSeconds } from "./args.js";
import { PagedIterable } from "./paged.js";

/** Largest page immudb serves (`MaxKeyScanLimit`); a larger RPC limit is rejected. */
export const MAX_PAGE_SIZE = 2500;

/** Entries per transaction in immudb's default database settings (`maxTxEntries`). */
export const MAX_TX_ENTRIES = 1024;

const MAX_UINT64 = 0xffff_ffff_ffff_ffffn;

// ---------------------------------------------------------------------------------------------------------------
// Argument checks

function flag(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean")
    throw new InvalidArgumentError(`${what} must be a boolean, got ${describe(value)}`);
  return value;
}

/** A transaction id or other uint64: must be a `bigint` (numbers are refused, so no silent precision loss). */
function optUint64(value: unknown, what: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "bigint")
    throw new InvalidArgumentError(`${what} must be a bigint, got ${describe(value)}`);
  if (value < 0n || value > MAX_UINT64) throw new InvalidArgumentError(`${what} is out of range: ${value}`);
  return value;
}

function txIdArg(value: unknown, what: string): bigint {
  const v = optUint64(value, what);
  if (v === undefined) throw new InvalidArgumentError(`${what} is required`);
  if (v === 0n) throw new InvalidArgumentError(`${what} must be >= 1`);
  return v;
}

function optCount(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer`);
  }
  return value;
}

function optScore(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value))
    throw new InvalidArgumentError(`${what} must be a number`);
  return value;
}

function finiteScore(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${what} must be a finite number`);
  }
  return value;
}

function optKey(value: unknown, what: string): Uint8Array | undefined {
  return value === undefined ? undefined : toKey(value, what);
}

function prefixArg(value: unknown): Uint8Array {
  const p = value === undefined ? new Uint8Array() : toBytes(value, "prefix");
  if (p.length > MAX_KEY_LENGTH) {
    throw new InvalidArgumentError(`prefix is ${p.length} bytes; immudb keys are at most ${MAX_KEY_LENGTH}`);
  }
  return p;
}

function checkTxEntries(n: number, what: string): void {
  if (n > MAX_TX_ENTRIES) {
    throw new InvalidArgumentError(
      `${n} ${what} in one transaction; immudb's default maxTxEntries allows at most ${MAX_TX_ENTRIES}`,
    );
  }
}

function keyId(key: Uint8Array): string {
  return Buffer.from(key).toString("base64");
}

interface Paging {
  /** Total results wanted (Infinity: no bound). */
  readonly limit: number;
  readonly pageSize: number;
}

function paging(options: PageOptions | undefined): Paging {
  const limit = optCount(options?.limit, "limit") ?? Number.POSITIVE_INFINITY;
  const pageSize = optCount(options?.pageSize, "pageSize") ?? MAX_PAGE_SIZE;
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError(`pageSize must be between 1 and ${MAX_PAGE_SIZE} (immudb's page limit)`);
  }
  return { limit, pageSize };
}

function callOptions(options: CallOptions | undefined): CallOptions | undefined {
  if (!options) return undefined;
  return {
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  };
}

function malformed(rpc: string, message: string): ServerError {
  return new ServerError("SERVER", { rpc: `immudb.schema.ImmuService/${rpc}`, grpcCode: 0, message });
}

function headerOrThrow(h: TxHeaderProto | undefined, rpc: string): TxHeaderProto {
  if (!h) throw malformed(rpc, "the response has no transaction header");
  return h;
}

function isKeyNotFound(err: unknown): boolean {
  return err instanceof ServerError && err.code === "KEY_NOT_FOUND";
}

// ---------------------------------------------------------------------------------------------------------------
// Writes

/** `set`: one key-value pair. */
export function set(
  ctx: ClientContext,
  key: BytesLike,
  value: BytesLike,
  options: WriteOptions | undefined,
): Promise<WriteResult> {
  return setAll(ctx, [{ key, value }], options);
}

/** `setAll`: several key-value pairs in one atomic transaction. */
export async function setAll(
  ctx: ClientContext,
  entries: readonly EntryInput[],
  options: WriteOptions | undefined,
): Promise<WriteResult> {
  if (Array.isArray(entries)) checkTxEntries(entries.length, "entries");
  const kvs = toKVs(entries, options, ctx.options.maxSendMessageBytes);
  const noWait = flag(options?.noWait, "noWait");
  const res = await ctx.unary(
    ImmuService.method.set,
    {
      KVs: kvs.map((kv) => ({ key: kv.key, value: kv.value, metadata: kvMetadataToProto(kv.metadata) })),
      noWait,
      preconditions: toPreconditions(options),
    },
    options,
  );
  return txHeaderFromProto(res);
}

/** `delete`: logical deletion of one or more keys in one transaction. */
export async function del(
  ctx: ClientContext,
  keys: BytesLike | readonly BytesLike[],
  options: DeleteOptions | undefined,
): Promise<WriteResult> {
  const list: readonly unknown[] = Array.isArray(keys) ? keys : [keys];
  if (list.length === 0) throw new InvalidArgumentError("keys must not be empty");
  checkTxEntries(list.length, "keys");
  const seen = new Set<string>();
  const ks = list.map((k, i) => {
    const key = toKey(k, Array.isArray(keys) ? `keys[${i}]` : "key");
    const id = keyId(key);
    if (seen.has(id)) throw new InvalidArgumentError(`keys[${i}] is a duplicate; keys must be distinct`);
    seen.add(id);
    return key;
  });
  const res = await ctx.unary(
    ImmuService.method.delete,
    {
      keys: ks,
      sinceTx: optUint64(options?.sinceTx, "sinceTx") ?? 0n,
      noWait: flag(options?.noWait, "noWait"),
    },
    options,
  );
  return txHeaderFromProto(res);
}

/** `setReference`: `key` becomes an alias of `referencedKey`. */
export async function setReference(
  ctx: ClientContext,
  key: BytesLike,
  referencedKey: BytesLike,
  options: ReferenceOptions | undefined,
): Promise<WriteResult> {
  const atTx = optUint64(options?.atTx, "atTx") ?? 0n;
  const res = await ctx.unary(
    ImmuService.method.setReference,
    {
      key: toKey(key),
      referencedKey: toKey(referencedKey, "referencedKey"),
      atTx,
      boundRef: atTx > 0n,
      noWait: flag(options?.noWait, "noWait"),
      preconditions: toPreconditions({ preconditions: options?.preconditions ?? [] }),
    },
    options,
  );
  return txHeaderFromProto(res);
}

/** `zAdd`: adds `key` to sorted set `set` with `score`. */
export async function zAdd(
  ctx: ClientContext,
  set: BytesLike,
  score: number,
  key: BytesLike,
  options: ZAddOptions | undefined,
): Promise<WriteResult> {
  const s = toKey(set, "set");
  const sc = finiteScore(score, "score");
  const k = toKey(key);
  const atTx = optUint64(options?.atTx, "atTx") ?? 0n;
  const res = await ctx.unary(
    ImmuService.method.zAdd,
    { set: s, score: sc, key: k, atTx, boundRef: atTx > 0n, noWait: flag(options?.noWait, "noWait") },
    options,
  );
  return txHeaderFromProto(res);
}

function opMetadata(op: { expiresAt?: unknown; nonIndexable?: unknown }, at: string): KVMetadata | undefined {
  const nonIndexable = flag(op.nonIndexable, `${at}.nonIndexable`);
  if (op.expiresAt === undefined && !nonIndexable) return undefined;
  return {
    ...(op.expiresAt !== undefined ? { expiresAt: toUnixSeconds(op.expiresAt as bigint | Date) } : {}),
    ...(nonIndexable ? { nonIndexable: true } : {}),
  };
}

/** Builds the `Op` messages of `execAll`: exactly one oneof case per operation. */
export function execAllOps(operations: readonly KVOperation[]): Op[] {
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new InvalidArgumentError("operations must be a non-empty array");
  }
  checkTxEntries(operations.length, "operations");
  const keys = new Set<string>();
  const members = new Set<string>();
  return operations.map((op: KVOperation, i): Op => {
    const at = `operations[${i}]`;
    const distinct = (key: Uint8Array) => {
      const id = keyId(key);
      if (keys.has(id)) throw new InvalidArgumentError(`${at}.key is a duplicate; keys must be distinct`);
      keys.add(id);
    };
    switch (op?.type) {
      case "set": {
        const key = toKey(op.key, `${at}.key`);
        distinct(key);
        const value = toBytes(op.value, `${at}.value`);
        const metadata = kvMetadataToProto(opMetadata(op, at));
        return create(OpSchema, {
          operation: {
            case: "kv",
            value: create(KeyValueSchema, { key, value, ...(metadata ? { metadata } : {}) }),
          },
        });
      }
      case "ref": {
        const key = toKey(op.key, `${at}.key`);
        distinct(key);
        const referencedKey = toKey(op.referencedKey, `${at}.referencedKey`);
        const atTx = optUint64(op.atTx, `${at}.atTx`) ?? 0n;
        return create(OpSchema, {
          operation: {
            case: "ref",
            value: create(ReferenceRequestSchema, { key, referencedKey, atTx, boundRef: atTx > 0n }),
          },
        });
      }
      case "zAdd": {
        const set = toKey(op.set, `${at}.set`);
        const score = finiteScore(op.score, `${at}.score`);
        const key = toKey(op.key, `${at}.key`);
        const atTx = optUint64(op.atTx, `${at}.atTx`) ?? 0n;
        const id = `${keyId(set)}/${keyId(key)}/${atTx}`;
        if (members.has(id)) {
          throw new InvalidArgumentError(`${at} adds the same member (set, key, atTx) twice`);
        }
        members.add(id);
        return create(OpSchema, {
          operation: {
            case: "zAdd",
            value: create(ZAddRequestSchema, { set, score, key, atTx, boundRef: atTx > 0n }),
          },
        });
      }
      default:
        throw new InvalidArgumentError(`${at}.type must be "set", "ref" or "zAdd"`);
    }
  });
}

/** `execAll`: mixed writes in one atomic transaction. */
export async function execAll(
  ctx: ClientContext,
  operations: readonly KVOperation[],
  options: ExecAllOptions | undefined,
): Promise<WriteResult> {
  const ops = execAllOps(operations);
  const res = await ctx.unary(
    ImmuService.method.execAll,
    {
      Operations: ops,
      noWait: flag(options?.noWait, "noWait"),
      preconditions: toPreconditions({ preconditions: options?.preconditions ?? [] }),
    },
    options,
  );
  return txHeaderFromProto(res);
}

// ---------------------------------------------------------------------------------------------------------------
// Point reads

/** `get`: `undefined` when the key is missing, deleted or expired. */
export async function get(
  ctx: ClientContext,
  key: BytesLike,
  options: GetOptions | undefined,
): Promise<Entry | undefined> {
  const req = keyRequest(key, options);
  try {
    return entryFromProto(await ctx.unary(ImmuService.method.get, req, options));
  } catch (err) {
    if (isKeyNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * `getAll`: one slot per requested key, in request order; `undefined` where immudb returned nothing (it leaves
 * missing, deleted and expired keys out of its answer).
 */
export async function getAll(
  ctx: ClientContext,
  keys: readonly BytesLike[],
  options: GetAllOptions | undefined,
): Promise<(Entry | undefined)[]> {
  if (!Array.isArray(keys)) throw new InvalidArgumentError(`keys must be an array, got ${describe(keys)}`);
  const ks = keys.map((k, i) => toKey(k, `keys[${i}]`));
  const sinceTx = optUint64(options?.sinceTx, "sinceTx") ?? 0n;
  if (ks.length === 0) return [];
  const res = await ctx.unary(ImmuService.method.getAll, { keys: ks, sinceTx }, options);
  // The server answers in request order and skips what it did not find: match the answers back to the keys. For
  // a reference, the entry's key is the referenced key and `referencedBy.key` the requested one.
  const out: (Entry | undefined)[] = [];
  let j = 0;
  for (const k of ks) {
    const e = res.entries[j];
    if (e && bytesEqual(e.referencedBy?.key ?? e.key, k)) {
      out.push(entryFromProto(e));
      j++;
    } else out.push(undefined);
  }
  if (j !== res.entries.length) {
    throw malformed("GetAll", "the server returned entries that do not match the requested keys");
  }
  return out;
}

function entriesSpec(mode: unknown): MessageInitShape<typeof EntriesSpecSchema> {
  const all = (action: EntryTypeAction) => ({
    kvEntriesSpec: { action },
    zEntriesSpec: { action },
    sqlEntriesSpec: { action },
  });
  switch (mode ?? "resolved") {
    case "resolved":
      return {
        kvEntriesSpec: { action: EntryTypeAction.RESOLVE },
        zEntriesSpec: { action: EntryTypeAction.RESOLVE },
        // immudb cannot resolve SQL entries ("sql entry resolution is not supported"): keep them raw.
        sqlEntriesSpec: { action: EntryTypeAction.RAW_VALUE },
      };
    case "raw":
      return all(EntryTypeAction.RAW_VALUE);
    case "digest":
      return all(EntryTypeAction.ONLY_DIGEST);
    case "exclude":
      return all(EntryTypeAction.EXCLUDE);
    default:
      throw new InvalidArgumentError('entries must be "resolved", "raw", "digest" or "exclude"');
  }
}

/** `txById`: one transaction with its entries decoded as `options.entries` says. */
export async function txById(
  ctx: ClientContext,
  tx: unknown,
  options: TxByIdOptions | undefined,
): Promise<Tx> {
  const id = txIdArg(tx, "tx");
  const mode: TxEntriesMode = options?.entries ?? "resolved";
  const res = await ctx.unary(
    ImmuService.method.txById,
    {
      tx: id,
      entriesSpec: entriesSpec(mode),
      sinceTx: optUint64(options?.sinceTx, "sinceTx") ?? 0n,
      noWait: flag(options?.noWait, "noWait"),
      keepReferencesUnresolved: flag(options?.keepReferencesUnresolved, "keepReferencesUnresolved"),
    },
    options,
  );
  return txFromProto(headerOrThrow(res.header, "TxById"), res, mode !== "digest");
}

/** `count`: number of keys with `prefix` in the index. */
export async function count(
  ctx: ClientContext,
  prefix: BytesLike,
  options: CallOptions | undefined,
): Promise<bigint> {
  if (prefix === undefined)
    throw new InvalidArgumentError("prefix is required (use countAll to count every key)");
  const res = await ctx.unary(ImmuService.method.count, { prefix: prefixArg(prefix) }, options);
  return res.count;
}

/** `countAll`: number of keys in the index. */
export async function countAll(ctx: ClientContext, options: CallOptions | undefined): Promise<bigint> {
  const res = await ctx.unary(ImmuService.method.countAll, {}, options);
  return res.count;
}

// ---------------------------------------------------------------------------------------------------------------
// Paging reads

/** `scan`: entries in key order, following references. */
export function scan(ctx: ClientContext, options: ScanOptions | undefined): PagedIterable<Entry> {
  const { limit, pageSize } = paging(options);
  const base = {
    prefix: prefixArg(options?.prefix),
    endKey: optKey(options?.endKey, "endKey") ?? new Uint8Array(),
    inclusiveEnd: flag(options?.inclusiveEnd, "inclusiveEnd"),
    desc: flag(options?.desc, "desc"),
    sinceTx: optUint64(options?.sinceTx, "sinceTx") ?? 0n,
    noWait: flag(options?.noWait, "noWait"),
  };
  const firstSeek = optKey(options?.seekKey, "seekKey") ?? new Uint8Array();
  const firstInclusive = flag(options?.inclusiveSeek, "inclusiveSeek");
  const firstOffset = BigInt(optCount(options?.offset, "offset") ?? 0);
  const call = callOptions(options);
  return new PagedIterable(async function* (cap) {
    let remaining = Math.min(limit, cap);
    let seekKey = firstSeek;
    let inclusiveSeek = firstInclusive;
    let offset = firstOffset;
    while (remaining > 0) {
      const want = Math.min(pageSize, remaining);
      const res = await ctx.unary(
        ImmuService.method.scan,
        { ...base, seekKey, inclusiveSeek, offset, limit: BigInt(want) },
        call,
      );
      const last = res.entries.at(-1);
      if (!last) return;
      for (const e of res.entries) {
        yield entryFromProto(e);
        if (--remaining === 0) return;
      }
      seekKey = last.referencedBy?.key ?? last.key;
      inclusiveSeek = false;
      offset = 0n;
    }
  });
}

/** `history`: every revision of a key, including deletions; nothing for a key never written. */
export function history(
  ctx: ClientContext,
  key: BytesLike,
  options: HistoryOptions | undefined,
): PagedIterable<Entry> {
  const { limit, pageSize } = paging(options);
  const k = toKey(key);
  const desc = flag(options?.desc, "desc");
  const sinceTx = optUint64(options?.sinceTx, "sinceTx") ?? 0n;
  const firstOffset = optCount(options?.offset, "offset") ?? 0;
  const call = callOptions(options);
  return new PagedIterable(async function* (cap) {
    let remaining = Math.min(limit, cap);
    let offset = firstOffset;
    let lastRevision: bigint | undefined;
    while (remaining > 0) {
      const want = Math.min(pageSize, remaining);
      const res = await ctx
        .unary(
          ImmuService.method.history,
          { key: k, offset: BigInt(offset), limit: want, desc, sinceTx },
          call,
        )
        .catch((err: unknown) => {
          if (isKeyNotFound(err)) return undefined; // never written: no history
          throw err;
        });
      if (!res) return;
      for (const e of res.entries) {
        // With desc, revisions written since the previous page shift the offsets: drop the ones seen already.
        if (lastRevision !== undefined && (desc ? e.revision >= lastRevision : e.revision <= lastRevision))
          continue;
        lastRevision = e.revision;
        yield entryFromProto(e);
        if (--remaining === 0) return;
      }
      if (res.entries.length < want) return;
      offset += res.entries.length;
    }
  });
}

/** `txScan`: transactions in id order. */
export function txScan(ctx: ClientContext, options: TxScanOptions | undefined): PagedIterable<Tx> {
  const { limit, pageSize } = paging(options);
  const initialTx = options?.initialTx === undefined ? undefined : txIdArg(options.initialTx, "initialTx");
  const desc = flag(options?.desc, "desc");
  const mode: TxEntriesMode = options?.entries ?? "resolved";
  const spec = entriesSpec(mode);
  const sinceTx = optUint64(options?.sinceTx, "sinceTx") ?? 0n;
  const noWait = flag(options?.noWait, "noWait");
  const call = callOptions(options);
  return new PagedIterable(async function* (cap) {
    let remaining = Math.min(limit, cap);
    if (remaining <= 0) return;
    let next = initialTx ?? (desc ? (await ctx.unary(ImmuService.method.currentState, {}, call)).txId : 1n);
    while (remaining > 0 && next >= 1n) {
      const want = Math.min(pageSize, remaining);
      const res = await ctx.unary(
        ImmuService.method.txScan,
        { initialTx: next, limit: want, desc, entriesSpec: spec, sinceTx, noWait },
        call,
      );
      let lastId = next;
      for (const t of res.txs) {
        const tx = txFromProto(headerOrThrow(t.header, "TxScan"), t, mode !== "digest");
        lastId = tx.header.id;
        yield tx;
        if (--remaining === 0) return;
      }
      // Transactions are never skipped: a short page is the end.
      if (res.txs.length < want) return;
      next = desc ? lastId - 1n : lastId + 1n;
    }
  });
}

// ---- zScan -------------------------------------------------------------------------------------------------------
//
// immudb orders sorted-set members by the raw IEEE-754 bits of their scores, big-endian: +0 < positives < +Inf
// < NaNs < -0 < negatives by growing magnitude < -Inf. A plain ZScan therefore returns negative scores after the
// positive ones and in reverse order (and, in descending order, not at all). To give numeric order, the client
// reads the set in up to three ranges ("phases"), each with a seek of its own and the direction that walks it in
// numeric order, and ends a phase at the first member outside its range.

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function signBit(score: number): boolean {
  f64[0] = score;
  return u64[0]! >> 63n === 1n;
}

/** The double whose bits follow those of `score` (for finite scores: the next one away from zero). */
function nextBits(score: number): number {
  f64[0] = score;
  u64[0] = u64[0]! + 1n;
  return f64[0]!;
}

interface ZSeek {
  readonly key: Uint8Array;
  readonly score: number;
  readonly atTx: bigint;
  readonly inclusive: boolean;
}

type ZPhaseName = "-inf" | "neg" | "nonneg" | "+inf" | "pos";

interface ZPhase {
  readonly name: ZPhaseName;
  readonly serverDesc: boolean;
  readonly seek: ZSeek;
  /**
   * Score bounds sent for this phase: the caller's, narrowed to the phase's range so that the server filters
   * out (cheaply, without reading values) the members beyond it.
   */
  readonly min: number;
  readonly max: number;
  readonly accept: (score: number) => "yield" | "skip" | "stop";
}

const LOWEST_KEY = new Uint8Array([0]);

/** Seek at the first entry (in byte order) with exactly this score. */
function atBottom(score: number): ZSeek {
  return { key: LOWEST_KEY, score, atTx: 0n, inclusive: true };
}

/** Seek just above every entry (in byte order) with this score; descending from it starts at its last entry. */
function aboveTop(score: number): ZSeek {
  return { key: LOWEST_KEY, score: nextBits(score), atTx: 0n, inclusive: false };
}

function zPhases(desc: boolean, lo: number, hi: number): ZPhase[] {
  const phases: ZPhase[] = [];
  if (!desc) {
    if (lo === Number.NEGATIVE_INFINITY) {
      phases.push({
        name: "-inf",
        serverDesc: false,
        seek: atBottom(Number.NEGATIVE_INFINITY),
        min: lo,
        max: Number.NEGATIVE_INFINITY,
        accept: (s) => (s === Number.NEGATIVE_INFINITY ? "yield" : "stop"),
      });
    }
    if (lo <= 0 && hi > Number.NEGATIVE_INFINITY) {
      const start = lo === Number.NEGATIVE_INFINITY ? -Number.MAX_VALUE : lo < 0 ? lo : -0;
      phases.push({
        name: "neg",
        serverDesc: true,
        seek: aboveTop(start),
        min: lo,
        max: Math.min(hi, -0),
        accept: (s) => (signBit(s) && Number.isFinite(s) ? "yield" : "stop"),
      });
    }
    if (hi >= 0) {
      phases.push({
        name: "nonneg",
        serverDesc: false,
        seek: atBottom(Math.max(lo, 0)),
        min: Math.max(lo, 0),
        max: hi,
        accept: (s) => (Number.isNaN(s) ? "skip" : signBit(s) ? "stop" : "yield"),
      });
    }
  } else {
    if (hi === Number.POSITIVE_INFINITY) {
      phases.push({
        name: "+inf",
        serverDesc: false,
        seek: atBottom(Number.POSITIVE_INFINITY),
        min: Number.POSITIVE_INFINITY,
        max: hi,
        accept: (s) => (s === Number.POSITIVE_INFINITY ? "yield" : Number.isNaN(s) ? "skip" : "stop"),
      });
    }
    if (hi >= 0 && lo < Number.POSITIVE_INFINITY) {
      const start = hi === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : Math.max(hi, 0);
      phases.push({
        name: "pos",
        serverDesc: true,
        seek: aboveTop(start),
        min: Math.max(lo, 0),
        max: hi,
        accept: (s) => (!signBit(s) && Number.isFinite(s) ? "yield" : "stop"),
      });
    }
    if (lo <= 0) {
      phases.push({
        name: "neg",
        serverDesc: false,
        seek: atBottom(hi < 0 ? hi : -0),
        min: lo,
        max: Math.min(hi, -0),
        accept: (s) => (signBit(s) && !Number.isNaN(s) ? "yield" : "stop"),
      });
    }
  }
  return phases;
}

/** The phase a resume point belongs to, in the order phases run. */
function phaseOf(desc: boolean, score: number): ZPhaseName {
  if (!desc) {
    if (score === Number.NEGATIVE_INFINITY) return "-inf";
    return signBit(score) && !Number.isNaN(score) ? "neg" : "nonneg";
  }
  if (score === Number.POSITIVE_INFINITY || Number.isNaN(score)) return "+inf";
  return signBit(score) ? "neg" : "pos";
}

const PHASE_ORDER: Record<"asc" | "desc", readonly ZPhaseName[]> = {
  asc: ["-inf", "neg", "nonneg"],
  desc: ["+inf", "pos", "neg"],
};

/** `zScan`: members of a sorted set in numeric score order. */
export function zScan(
  ctx: ClientContext,
  set: BytesLike,
  options: ZScanOptions | undefined,
): PagedIterable<ZScanEntry> {
  const { limit, pageSize } = paging(options);
  const s = toKey(set, "set");
  const desc = flag(options?.desc, "desc");
  const minScore = optScore(options?.minScore, "minScore");
  const maxScore = optScore(options?.maxScore, "maxScore");
  const seekKey = optKey(options?.seekKey, "seekKey");
  const seekScore = optScore(options?.seekScore, "seekScore");
  const seekAtTx = optUint64(options?.seekAtTx, "seekAtTx");
  const inclusiveSeek = flag(options?.inclusiveSeek, "inclusiveSeek");
  if (
    seekKey === undefined &&
    (seekScore !== undefined || seekAtTx !== undefined || options?.inclusiveSeek !== undefined)
  ) {
    throw new InvalidArgumentError(
      "seekScore, seekAtTx and inclusiveSeek need seekKey (immudb ignores them without)",
    );
  }
  const offset = optCount(options?.offset, "offset") ?? 0;
  const sinceTx = optUint64(options?.sinceTx, "sinceTx") ?? 0n;
  const noWait = flag(options?.noWait, "noWait");
  const lo = minScore ?? Number.NEGATIVE_INFINITY;
  const hi = maxScore ?? Number.POSITIVE_INFINITY;
  let phases = lo > hi ? [] : zPhases(desc, lo, hi);
  if (seekKey !== undefined) {
    const resume: ZSeek = {
      key: seekKey,
      score: seekScore ?? 0,
      atTx: seekAtTx ?? 0n,
      inclusive: inclusiveSeek,
    };
    const order = PHASE_ORDER[desc ? "desc" : "asc"];
    const at = order.indexOf(phaseOf(desc, resume.score));
    phases = phases
      .filter((p) => order.indexOf(p.name) >= at)
      .map((p) => (order.indexOf(p.name) === at ? { ...p, seek: resume } : p));
  }
  const call = callOptions(options);
  return new PagedIterable(async function* (cap) {
    let remaining = Math.min(limit, cap);
    let skip = offset;
    for (const phase of phases) {
      let seek = phase.seek;
      for (let more = true; more && remaining > 0; ) {
        const want = Math.min(pageSize, remaining + skip);
        const res = await ctx.unary(
          ImmuService.method.zScan,
          {
            set: s,
            seekKey: seek.key,
            seekScore: seek.score,
            seekAtTx: seek.atTx,
            inclusiveSeek: seek.inclusive,
            limit: BigInt(want),
            desc: phase.serverDesc,
            // A bound that filters nothing is left unset.
            ...(phase.min !== Number.NEGATIVE_INFINITY ? { minScore: { score: phase.min } } : {}),
            ...(phase.max !== Number.POSITIVE_INFINITY ? { maxScore: { score: phase.max } } : {}),
            sinceTx,
            noWait,
          },
          call,
        );
        const last = res.entries.at(-1);
        if (!last) break;
        for (const z of res.entries) {
          const verdict = phase.accept(z.score);
          if (verdict === "stop") {
            more = false;
            break;
          }
          if (verdict === "skip") continue;
          if (!z.entry) throw malformed("ZScan", "a sorted-set member came without its entry");
          if (skip > 0) {
            skip--;
            continue;
          }
          yield zEntryFromProto(z) as ZScanEntry;
          if (--remaining === 0) return;
        }
        seek = { key: last.key, score: last.score, atTx: last.atTx, inclusive: false };
      }
      if (remaining <= 0) return;
    }
  });
}
