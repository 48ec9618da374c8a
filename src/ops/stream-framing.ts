/**
 * immudb's chunked stream framing (`pkg/stream`), pure and transport-free.
 *
 * The `stream*`, `exportTx`, `replicateTx` and `streamExportTx` RPCs carry `Chunk{content, metadata}` messages.
 * Their contents, read back to back, are a sequence of *logical messages*, each `u64 BE length ‖ payload`. The
 * Go sender (`pkg/stream/sender.go`) starts every logical message in a new chunk, fills chunks up to the chunk
 * size (64 KiB by default, at least 4096; the first chunk of a message counts the 8-byte length), and puts
 * metadata on the first chunk of a message only. The encoder here produces exactly that layout. The decoder
 * reads the contents as one byte stream, as immudb's own `msgReceiver.Read` does, so it does not depend on
 * where the chunk boundaries fall.
 *
 * @module
 */
import { InvalidArgumentError, ServerError } from "../errors.js";

/** Chunk size immudb uses by default (`stream.DefaultChunkSize`). */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Smallest chunk size immudb accepts (`stream.MinChunkSize`). */
export const MIN_CHUNK_SIZE = 4096;
/** Largest chunk size this client sends: well under immudb's 32 MiB request limit. */
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/** Size of the length prefix of a logical message. */
export const LENGTH_PREFIX_SIZE = 8;

/** A received chunk, as generated from `immudb.schema.Chunk`. */
export interface ChunkLike {
  readonly content: Uint8Array;
  readonly metadata?: { readonly [key: string]: Uint8Array } | undefined;
}

/**
 * The server sent a stream that does not decode: a truncated message or an impossible length. A
 * {@link ServerError} with code `SERVER` (gRPC code 13, as for any undecodable response); verified operations
 * turn it into a `VerificationError` (`malformed-proof`).
 */
export class MalformedStreamError extends ServerError {
  constructor(rpc: string, message: string) {
    super("SERVER", { rpc, grpcCode: 13, message: `malformed stream: ${message}` });
    this.name = "MalformedStreamError";
  }
}

/** Checks a chunk size option (an integer in [{@link MIN_CHUNK_SIZE}, {@link MAX_CHUNK_SIZE}]). */
export function checkChunkSize(chunkSize: unknown): number {
  if (chunkSize === undefined) return DEFAULT_CHUNK_SIZE;
  if (
    typeof chunkSize !== "number" ||
    !Number.isInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_SIZE ||
    chunkSize > MAX_CHUNK_SIZE
  ) {
    throw new InvalidArgumentError(
      `chunkSize must be an integer between ${MIN_CHUNK_SIZE} and ${MAX_CHUNK_SIZE}, got ${String(chunkSize)}`,
    );
  }
  return chunkSize;
}

/** Writes `n` as a big-endian u64 at `offset`. */
export function putU64(out: Uint8Array, offset: number, n: number | bigint): void {
  new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(offset, BigInt(n));
}

/** Reads a big-endian u64 at `offset`. */
export function getU64(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
}

/** An 8-byte big-endian u64 (`stream.NumberToBytes(uint64)`). */
export function u64Bytes(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  putU64(out, 0, n);
  return out;
}

/**
 * The chunk contents of one logical message held in memory. The first chunk is a fresh buffer (length prefix
 * and the first bytes); the following ones are views of `payload` (no copy).
 */
export function* encodeMessage(
  payload: Uint8Array,
  chunkSize: number = DEFAULT_CHUNK_SIZE,
): Generator<Uint8Array, void, undefined> {
  const first = new Uint8Array(Math.min(chunkSize, LENGTH_PREFIX_SIZE + payload.length));
  putU64(first, 0, payload.length);
  const head = first.length - LENGTH_PREFIX_SIZE;
  first.set(payload.subarray(0, head), LENGTH_PREFIX_SIZE);
  yield first;
  for (let off = head; off < payload.length; off += chunkSize) {
    yield payload.subarray(off, Math.min(off + chunkSize, payload.length));
  }
}

/**
 * The chunk contents of one logical message of a declared `size` whose payload comes from `source` in pieces of
 * any size. Produces the same chunks as {@link encodeMessage} of the concatenated pieces, holding at most one
 * chunk in memory. `onPiece` sees every piece as it passes (e.g. to hash it).
 *
 * @throws InvalidArgumentError when `source` yields something else than Uint8Arrays, or more or fewer than
 *   `size` bytes.
 */
export async function* encodeStreamedMessage(
  size: number,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  chunkSize: number = DEFAULT_CHUNK_SIZE,
  onPiece?: (piece: Uint8Array) => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  let buf = new Uint8Array(Math.min(chunkSize, LENGTH_PREFIX_SIZE + size));
  putU64(buf, 0, size);
  let fill = LENGTH_PREFIX_SIZE;
  let consumed = 0;
  for await (const piece of source) {
    if (!(piece instanceof Uint8Array)) {
      throw new InvalidArgumentError("a streamed value must yield Uint8Array pieces");
    }
    if (consumed + piece.length > size) {
      throw new InvalidArgumentError(`the streamed value is longer than its declared size of ${size} bytes`);
    }
    onPiece?.(piece);
    let off = 0;
    while (off < piece.length) {
      const n = Math.min(buf.length - fill, piece.length - off);
      buf.set(piece.subarray(off, off + n), fill);
      fill += n;
      off += n;
      consumed += n;
      if (fill === buf.length) {
        yield buf;
        buf = new Uint8Array(Math.min(chunkSize, size - consumed));
        fill = 0;
      }
    }
  }
  if (consumed < size) {
    throw new InvalidArgumentError(
      `the streamed value ended after ${consumed} bytes, before its declared size of ${size} bytes`,
    );
  }
  // Only an empty message leaves its (8-byte) chunk unsent here: a full buffer is always sent at once.
  if (fill > 0) yield buf;
}

