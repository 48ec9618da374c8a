/**
 * `ImmudbClient`: the facade users hold. Thin methods that validate input, call one RPC through the session,
 * and convert the answer.
 *
 * @module
 */
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { entryFromProto, txHeaderFromProto } from "./convert/index.js";
import { ImmudbError, InvalidArgumentError, ServerError } from "./errors.js";
import {
  ImmuService,
  type Precondition,
  Precondition_KeyMustExistPreconditionSchema,
  Precondition_KeyMustNotExistPreconditionSchema,
  Precondition_KeyNotModifiedAfterTXPreconditionSchema,
  PreconditionSchema,
} from "./gen/schema_pb.js";
import { toBytes, toKey, toUint64 } from "./internal/bytes.js";
import { type ClientOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { type SessionInfo, SessionManager } from "./session.js";
import { MemoryStateStore, type StateStore, type TrustedState } from "./state/index.js";
import { GrpcTransport } from "./transport/grpc.js";
import { TrustManager } from "./trust.js";
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
import { type KVToWrite, kvMetadataToProto, type VerifiedTx, Verifier } from "./verified.js";
import { digestFromProto, parseSigningPublicKey, type SigningPublicKey } from "./verify/index.js";

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
  readonly #options: ResolvedOptions;
  readonly #transport: GrpcTransport;
  readonly #sessions: SessionManager;
  readonly #store: StateStore;
  readonly #signingKey: SigningPublicKey | undefined;
  readonly #verifier: Verifier;
  #trust: TrustManager | undefined;
  #closing: Promise<void> | undefined;

  private constructor(options: ResolvedOptions) {
    this.#options = options;
    this.#transport = new GrpcTransport({
      address: `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`,
      tls: options.tls,
      maxReceiveMessageBytes: options.maxReceiveMessageBytes,
      maxSendMessageBytes: options.maxSendMessageBytes,
    });
    this.#sessions = new SessionManager(this.#transport, options);
    this.#store = options.stateStore ?? new MemoryStateStore();
    this.#signingKey =
      options.serverSigningKey === undefined ? undefined : parseSigningPublicKey(options.serverSigningKey);
    if (options.trustedState) {
      const t = options.trustedState;
      if (typeof t.txId !== "bigint" || t.txId < 0n)
        throw new InvalidArgumentError("trustedState.txId must be a bigint >= 0");
      if (!(t.txHash instanceof Uint8Array) || t.txHash.length !== 32) {
        throw new InvalidArgumentError("trustedState.txHash must be 32 bytes");
      }
    }
    this.#verifier = new Verifier(
      (method, input, opts) => this.#call(method, input, opts),
      () => this.#trustManager(),
    );
  }

  /**
   * The trust of the current (server, database), created on first use. Pins the server address to the server's
   * UUID in the state store, so a different server answering on the same address is refused.
   */
  async #trustManager(): Promise<TrustManager> {
    const s = await this.#sessions.session();
    const t = this.#trust;
    if (t && t.serverUuid === s.serverUuid && t.database === s.database) return t;
    await this.#store.pinServerIdentity(this.address, s.serverUuid);
    const initial =
      this.#options.trustedState && s.database === this.#options.database
        ? { txId: this.#options.trustedState.txId, txHash: this.#options.trustedState.txHash }
        : undefined;
    const trust = new TrustManager({
      store: this.#store,
      serverUuid: s.serverUuid,
      database: s.database,
      signingKey: this.#signingKey,
      initial,
      deps: {
        currentState: async () => {
          const st = await this.#call(ImmuService.method.currentState, {}, undefined);
          return {
            txId: st.txId,
            txHash: digestFromProto(st.txHash),
            signature: st.signature && st.signature.signature.length > 0 ? st.signature.signature : undefined,
          };
        },
        proveConsistent: (lo, hi) => this.#verifier.proveConsistent(lo, hi),
      },
    });
    this.#trust = trust;
    return trust;
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
      await client.#sessions.session();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The address this client talks to, as `host:port` (never includes credentials). */
  get address(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  /** The database this client works on. */
  get database(): string {
    return this.#sessions.database;
  }

  /** The current session (id, server UUID, database), opening one if needed. */
  session(): Promise<SessionInfo> {
    return this.#sessions.session();
  }

  /**
   * Calls a unary RPC within the session. When the server no longer knows the session (restart, idle
   * timeout), the session is reopened and the call sent again once: immudb rejects an unknown session before
   * running the request, so nothing was executed.
   */
  async #call<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options: CallOptions | undefined,
  ): Promise<MessageShape<O>> {
    for (let attempt = 0; ; attempt++) {
      const s = await this.#sessions.session();
      try {
        return await this.#transport.unary(method, input, {
          metadata: { sessionid: s.id },
          timeoutMs: options?.timeoutMs ?? this.#options.timeoutMs,
          signal: options?.signal,
        });
      } catch (err) {
        if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND" && attempt === 0) {
          this.#options.logger.info("immudb-ts: the server lost the session; reopening it");
          this.#sessions.invalidate(s.id);
          continue;
        }
        throw err;
      }
    }
  }

  /** Asks the server whether it is up (no session needed). */
  async health(options?: CallOptions): Promise<HealthInfo> {
    const res = await this.#transport.unary(
      ImmuService.method.health,
      {},
      { timeoutMs: options?.timeoutMs ?? this.#options.timeoutMs, signal: options?.signal },
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
    const res = await this.#call(
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
      return entryFromProto(await this.#call(ImmuService.method.get, req, options));
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
  async verifiedSetAll(
    entries: readonly {
      key: Uint8Array | string;
      value: Uint8Array | string;
      expiresAt?: bigint | Date;
      nonIndexable?: boolean;
    }[],
    options?: WriteOptions,
  ): Promise<WriteResult> {
    const kvs = toKVs(entries, options);
    return this.#verifier.set(
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
    return this.#verifier.get(req.key, req, options);
  }

  /**
   * Reads a transaction and proves it: its header is in the trusted history, and every returned entry hashes
   * to that header (the Go SDK does not check the entries).
   */
  async verifiedTxById(txId: bigint, options?: CallOptions): Promise<VerifiedTx> {
    const tx = toUint64(txId, "txId");
    if (tx === 0n) throw new InvalidArgumentError("txId must be >= 1");
    return this.#verifier.txById(tx, options);
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
    return this.#verifier.setReference(
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
    return this.#verifier.zAdd(toKey(set, "set"), score, toKey(key), atTx, options?.noWait ?? false, options);
  }

  /**
   * The server's current state of the database (its last transaction and Alh). Its signature is checked when a
   * signing key is configured. This never changes the trusted state: it is the server's word, not a proof.
   */
  async currentState(options?: CallOptions): Promise<ServerState> {
    const st = await this.#call(ImmuService.method.currentState, {}, options);
    const state = {
      database: st.db,
      txId: st.txId,
      txHash: digestFromProto(st.txHash),
      signature: st.signature && st.signature.signature.length > 0 ? st.signature.signature : undefined,
    };
    const trust = await this.#trustManager();
    trust.checkSignature(state);
    return state;
  }

  /** The trusted state of the current database, as stored (or `undefined` before the first verified call). */
  async trustedState(): Promise<TrustedState | undefined> {
    return (await this.#trustManager()).stored();
  }

  /** Closes the session and the connection. Idempotent; pending calls fail with a `ConnectionError`. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#sessions.close();
      this.#transport.close();
    })();
    return this.#closing;
  }

  /** Same as {@link close}, for `await using client = await ImmudbClient.connect(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function toKVs(
  entries: readonly {
    key: Uint8Array | string;
    value: Uint8Array | string;
    expiresAt?: bigint | Date;
    nonIndexable?: boolean;
  }[],
  options: WriteOptions | undefined,
): KVToWrite[] {
  if (!Array.isArray(entries) || entries.length === 0)
    throw new InvalidArgumentError("entries must be a non-empty array");
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const key = toKey(e?.key, `entries[${i}].key`);
    const id = Buffer.from(key).toString("base64");
    if (seen.has(id))
      throw new InvalidArgumentError(`entries[${i}].key is a duplicate; keys must be distinct`);
    seen.add(id);
    const expiresAt = e.expiresAt ?? options?.expiresAt;
    const nonIndexable = e.nonIndexable ?? options?.nonIndexable ?? false;
    const metadata =
      expiresAt !== undefined || nonIndexable
        ? {
            ...(expiresAt !== undefined ? { expiresAt: toUnixSeconds(expiresAt) } : {}),
            ...(nonIndexable ? { nonIndexable: true } : {}),
          }
        : undefined;
    return { key, value: toBytes(e.value, `entries[${i}].value`), metadata };
  });
}

function toUnixSeconds(t: bigint | Date): bigint {
  if (typeof t === "bigint") return t;
  if (t instanceof Date && Number.isFinite(t.getTime())) return BigInt(Math.floor(t.getTime() / 1000));
  throw new InvalidArgumentError("expiresAt must be a Date or a bigint of Unix seconds");
}

function toPreconditions(options: WriteOptions | undefined) {
  const out: Precondition[] = [];
  for (const p of options?.preconditions ?? []) {
    const key = toKey(p.key, "precondition key");
    if (p.type === "mustExist") {
      out.push(
        create(PreconditionSchema, {
          precondition: {
            case: "keyMustExist",
            value: create(Precondition_KeyMustExistPreconditionSchema, { key }),
          },
        }),
      );
    } else if (p.type === "mustNotExist") {
      out.push(
        create(PreconditionSchema, {
          precondition: {
            case: "keyMustNotExist",
            value: create(Precondition_KeyMustNotExistPreconditionSchema, { key }),
          },
        }),
      );
    } else if (p.type === "notModifiedAfterTx") {
      const txID = toUint64(p.txId, "precondition txId");
      out.push(
        create(PreconditionSchema, {
          precondition: {
            case: "keyNotModifiedAfterTX",
            value: create(Precondition_KeyNotModifiedAfterTXPreconditionSchema, { key, txID }),
          },
        }),
      );
    } else throw new InvalidArgumentError("unknown precondition type");
  }
  return out;
}

function keyRequest(key: unknown, options: GetOptions | undefined) {
  const k = toKey(key);
  const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
  const sinceTx = options?.sinceTx === undefined ? 0n : toUint64(options.sinceTx, "sinceTx");
  let atRevision = 0n;
  if (options?.atRevision !== undefined) {
    if (typeof options.atRevision !== "bigint") throw new InvalidArgumentError("atRevision must be a bigint");
    atRevision = options.atRevision;
  }
  if (options?.atTx !== undefined && (options.sinceTx !== undefined || options.atRevision !== undefined)) {
    throw new InvalidArgumentError("atTx cannot be combined with sinceTx or atRevision");
  }
  return { key: k, atTx, sinceTx, atRevision, noWait: options?.noWait ?? false };
}
