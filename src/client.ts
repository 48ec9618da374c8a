/**
 * `ImmudbClient`: the facade users hold. Thin methods that validate input, call one RPC through the session,
 * and convert the answer.
 *
 * @module
 */
import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { entryFromProto, txHeaderFromProto } from "./convert/index.js";
import { ImmudbError, InvalidArgumentError, ServerError } from "./errors.js";
import { ImmuService } from "./gen/schema_pb.js";
import { toBytes, toKey, toUint64 } from "./internal/bytes.js";
import { type ClientOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { type SessionInfo, SessionManager } from "./session.js";
import { GrpcTransport } from "./transport/grpc.js";
import type { CallOptions, Entry, GetOptions, HealthInfo, WriteResult } from "./types.js";

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
    options?: CallOptions,
  ): Promise<WriteResult> {
    const k = toKey(key);
    const v = toBytes(value, "value");
    const res = await this.#call(ImmuService.method.set, { KVs: [{ key: k, value: v }] }, options);
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
