/**
 * Replication RPCs (`exportTx`, `replicateTx`, `streamExportTx`), the decoder of immudb's exported-transaction
 * format, and {@link copyTransactions}, which copies a database's transactions to a replica database on another
 * server and proves the copy.
 *
 * The exported format (`embedded/store` `ExportTx` / `ReplicateTx`): `u32 hdrLen ‖ header ‖ entries ‖
 * [u16 tLen ‖ truncated flag]`, where the header is `TxHeader.Bytes()` (`id ‖ prevAlh ‖ ts ‖ version ‖
 * (v0: u16 nentries | v1: u16 mdLen ‖ md ‖ u32 nentries) ‖ eH ‖ blTxID ‖ blRoot`) and each entry is
 * `u16 kLen ‖ key ‖ u16 mdLen ‖ md ‖ u32 vLen ‖ value` with the stored (prefixed) key and value.
 *
 * Both RPCs need the Admin or SysAdmin permission; `replicateTx` is accepted only by a database created as a
 * replica (`replicationSettings.replica = true`) that is not replicating by itself (no primary configured).
 *
 * @module
 */
import type { ImmudbClient } from "../client.js";
import type { ClientContext } from "../context.js";
import { txHeaderFromProto } from "../convert/index.js";
import { InvalidArgumentError, ServerError, VerificationError } from "../errors.js";
import { ImmuService } from "../gen/schema_pb.js";
import { toUint64 } from "../internal/bytes.js";
import type { CallOptions, TxHeader } from "../types.js";
import {
  alh,
  bytesEqual,
  type Digest,
  entryDigest,
  htreeRoot,
  type KVMetadata,
  kvMetadataBytes,
  sha256,
  type TxMetadata,
  txMetadataBytes,
} from "../verify/index.js";
import {
  checkChunkSize,
  encodeMessage,
  getU64,
  MalformedStreamError,
  MessageReader,
} from "./stream-framing.js";

/** Options of `exportTx` and `streamExportTx`. */
export interface ExportTxOptions extends CallOptions {
  /** Also export a transaction that is pre-committed but not yet committed (synchronous replication). */
  readonly allowPreCommitted?: boolean;
  /** Ask the server to skip its integrity checks while reading the transaction. */
  readonly skipIntegrityCheck?: boolean;
}

/** Options of `streamExportTx`. */
export interface StreamExportTxOptions extends ExportTxOptions {
  /** How many requests may be outstanding (sent, not yet answered) at once: 1 to 256, default 8. */
  readonly window?: number;
}

/** Options of `replicateTx`. */
export interface ReplicateTxOptions extends CallOptions {
  /** Sent as the `skip-integrity-check` metadata: the replica does not re-check the transaction. */
  readonly skipIntegrityCheck?: boolean;
  /** Sent as the `wait-for-indexing` metadata: return once the replica has indexed the transaction. */
  readonly waitForIndexing?: boolean;
  /** Chunk size in bytes (default 64 KiB). */
  readonly chunkSize?: number;
}

/** A transaction as exported by the server. */
export interface ExportedTx {
  /** The transaction id that was asked for. */
  readonly tx: bigint;
  /** The serialized transaction, as `replicateTx` takes it. */
  readonly bytes: Uint8Array;
}

/** One entry of an exported transaction. */
export interface ExportedTxEntry {
  /** The stored key, with immudb's one-byte prefix (0 = key-value, 1 = sorted set, 2 = SQL). */
  readonly key: Uint8Array;
  /** Entry metadata, if any. */
  readonly metadata?: KVMetadata;
  /** The stored value, with immudb's one-byte value prefix; its SHA-256 instead when the values were truncated. */
  readonly value: Uint8Array;
}

/** An exported transaction, decoded and checked by {@link decodeExportedTx}. */
export interface DecodedTx {
  /** The header. */
  readonly header: TxHeader;
  /** The header's Alh (the accumulated hash of the history up to this transaction). */
  readonly alh: Digest;
  /** The entries, in transaction order. */
  readonly entries: readonly ExportedTxEntry[];
  /** Whether the server left the values out (truncated database): each `value` is then the value's SHA-256. */
  readonly truncated: boolean;
}

