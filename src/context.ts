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
import { txHeaderFromProto } from "./convert/index.js";
import { ImmudbError, InvalidArgumentError } from "./errors.js";
import { EntryTypeAction, ImmuService } from "./gen/schema_pb.js";
import type { ResolvedOptions } from "./options.js";
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
  /** The immudb session. */
  readonly sessions: SessionManager;
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
    this.sessions = new SessionManager(this.transport, options);
    this.verifier = new Verifier(
      (method, input, opts) => this.unary(method, input, opts),
      () => this.trust(),
    );
  }

  /** `host:port` of the server (never includes credentials). */
  get address(): string {
    return `${this.options.host}:${this.options.port}`;
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
   * Calls a unary RPC within the session. When the server no longer knows the session (restart, idle
   * timeout), the session is reopened and the call sent again once: immudb rejects an unknown session before
   * running the request, so nothing was executed.
   */
  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    for (let attempt = 0; ; attempt++) {
      const s = await this.sessions.session();
      try {
        return await this.transport.unary(method, input, this.#rpcOptions(s.id, options));
      } catch (err) {
        if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND" && attempt === 0) {
          this.options.logger.info("immudb-ts: the server lost the session; reopening it");
          this.sessions.invalidate(s.id);
          continue;
        }
        throw err;
      }
    }
  }

  /** Calls a server-streaming RPC within the session. Leaving the loop early cancels the call. */
  async *serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    input: MessageInitShape<I>,
    options?: CallOptions,
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    const s = await this.sessions.session();
    try {
      yield* this.transport.serverStream(method, input, this.#rpcOptions(s.id, options));
    } catch (err) {
      if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") this.sessions.invalidate(s.id);
      throw err;
    }
  }

  /** Calls a client-streaming RPC within the session; `metadata` is sent with the session id. */
  async clientStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodClientStreaming<I, O>,
    inputs: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
    options?: CallOptions,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<MessageShape<O>> {
    const s = await this.sessions.session();
    const rpcOptions = this.#rpcOptions(s.id, options);
    try {
      return await this.transport.clientStream(
        method,
        inputs,
        metadata ? { ...rpcOptions, metadata: { ...metadata, ...rpcOptions.metadata } } : rpcOptions,
      );
    } catch (err) {
      if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") this.sessions.invalidate(s.id);
      throw err;
    }
  }

  /** Calls a bidirectional-streaming RPC within the session. Leaving the loop early cancels the call. */
  async *bidiStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    inputs: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
    options?: CallOptions,
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    const s = await this.sessions.session();
    try {
      yield* this.transport.bidiStream(method, inputs, this.#rpcOptions(s.id, options));
    } catch (err) {
      if (err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND") this.sessions.invalidate(s.id);
      throw err;
    }
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
    const s = await this.sessions.session();
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

  /** Closes the session and the connection. Idempotent. */
  async close(): Promise<void> {
    await this.sessions.close();
    this.transport.close();
  }
}