const EMPTY = new Uint8Array(0);

/**
 * Reads logical messages from a stream of chunks. Pull-based: nothing is read ahead beyond the chunk that holds
 * the bytes asked for, so a large message can be consumed piece by piece ({@link pieces}) without buffering it.
 * Call {@link close} when done early: it ends the underlying iteration (which cancels the RPC).
 */
export class MessageReader {
  readonly #rpc: string;
  readonly #it: AsyncIterator<ChunkLike>;
  #buf: Uint8Array = EMPTY;
  #off = 0;
  #done = false;
  #chunkMetadata: { readonly [key: string]: Uint8Array } | undefined;
  #messageMetadata: { readonly [key: string]: Uint8Array } | undefined;

  /**
   * @param chunks - the received chunks.
   * @param rpc - the RPC's name, for errors.
   */
  constructor(chunks: AsyncIterable<ChunkLike>, rpc: string) {
    this.#it = chunks[Symbol.asyncIterator]();
    this.#rpc = rpc;
  }

  /** Metadata of the chunk the last message started in (immudb sends metadata on that chunk only). */
  get metadata(): { readonly [key: string]: Uint8Array } | undefined {
    return this.#messageMetadata;
  }

  /** Makes sure unread bytes are at hand; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#off >= this.#buf.length) {
      if (this.#done) return false;
      const r = await this.#it.next();
      if (r.done) {
        this.#done = true;
        this.#buf = EMPTY;
        this.#off = 0;
        return false;
      }
      this.#buf = r.value.content ?? EMPTY;
      this.#off = 0;
      this.#chunkMetadata =
        r.value.metadata && Object.keys(r.value.metadata).length > 0 ? r.value.metadata : undefined;
    }
    return true;
  }

  #fail(message: string): MalformedStreamError {
    return new MalformedStreamError(this.#rpc, message);
  }

  /**
   * Reads the length prefix of the next message, or `undefined` when the stream ended cleanly before it.
   * Follow it with {@link pieces} (or use {@link next}).
   */
  async nextLength(): Promise<number | undefined> {
    if (!(await this.#fill())) return undefined;
    this.#messageMetadata = this.#chunkMetadata;
    const prefix = new Uint8Array(LENGTH_PREFIX_SIZE);
    let got = 0;
    while (got < LENGTH_PREFIX_SIZE) {
      if (!(await this.#fill())) throw this.#fail("the stream ended inside a length prefix");
      const n = Math.min(LENGTH_PREFIX_SIZE - got, this.#buf.length - this.#off);
      prefix.set(this.#buf.subarray(this.#off, this.#off + n), got);
      this.#off += n;
      got += n;
    }
    const length = getU64(prefix);
    if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw this.#fail(`impossible message length ${length}`);
    return Number(length);
  }

  /**
   * Yields the `length` payload bytes of the current message, as views of the received chunks (no copy).
   *
   * @throws MalformedStreamError when the stream ends before.
   */
  async *pieces(length: number): AsyncGenerator<Uint8Array, void, undefined> {
    let left = length;
    while (left > 0) {
      if (!(await this.#fill()))
        throw this.#fail(`the stream ended ${left} bytes before the end of a message`);
      const n = Math.min(left, this.#buf.length - this.#off);
      const piece = this.#buf.subarray(this.#off, this.#off + n);
      this.#off += n;
      left -= n;
      yield piece;
    }
  }

  /** Reads the next whole message, or `undefined` when the stream ended cleanly before it. */
  async next(): Promise<Uint8Array | undefined> {
    const length = await this.nextLength();
    if (length === undefined) return undefined;
    if (length === 0) return new Uint8Array(0);
    // Fast path: the whole message is in the current chunk.
    if ((await this.#fill()) && this.#buf.length - this.#off >= length) {
      const out = this.#buf.subarray(this.#off, this.#off + length);
      this.#off += length;
      return out;
    }
    const parts: Uint8Array[] = [];
    for await (const p of this.pieces(length)) parts.push(p);
    return concat(parts, length);
  }

  /** Like {@link next}, but a missing message is an error. */
  async expect(what: string): Promise<Uint8Array> {
    const m = await this.next();
    if (m === undefined) throw this.#fail(`the stream ended before the ${what}`);
    return m;
  }

  /** Whether the stream ended with no bytes left over. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }

  /** Stops reading: ends the underlying iteration (cancelling the call if it is still running). Idempotent. */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#buf = EMPTY;
    this.#off = 0;
    await this.#it.return?.();
  }
}

/** Concatenates `parts` (of total length `length`). */
export function concat(parts: readonly Uint8Array[], length?: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0];
  const total = length ?? parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