/** Exports one transaction (`exportTx`) as immudb's serialized format. Admin permission needed. */
export async function exportTx(
  ctx: ClientContext,
  tx: bigint,
  options?: ExportTxOptions,
): Promise<Uint8Array> {
  const id = checkTxId(tx, "tx");
  const reader = new MessageReader(
    ctx.serverStream(
      ImmuService.method.exportTx,
      {
        tx: id,
        allowPreCommitted: options?.allowPreCommitted ?? false,
        skipIntegrityCheck: options?.skipIntegrityCheck ?? false,
      },
      options,
    ),
    "exportTx",
  );
  try {
    const bytes = await reader.expect("transaction");
    if (!(await reader.atEnd())) throw new MalformedStreamError("exportTx", "data after the transaction");
    return bytes;
  } finally {
    await reader.close();
  }
}

/**
 * Exports transactions over one bidirectional `streamExportTx` call, up to `window` requests in flight: yields
 * them in the order of `txIds`. A transaction the server does not have yet fails the call ("no new
 * transactions"). Leaving the loop early cancels the call.
 */
export function streamExportTx(
  ctx: ClientContext,
  txIds: Iterable<bigint> | AsyncIterable<bigint>,
  options?: StreamExportTxOptions,
): AsyncGenerator<ExportedTx, void, undefined> {
  const window = options?.window ?? 8;
  if (!Number.isInteger(window) || window < 1 || window > 256) {
    throw new InvalidArgumentError(`window must be an integer from 1 to 256, got ${String(window)}`);
  }
  if (
    typeof txIds !== "object" ||
    txIds === null ||
    !(Symbol.iterator in txIds || Symbol.asyncIterator in txIds)
  ) {
    throw new InvalidArgumentError("txIds must be an iterable or async iterable of transaction ids");
  }
  return exportPipeline(ctx, txIds, window, options);
}

async function* exportPipeline(
  ctx: ClientContext,
  txIds: Iterable<bigint> | AsyncIterable<bigint>,
  window: number,
  options: StreamExportTxOptions | undefined,
): AsyncGenerator<ExportedTx, void, undefined> {
  const pending: bigint[] = [];
  let sourceDone = false;
  let finished = false;
  let wake: (() => void) | undefined;
  const allowPreCommitted = options?.allowPreCommitted ?? false;
  const skipIntegrityCheck = options?.skipIntegrityCheck ?? false;
  async function* requests() {
    for await (const tx of txIds) {
      const id = checkTxId(tx, "transaction id");
      while (pending.length >= window && !finished) await new Promise<void>((r) => (wake = r));
      if (finished) return;
      pending.push(id);
      yield { tx: id, allowPreCommitted, skipIntegrityCheck };
    }
    sourceDone = true;
  }
  const reader = new MessageReader(
    ctx.bidiStream(ImmuService.method.streamExportTx, requests(), options),
    "streamExportTx",
  );
  try {
    for (;;) {
      // The server ends its side only with an error ("EOF") once the requests are over: stop reading before.
      if (sourceDone && pending.length === 0) return;
      let bytes: Uint8Array | undefined;
      try {
        bytes = await reader.next();
      } catch (err) {
        if (sourceDone && pending.length === 0 && isEof(err)) return;
        throw err;
      }
      if (bytes === undefined) {
        if (pending.length === 0 && sourceDone) return;
        throw new MalformedStreamError(
          "streamExportTx",
          "the stream ended before every transaction was sent",
        );
      }
      const tx = pending.shift();
      if (tx === undefined)
        throw new MalformedStreamError("streamExportTx", "a transaction nobody asked for");
      wake?.();
      wake = undefined;
      yield { tx, bytes };
    }
  } finally {
    finished = true;
    wake?.();
    await reader.close();
  }
}

function isEof(err: unknown): boolean {
  return err instanceof ServerError && err.details.message === "EOF";
}

/**
 * Applies an exported transaction to a replica database (`replicateTx`), which must be exactly the replica's
 * next transaction: one it already has is refused ("tx already committed"), and one further ahead waits on the
 * server for the missing ones (until the call's deadline). Returns the header the replica committed. Admin
 * permission needed.
 */
