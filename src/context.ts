/**
 * What every operation module needs: session-bound RPC calls, the resolved options, and the trust machinery.
 * The client facade owns one context and passes it to the operation modules (`src/ops/*`).
 *
 * @module
 */
import type {
  DescMessage,
  DescMethodBiDiStreaming,
  DescMethodClientStreaming,
  DescMethodServerStreaming,
  DescMethodUnary,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { type Authenticator, type Credentials, TokenManager } from "./auth.js";
import { txHeaderFromProto } from "./convert/index.js";
import { ImmudbError, InvalidArgumentError, StateError, TimeoutError } from "./errors.js";
import { EntryTypeAction, ImmuService } from "./gen/schema_pb.js";
import type { ResolvedOptions } from "./options.js";
import { backoffDelay, busyRetryable, isRetryable, rpcKind, rpcPath, sleep, writeFailure } from "./retry.js";
import { SessionManager } from "./session.js";
import { MemoryStateStore, type StateStore } from "./state/index.js";
import { GrpcTransport, type RpcOptions } from "./transport/grpc.js";
import { TrustManager } from "./trust.js";
import type { CallOptions } from "./types.js";
import { Verifier } from "./verified.js";
import {
  digestFromProto,
  parseSigningPublicKey,
  type SigningPublicKey,
  type TxHeader,
} from "./verify/index.js";

const EXCLUDE_ALL_ENTRIES = {
  kvEntriesSpec: { action: EntryTypeAction.EXCLUDE },
  zEntriesSpec: { action: EntryTypeAction.EXCLUDE },
  sqlEntriesSpec: { action: EntryTypeAction.EXCLUDE },
};

/** The shared machinery of one client. */
export class ClientContext {
  /** Options with defaults filled in. */
  readonly options: ResolvedOptions;
  /** The gRPC connection. */
  readonly transport: GrpcTransport;
  /** How calls are authenticated: the session manager, or the token manager with `auth: "token"`. */
  readonly auth: Authenticator;
  /** Where trusted states are kept. */
  readonly store: StateStore;
  /** Verified operations. */
  readonly verifier: Verifier;
  readonly #signingKey: SigningPublicKey | undefined;
  #trust: TrustManager | undefined;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.store = options.stateStore ?? new MemoryStateStore();
    this.#signingKey =
      options.serverSigningKey === undefined ? undefined : parseSigningPublicKey(options.serverSigningKey);
    if (options.trustedState) {
      const t = options.trustedState;
      if (typeof t.txId !== "bigint" || t.txId < 0n) {
        throw new InvalidArgumentError("trustedState.txId must be a bigint >= 0");
      }
      if (!(t.txHash instanceof Uint8Array) || t.txHash.length !== 32) {
        throw new InvalidArgumentError("trustedState.txHash must be 32 bytes");
      }
    }
    this.transport = new GrpcTransport({
      address: `${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`,
      tls: options.tls,
      maxReceiveMessageBytes: options.maxReceiveMessageBytes,
      maxSendMessageBytes: options.maxSendMessageBytes,
    });
    this.auth =
      options.auth === "token"
        ? new TokenManager(this.transport, options)
        : new SessionManager(this.transport, options);
    this.verifier = new Verifier(
      (method, input, opts) => this.unary(method, input, opts),
      () => this.trust(),
    );
  }

  /** `host:port` of the server (never includes credentials). */
  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /**
   * The immudb session manager. Only with `auth: "session"` (the default): sessions (and so interactive
   * transactions) do not exist in token mode, where this throws.
   */
  get sessions(): SessionManager {
    if (this.auth instanceof SessionManager) return this.auth;
    throw new InvalidArgumentError(
      'this needs an immudb session: connect with auth: "session" (the default)',
    );
  }

  /** The token manager, with `auth: "token"`; throws in session mode. */
  get tokens(): TokenManager {
    if (this.auth instanceof TokenManager) return this.auth;
    throw new InvalidArgumentError('login() and logout() need auth: "token" (this client uses sessions)');
  }

  /**
   * Runs one call under the client's policies (see `ClientOptions.retry`): one overall deadline for all
   * attempts; credentials from {@link auth} (unless `authenticated` is false); credentials the server no longer
   * accepts (lost session, forgotten or expired token) renewed and the call sent again, once per attempt: immudb
   * rejects them before running anything; reads (`src/retry.ts`) retried with backoff on transient failures;
   * writes retried only when immudb refused them as busy before running them (`busyRetryable`), and a write
   * that failed after it may have reached the server reported as `UnknownOutcomeError`.
   */
  async #run<T>(
    method: Pick<DescMethodUnary<DescMessage, DescMessage>, "name" | "parent">,
    options: CallOptions | undefined,
    send: (rpc: RpcOptions, creds: Credentials | undefined) => Promise<T>,
    authenticated = true,
  ): Promise<T> {
    const rpc = rpcPath(method);
    const kind = rpcKind(method);
    const policy = this.options.retry;
    const timeoutMs = options?.timeoutMs ?? this.options.timeoutMs;
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : undefined;
    let renewed = false;
    for (let attempt = 1; ; ) {
      let creds: Credentials | undefined;
      let sent = false;
      try {
        if (authenticated) creds = await this.auth.credentials();
        const remaining = deadline === undefined ? 0 : deadline - Date.now();
        if (deadline !== undefined && remaining <= 0) throw new TimeoutError(`${rpc}: deadline exceeded`);
        sent = true;
        return await send(
          { metadata: creds?.metadata, timeoutMs: remaining, signal: options?.signal },
          creds,
        );
      } catch (err) {
        if (sent && creds && !renewed && this.auth.isLost(err)) {
          this.options.logger.info(
            `immudb-ts: the server no longer accepts the ${this.auth.mode}; renewing it`,
          );
          this.auth.invalidate(creds.key);
          renewed = true;
          continue;
        }
        if (
          attempt < policy.maxAttempts &&
          ((kind === "read" && isRetryable(err)) || busyRetryable(kind, rpc, err))
        ) {
          const delay = backoffDelay(attempt, policy, err);
          if (deadline === undefined || Date.now() + delay < deadline) {
            this.options.logger.debug(
              `immudb-ts: ${rpc} failed (${(err as Error).message}); retry ${attempt} in ${delay} ms`,
            );
            await sleep(delay, options?.signal, rpc);
            attempt++;
            renewed = false;
            continue;
          }
        }
        throw kind === "write" && sent ? writeFailure(rpc, err) : err;
      }
    }
  }

  #rpcOptions(
    sessionId: string,
    options: CallOptions | undefined,
    extra?: Readonly<Record<string, string>>,
  ): RpcOptions {
    return {
      metadata: { ...extra, sessionid: sessionId },
      timeoutMs: options?.timeoutMs ?? this.options.timeoutMs,
      signal: options?.signal,
    };
  }

  /**
   * Calls a unary RPC with the client's credentials. When the server no longer accepts them (session lost to a
   * restart or idle timeout, token forgotten or expired) they are renewed and the call sent again: immudb
   * rejects them before running the request, so nothing was executed. Reads are retried on transient failures;
   * a write that may have reached the server before failing rejects with `UnknownOutcomeError` (see `#run`).
   */
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    return this.#run(method, options, (rpc) => this.transport.unary(method, input, rpc));
  }

  /** {@link unary} without credentials, for RPCs that need none (`Health`). Same retry policy. */
  unauthenticatedUnary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    return this.#run(method, options, (rpc) => this.transport.unary(method, input, rpc), false);
  }

  /**
   * Calls a server-streaming RPC with the client's credentials. Leaving the loop early cancels the call. Until
   * the first message arrives, the policies of {@link unary} apply (renewed credentials, retried reads); a
   * failure after it is thrown as is.
   */
  async *serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    let stream: AsyncGenerator<MessageShape<O>, void, undefined> | undefined;
    let first: IteratorResult<MessageShape<O>, void> | undefined;
    let creds: Credentials | undefined;
    // Open the stream and read its first message under the policies.
    await this.#run(method, options, async (rpc, c) => {
      creds = c;
      const s = this.transport.serverStream(method, input, rpc);
      try {
        first = await s.next();
      } catch (err) {
        await s.return(undefined).catch(() => undefined);
        throw err;
      }
      stream = s;
    });
    if (!stream || !first || first.done) return;
    try {
      yield first.value;
      yield* stream;
    } catch (err) {
      if (creds && this.auth.isLost(err)) this.auth.invalidate(creds.key);
      throw err;
    } finally {
      await stream.return(undefined).catch(() => undefined);
    }
  }

  /**
   * Calls a client-streaming RPC (all of them write) with the client's credentials; `metadata` is sent with
   * them. Never resent (the inputs may be a one-shot iterable): a failure after the call may have reached the
   * server rejects with `UnknownOutcomeError`; lost credentials are renewed for the next call.
   */
  async clientStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodClientStreaming<I, O>,
    inputs: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
    options?: CallOptions,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<MessageShape<O>> {
    const creds = await this.auth.credentials();
    const rpcOptions = this.#rpcFor(creds, options, metadata);
    try {
      return await this.transport.clientStream(method, inputs, rpcOptions);
    } catch (err) {
      if (this.auth.isLost(err)) this.auth.invalidate(creds.key);
      throw rpcKind(method) === "write" ? writeFailure(rpcPath(method), err) : err;
    }
  }

  /** Calls a bidirectional-streaming RPC with the client's credentials. Leaving the loop early cancels the call. */
  async *bidiStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    inputs: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
    options?: CallOptions,
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    const creds = await this.auth.credentials();
    try {
      yield* this.transport.bidiStream(method, inputs, this.#rpcFor(creds, options));
    } catch (err) {
      if (this.auth.isLost(err)) this.auth.invalidate(creds.key);
      throw err;
    }
  }

  #rpcFor(
    creds: Credentials,
    options: CallOptions | undefined,
    extra?: Readonly<Record<string, string>>,
  ): RpcOptions {
    return {
      metadata: extra ? { ...extra, ...creds.metadata } : creds.metadata,
      timeoutMs: options?.timeoutMs ?? this.options.timeoutMs,
      signal: options?.signal,
    };
  }

  /**
   * Calls a unary RPC in the given session with extra metadata (e.g. `transactionid`), without the
   * reopen-and-retry of {@link unary}: interactive SQL transactions live and die with their session, so a lost
   * session must surface. A `SESSION_NOT_FOUND` failure still makes later calls open a new session.
   */
  async pinnedUnary<I extends DescMessage, O extends DescMessage>(
    sessionId: string,
    extra: Readonly<Record<string, string>>,
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    try {
      return await this.transport.unary(method, input, this.#rpcOptions(sessionId, options, extra));
    } catch (err) {
      if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") this.sessions.invalidate(sessionId);
      throw err;
    }
  }

  /** {@link pinnedUnary} for a server-streaming RPC. Leaving the loop early cancels the call. */
  async *pinnedServerStream<I extends DescMessage, O extends DescMessage>(
    sessionId: string,
    extra: Readonly<Record<string, string>>,
    method: DescMethodServerStreaming<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    try {
      yield* this.transport.serverStream(method, input, this.#rpcOptions(sessionId, options, extra));
    } catch (err) {
      if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") this.sessions.invalidate(sessionId);
      throw err;
    }
  }

  /**
   * The trust of the current (server, database), created on first use. Pins the server address to the server's
   * UUID in the state store, so a different server answering on the same address is refused.
   */
  async trust(): Promise<TrustManager> {
    const s = await this.auth.credentials();
    const t = this.#trust;
    if (t && t.serverUuid === s.serverUuid && t.database === s.database) return t;
    await this.store.pinServerIdentity(this.address, s.serverUuid);
    const initial =
      this.options.trustedState && s.database === this.options.database
        ? { txId: this.options.trustedState.txId, txHash: this.options.trustedState.txHash }
        : undefined;
    const trust = new TrustManager({
      store: this.store,
      serverUuid: s.serverUuid,
      database: s.database,
      signingKey: this.#signingKey,
      initial,
      deps: {
        currentState: async () => {
          const st = await this.unary(ImmuService.method.currentState, {});
          if (st.db !== s.database) {
            throw new StateError(
              `the session moved to database ${JSON.stringify(st.db)} during a verified call on ${JSON.stringify(s.database)}`,
            );
          }
          return {
            txId: st.txId,
            txHash: digestFromProto(st.txHash),
            signature: st.signature && st.signature.signature.length > 0 ? st.signature.signature : undefined,
          };
        },
        proveConsistent: (lo, hi) => this.verifier.proveConsistent(lo, hi),
        headers: (from, to) => this.#headers(from, to),
      },
    });
    this.#trust = trust;
    return trust;
  }

  /** Headers of txs `from..to` (inclusive), read with TxScan without entries; the server's word. */
  async #headers(from: bigint, to: bigint): Promise<TxHeader[]> {
    const out: TxHeader[] = [];
    for (let next = from; next <= to; ) {
      const limit = to - next + 1n > 2500n ? 2500 : Number(to - next + 1n);
      const page = await this.unary(ImmuService.method.txScan, {
        initialTx: next,
        limit,
        noWait: true,
        entriesSpec: EXCLUDE_ALL_ENTRIES,
      });
      if (page.txs.length === 0) break;
      for (const tx of page.txs) if (tx.header) out.push(txHeaderFromProto(tx.header));
      next += BigInt(page.txs.length);
    }
    return out;
  }

  /** Closes the session (or logs out) and the connection. Idempotent. */
  async close(): Promise<void> {
    await this.auth.close();
    this.transport.close();
  }
}
