/**
 * `ImmudbClient`: the facade users hold. Thin methods that validate input and delegate to the operation
 * modules with the client's {@link ClientContext}.
 *
 * @module
 */
import { ClientContext } from "./context.js";
import { entryFromProto, txHeaderFromProto } from "./convert/index.js";
import { InvalidArgumentError, ServerError } from "./errors.js";
import { ImmuService } from "./gen/schema_pb.js";
import { toKey, toUint64 } from "./internal/bytes.js";
import { type EntryInput, keyRequest, toKVs, toPreconditions } from "./ops/args.js";
import { type ClientOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { SessionInfo } from "./session.js";
import type { TrustedState } from "./state/index.js";
import type {
  CallOptions,
  Entry,
  GetOptions,
  HealthInfo,
  ServerState,
  VerifiedGetOptions,
  WriteOptions,
  WriteResult,
} from "./types.js";
import { kvMetadataToProto, type VerifiedTx } from "./verified.js";
import { digestFromProto } from "./verify/index.js";

/**
 * A client of one immudb server, bound to one database through an immudb session.
 *
 * @example
 * ```ts
 * import { ImmudbClient } from "immudb-ts";
 *
 * const client = await ImmudbClient.connect("immudb://immudb:immudb@127.0.0.1:3322/defaultdb");
 * try {
 *   const header = await client.set("greeting", "hello");
 *   const entry = await client.get("greeting");
 *   console.log(header.id, new TextDecoder().decode(entry?.value));
 * } finally {
 *   await client.close();
 * }
 * ```
 */
export class ImmudbClient {
  readonly #ctx: ClientContext;
  #closing: Promise<void> | undefined;

  private constructor(options: ResolvedOptions) {
    this.#ctx = new ClientContext(options);
  }

  /**
   * Connects and opens a session. Rejects with a `ConnectionError` when the server cannot be reached and an
   * `AuthenticationError` for bad credentials; the password never appears in errors.
   *
   * @param options - an `immudb://user:password@host:port/database` URL or a {@link ClientOptions} object.
   */
  static async connect(options?: string | ClientOptions): Promise<ImmudbClient> {
    const client = new ImmudbClient(resolveOptions(options));
    try {
      await client.#ctx.sessions.session();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The address this client talks to, as `host:port` (never includes credentials). */
  get address(): string {
    return this.#ctx.address;
  }

  /** The database this client works on. */
  get database(): string {
    return this.#ctx.sessions.database;
  }

  /** The current session (id, server UUID, database), opening one if needed. */
  session(): Promise<SessionInfo> {
    return this.#ctx.sessions.session();
  }

  /** Asks the server whether it is up (no session needed). */
  async health(options?: CallOptions): Promise<HealthInfo> {
    const res = await this.#ctx.transport.unary(
      ImmuService.method.health,
      {},
      { timeoutMs: options?.timeoutMs ?? this.#ctx.options.timeoutMs, signal: options?.signal },
    );
    return { status: res.status, version: res.version };
  }

  /**
   * Writes one key-value pair in a new transaction (not verified; see `verifiedSet`).
   *
   * @param key - non-empty, at most 1023 bytes; strings are UTF-8 encoded.
   * @param value - strings are UTF-8 encoded.
   * @returns the header of the committed transaction.
   * @throws InvalidArgumentError for a bad key or value (before any RPC).
   */
  async set(
    key: Uint8Array | string,
    value: Uint8Array | string,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    const kvs = toKVs([{ key, value }], options);
    const res = await this.#ctx.unary(
      ImmuService.method.set,
      {
        KVs: kvs.map((kv) => ({ key: kv.key, value: kv.value, metadata: kvMetadataToProto(kv.metadata) })),
        noWait: options?.noWait ?? false,
        preconditions: toPreconditions(options),
      },
      options,
    );
    return txHeaderFromProto(res);
  }

  /**
   * Reads a key (not verified; see `verifiedGet`).
   *
   * @returns the entry, or `undefined` when the key does not exist, was deleted or has expired. (immudb has no
   *   proof of absence: `undefined` is the server's word.)
   * @throws InvalidArgumentError for a bad key or conflicting options (before any RPC).
   */
  async get(key: Uint8Array | string, options?: GetOptions): Promise<Entry | undefined> {
    const req = keyRequest(key, options);
    try {
      return entryFromProto(await this.#ctx.unary(ImmuService.method.get, req, options));
    } catch (err) {
      if (err instanceof ServerError && err.code === "KEY_NOT_FOUND") return undefined;
      throw err;
    }
  }

  /**
   * Writes one key-value pair and proves it: the new transaction holds exactly this entry, and it extends the
   * trusted history (dual proof from the trusted state, signature when a signing key is configured). Only then
   * is the trusted state advanced.
   *
   * @throws VerificationError when any proof fails; the trusted state is then unchanged.
   */
  async verifiedSet(
    key: Uint8Array | string,
    value: Uint8Array | string,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    return this.verifiedSetAll([{ key, value }], options);
  }

  /**
   * Writes several key-value pairs in one atomic transaction and proves every entry (see {@link verifiedSet}).
   * Keys must be distinct.
   */
  async verifiedSetAll(entries: readonly EntryInput[], options?: WriteOptions): Promise<WriteResult> {
    const kvs = toKVs(entries, options);
    return this.#ctx.verifier.set(
      kvs,
      { noWait: options?.noWait ?? false, preconditions: toPreconditions(options) },
      options,
    );
  }

  /**
   * Reads a key and proves the value: its entry is in its transaction, and that transaction is in the trusted
   * history. For a reference, the reference entry and the referenced value are both proven.
   *
   * @throws ServerError `KEY_NOT_FOUND` when the key does not exist (absence cannot be proven).
   * @throws VerificationError when any proof fails; the trusted state is then unchanged.
   */
  async verifiedGet(key: Uint8Array | string, options?: VerifiedGetOptions): Promise<Entry> {
    const req = keyRequest(key, options);
    return this.#ctx.verifier.get(req.key, req, options);
  }

  /**
   * Reads a transaction and proves it: its header is in the trusted history, and every returned entry hashes
   * to that header (the Go SDK does not check the entries).
   */
  async verifiedTxById(txId: bigint, options?: CallOptions): Promise<VerifiedTx> {
    const tx = toUint64(txId, "txId");
    if (tx === 0n) throw new InvalidArgumentError("txId must be >= 1");
    return this.#ctx.verifier.txById(tx, options);
  }

  /**
   * Creates a reference (alias) `key` → `referencedKey` and proves the write. With `atTx`, the reference is bound
   * to the value the referenced key had at that transaction; otherwise it follows the latest value.
   */
  async verifiedSetReference(
    key: Uint8Array | string,
    referencedKey: Uint8Array | string,
    options?: WriteOptions & { readonly atTx?: bigint },
  ): Promise<WriteResult> {
    const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
    return this.#ctx.verifier.setReference(
      toKey(key),
      toKey(referencedKey, "referencedKey"),
      atTx,
      options?.noWait ?? false,
      options,
    );
  }

  /**
   * Adds `key` to the sorted set `set` with `score`, and proves the write. With `atTx`, the member is bound to
   * the value the key had at that transaction.
   */
  async verifiedZAdd(
    set: Uint8Array | string,
    score: number,
    key: Uint8Array | string,
    options?: WriteOptions & { readonly atTx?: bigint },
  ): Promise<WriteResult> {
    if (typeof score !== "number" || !Number.isFinite(score)) {
      throw new InvalidArgumentError("score must be a finite number");
    }
    const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
    return this.#ctx.verifier.zAdd(
      toKey(set, "set"),
      score,
      toKey(key),
      atTx,
      options?.noWait ?? false,
      options,
    );
  }

  /**
   * The server's current state of the database (its last transaction and Alh). Its signature is checked when a
   * signing key is configured. This never changes the trusted state: it is the server's word, not a proof.
   */
  async currentState(options?: CallOptions): Promise<ServerState> {
    const st = await this.#ctx.unary(ImmuService.method.currentState, {}, options);
    const state = {
      database: st.db,
      txId: st.txId,
      txHash: digestFromProto(st.txHash),
      signature: st.signature && st.signature.signature.length > 0 ? st.signature.signature : undefined,
    };
    const trust = await this.#ctx.trust();
    trust.checkSignature(state);
    return state;
  }

  /** The trusted state of the current database, as stored (or `undefined` before the first verified call). */
  async trustedState(): Promise<TrustedState | undefined> {
    return (await this.#ctx.trust()).stored();
  }

  /** Closes the session and the connection. Idempotent; pending calls fail with a `ConnectionError`. */
  close(): Promise<void> {
    this.#closing ??= this.#ctx.close();
    return this.#closing;
  }

  /** Same as {@link close}, for `await using client = await ImmudbClient.connect(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