export async function replicateTx(
  ctx: ClientContext,
  bytes: Uint8Array,
  options?: ReplicateTxOptions,
): Promise<TxHeader> {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new InvalidArgumentError("bytes must be a non-empty Uint8Array (an exported transaction)");
  }
  const chunkSize = checkChunkSize(options?.chunkSize);
  const metadata: Record<string, string> = {};
  if (options?.skipIntegrityCheck !== undefined) {
    metadata["skip-integrity-check"] = String(options.skipIntegrityCheck);
  }
  if (options?.waitForIndexing !== undefined) metadata["wait-for-indexing"] = String(options.waitForIndexing);
  const res = await ctx.clientStream(
    ImmuService.method.replicateTx,
    (function* () {
      for (const content of encodeMessage(bytes, chunkSize)) yield { content };
    })(),
    options,
    metadata,
  );
  return txHeaderFromProto(res);
}

function checkTxId(tx: unknown, what: string): bigint {
  const id = toUint64(tx, what);
  if (id === 0n) throw new InvalidArgumentError(`${what} must be >= 1`);
  return id;
}

// ---- exported format ----

class Cursor {
  readonly #b: Uint8Array;
  readonly #view: DataView;
  #i = 0;
  constructor(b: Uint8Array) {
    this.#b = b;
    this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get offset(): number {
    return this.#i;
  }
  get left(): number {
    return this.#b.length - this.#i;
  }
  #need(n: number, what: string): void {
    if (this.left < n) throw malformed(`truncated ${what}`);
  }
  u16(what: string): number {
    this.#need(2, what);
    const v = this.#view.getUint16(this.#i);
    this.#i += 2;
    return v;
  }
  u32(what: string): number {
    this.#need(4, what);
    const v = this.#view.getUint32(this.#i);
    this.#i += 4;
    return v;
  }
  u64(what: string): bigint {
    this.#need(8, what);
    const v = getU64(this.#b, this.#i);
    this.#i += 8;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const v = this.#b.subarray(this.#i, this.#i + n);
    this.#i += n;
    return v;
  }
}

function malformed(message: string): VerificationError {
  return new VerificationError("malformed-proof", `exported transaction: ${message}`);
}

function parseKVMetadata(raw: Uint8Array): KVMetadata | undefined {
  if (raw.length === 0) return undefined;
  const c = new Cursor(raw);
  const md: { deleted?: boolean; expiresAt?: bigint; nonIndexable?: boolean } = {};
  while (c.left > 0) {
    const attr = c.bytes(1, "KV metadata")[0];
    if (attr === 0x00) md.deleted = true;
    else if (attr === 0x01) md.expiresAt = BigInt.asIntN(64, c.u64("KV metadata expiry"));
    else if (attr === 0x02) md.nonIndexable = true;
    else throw malformed(`unknown KV metadata attribute ${String(attr)}`);
  }
  if (!bytesEqual(kvMetadataBytes(md), raw)) throw malformed("KV metadata is not in canonical form");
  return md;
}

function parseTxMetadata(raw: Uint8Array): TxMetadata | undefined {
  if (raw.length === 0) return undefined;
  const c = new Cursor(raw);
  const md: { truncatedTxId?: bigint; extra?: Uint8Array } = {};
  while (c.left > 0) {
    const attr = c.bytes(1, "tx metadata")[0];
    if (attr === 0x00) md.truncatedTxId = c.u64("tx metadata truncatedTxId");
    else if (attr === 0x01) md.extra = c.bytes(c.u16("tx metadata extra length"), "tx metadata extra");
    else throw malformed(`unknown tx metadata attribute ${String(attr)}`);
  }
  if (!bytesEqual(txMetadataBytes(md), raw)) throw malformed("tx metadata is not in canonical form");
  return md;
}

/**
 * Decodes an exported transaction and checks it is self-consistent: the header parses, the entry count matches
 * it, and the entries hash to the header's `eH`. Returns the header's Alh,
 * which a caller compares with a proven state. Does not prove that the transaction belongs to any history.
 *
 * @throws VerificationError (`malformed-proof`, `entry-count`, `eh-mismatch`) when it does not decode or check.
 */
export function decodeExportedTx(bytes: Uint8Array): DecodedTx {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError("bytes must be a Uint8Array");
  const c = new Cursor(bytes);
  const h = new Cursor(c.bytes(c.u32("header length"), "header"));
  const id = h.u64("header id");
  const prevAlh = h.bytes(32, "header prevAlh");
  const ts = BigInt.asIntN(64, h.u64("header ts"));
  const version = h.u16("header version");
  let nEntries: number;
  let metadata: TxMetadata | undefined;
  if (version === 0) {
    nEntries = h.u16("header nentries");
  } else if (version === 1) {
    metadata = parseTxMetadata(h.bytes(h.u16("header metadata length"), "header metadata"));
    nEntries = h.u32("header nentries");
  } else {
    throw new VerificationError("unsupported-header-version", `unsupported tx header version ${version}`);
  }
  const eh = h.bytes(32, "header eH");
  const blTxId = h.u64("header blTxID");
  const blRoot = h.bytes(32, "header blRoot");
  if (h.left !== 0) throw malformed("extra bytes after the header");
  if (id < 1n || nEntries < 1) throw malformed("header with no id or no entries");
  const header: TxHeader = {
    id,
    prevAlh,
    ts,
    nEntries,
    eh,
    blTxId,
    blRoot,
    version,
    ...(metadata ? { metadata } : {}),
  };
  const entries: ExportedTxEntry[] = [];
  for (let i = 0; i < nEntries; i++) {
    const key = c.bytes(c.u16("entry key length"), "entry key");
    const md = parseKVMetadata(c.bytes(c.u16("entry metadata length"), "entry metadata"));
    const value = c.bytes(c.u32("entry value length"), "entry value");
    entries.push({ key, value, ...(md ? { metadata: md } : {}) });
  }
  let truncated = false;
  if (c.left > 0) {
    const flag = c.bytes(c.u16("truncation flag length"), "truncation flag");
    if (flag.length > 0 && (flag[0] ?? 0) > 1) throw malformed("invalid truncation flag");
    truncated = flag[0] === 1;
  }
  if (c.left !== 0) throw malformed("extra bytes after the entries");
  // A truncated transaction carries each value's SHA-256 in place of the value (and the flag is not hashed
  // anywhere): either way every entry is re-hashed against eH.
  const digests = entries.map((e) => {
    if (truncated && e.value.length !== 32) throw malformed("a truncated value is not a 32-byte digest");
    return entryDigest(version, {
      key: e.key,
      hValue: truncated ? e.value : sha256(e.value),
      ...(e.metadata ? { metadata: e.metadata } : {}),
    });
  });
  if (!bytesEqual(htreeRoot(digests), eh)) {
    throw new VerificationError(
      "eh-mismatch",
      `exported tx ${id}: the entries do not hash to the header's eH`,
    );
  }
  return { header, alh: alh(header), entries, truncated };
}

// ---- copy ----

/** Options of {@link copyTransactions}. */
export interface CopyTransactionsOptions extends CallOptions {
  /**
   * First transaction to copy. It must be the copy's next one: the default is the copy's current tx + 1, and
   * any other value is refused.
   */
  readonly fromTx?: bigint;
  /** Last transaction to copy (default: the source's current tx). */
  readonly toTx?: bigint;
  /**
   * Largest number of transactions proven and applied together (default 64): transactions are exported ahead,
   * proven against the source's trusted state in batches, and only then applied to the copy.
   */
  readonly batchSize?: number;
  /** Called after each applied transaction. */
  readonly onProgress?: (tx: bigint, toTx: bigint) => void;
}

/** What {@link copyTransactions} did. */
export interface CopyResult {
  /** Number of transactions applied to the copy. */
  readonly copied: number;
  /** The copy's state afterwards, equal to the source's proven state at the same transaction. */
  readonly txId: bigint;
  readonly txHash: Digest;
}

/** Most bytes of exported transactions held before a batch is proven and applied. */
const BATCH_BYTES = 64 * 1024 * 1024;

/**
 * Copies transactions `fromTx..toTx` of the source client's database to the target client's database, which
 * must be a replica database (`replicationSettings.replica = true`, with no primary configured) on a server of
 * the same immudb version, holding exactly the source's transactions up to `fromTx - 1`.
 *
 * Nothing unproven is applied: transactions are exported with `streamExportTx`, decoded and re-hashed
 * ({@link decodeExportedTx}), chained by their `prevAlh` from the copy's current state, and each batch's last
 * transaction is proven in the source's trusted history with `verifiedTxById` (dual proof from the source client's
 * trusted state) before the batch is applied with `replicateTx`. Each header the replica commits must have the
 * exported Alh, and the copy's final `currentState` must equal the proven source state.
 *
 * @throws VerificationError when any of those checks fails (transactions already applied stay applied; the
 *   failing one and the rest are not).
 */
export async function copyTransactions(
  from: ImmudbClient,
  to: ImmudbClient,
  options?: CopyTransactionsOptions,
): Promise<CopyResult> {
  const batchSize = options?.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidArgumentError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  const call: CallOptions = {
    ...(options?.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options?.signal ? { signal: options.signal } : {}),
  };
  const start = await to.currentState(call);
  const next = start.txId + 1n;
  const fromTx = options?.fromTx === undefined ? next : toUint64(options.fromTx, "fromTx");
  if (fromTx !== next) {
    throw new InvalidArgumentError(
      `the copy holds ${start.txId} transactions: the next one it can take is ${next}, not ${fromTx}`,
    );
  }
  const toTx =
    options?.toTx === undefined ? (await from.currentState(call)).txId : toUint64(options.toTx, "toTx");
  if (toTx < start.txId) {
    throw new InvalidArgumentError(`the copy is already at tx ${start.txId}, past toTx ${toTx}`);
  }
  if (toTx === start.txId) {
    if (toTx > 0n) await checkSameState(from, toTx, start.txHash, call);
    return { copied: 0, txId: start.txId, txHash: start.txHash };
  }

  let prev: Digest | undefined = start.txId > 0n ? start.txHash : undefined;
  let copied = 0;
  let batch: DecodedTx[] = [];
  let batchBytes = 0;
  const bytesOf = new Map<bigint, Uint8Array>();

  const apply = async () => {
    const last = batch[batch.length - 1];
    if (!last) return;
    const proven = await from.verifiedTxById(last.header.id, call);
    if (!bytesEqual(alh(proven.header), last.alh)) {
      throw new VerificationError(
        "alh-mismatch",
        `exported tx ${last.header.id} is not the one in the source's proven history`,
      );
    }
    for (const tx of batch) {
      const committed = await to.replicateTx(bytesOf.get(tx.header.id)!, { ...call, waitForIndexing: true });
      if (committed.id !== tx.header.id || !bytesEqual(alh(committed), tx.alh)) {
        throw new VerificationError(
          "alh-mismatch",
          `the copy committed tx ${committed.id} with another Alh than the exported tx ${tx.header.id}`,
        );
      }
      bytesOf.delete(tx.header.id);
      copied++;
      options?.onProgress?.(tx.header.id, toTx);
    }
    batch = [];
    batchBytes = 0;
  };

  function* range() {
    for (let tx = fromTx; tx <= toTx; tx++) yield tx;
  }
  for await (const { tx, bytes } of from.streamExportTx(range(), call)) {
    const decoded = decodeExportedTx(bytes);
    if (decoded.header.id !== tx) {
      throw new VerificationError(
        "header-mismatch",
        `asked for tx ${tx}, the source exported tx ${decoded.header.id}`,
      );
    }
    if (prev !== undefined && !bytesEqual(decoded.header.prevAlh, prev)) {
      throw new VerificationError(
        "linear-proof",
        `exported tx ${tx} does not follow the previous transaction (prevAlh differs)`,
      );
    }
    prev = decoded.alh;
    batch.push(decoded);
    bytesOf.set(tx, bytes);
    batchBytes += bytes.length;
    if (batch.length >= batchSize || batchBytes >= BATCH_BYTES || tx === toTx) await apply();
  }
  await apply();
  if (prev === undefined) throw new VerificationError("malformed-proof", "the source exported nothing");
  const end = await to.currentState(call);
  if (end.txId !== toTx || !bytesEqual(end.txHash, prev)) {
    throw new VerificationError(
      "alh-mismatch",
      `the copy's state (tx ${end.txId}) differs from the source's proven state at tx ${toTx}`,
    );
  }
  return { copied, txId: end.txId, txHash: end.txHash };
}

/** Proves the source's tx `txId` and compares it with the copy's state hash. */
async function checkSameState(
  from: ImmudbClient,
  txId: bigint,
  txHash: Uint8Array,
  call: CallOptions,
): Promise<void> {
  const proven = await from.verifiedTxById(txId, call);
  if (!bytesEqual(alh(proven.header), txHash)) {
    throw new VerificationError("alh-mismatch", `the copy's tx ${txId} differs from the source's proven one`);
  }
}
