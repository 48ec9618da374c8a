/**
 * The one place that talks gRPC. Wraps `@grpc/grpc-js` with protobuf-es codecs so that callers work with the
 * generated message types (bigint, Uint8Array) and get {@link ImmudbError}s instead of gRPC errors.
 *
 * Chosen over connect-node by measurement: see docs/decisions/0001-transport.md.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { once } from "node:events";
import {
  create,
  type DescMessage,
  type DescMethodBiDiStreaming,
  type DescMethodClientStreaming,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AbortError, ConnectionError, type ImmudbError, InvalidArgumentError } from "../errors.js";
import { mapGrpcError } from "./errors.js";

/**
 * TLS settings of a connection. Any object (even `{}`) turns TLS on; a TLS failure is a `ConnectionError`, and
 * there is never a fallback to plaintext.
 *
 * The server certificate is checked against the CAs (`ca`, else Node's bundled root store) and against the
 * host name (`servername`, else the `host` option: a certificate for an IP address needs that IP in its
 * subjectAltName). Connecting by IP address makes Node print a one-time DEP0123 warning (an IP address cannot be
 * sent as SNI); set `servername` to a DNS name in the certificate to avoid it.
 */
export interface TlsOptions {
  /** PEM CA certificate(s) to trust instead of the system store. */
  readonly ca?: string | Uint8Array;
  /**
   * PEM client certificate (chain), for mTLS; needs `key`. An immudb server started with `--mtls --clientcas`
   * checks a client certificate if one is sent but does not require one.
   */
  readonly cert?: string | Uint8Array;
  /** PEM private key of `cert` (unencrypted), for mTLS; needs `cert`. */
  readonly key?: string | Uint8Array;
  /** Name to check the server certificate against (and to send as SNI), when it differs from the host. */
  readonly servername?: string;
  /**
   * Set to false to accept any server certificate (no chain, expiry or name check): encrypted but not
   * authenticated, so open to a man in the middle. For tests only. Default true.
   */
  readonly rejectUnauthorized?: boolean;
}

/** Options of a {@link GrpcTransport}. */
export interface TransportOptions {
  /** `host:port` to connect to. */
  readonly address: string;
  /** TLS settings; plaintext (h2c) when absent. */
  readonly tls?: TlsOptions | undefined;
  /** Largest message accepted from the server, in bytes. */
  readonly maxReceiveMessageBytes: number;
  /** Largest message sent to the server, in bytes (immudb accepts 32 MiB by default). */
  readonly maxSendMessageBytes: number;
}

/** Per-RPC options. */
export interface RpcOptions {
  /** Request metadata (e.g. `sessionid`). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** Deadline relative to now, in milliseconds. */
  readonly timeoutMs?: number | undefined;
  /** Cancels the call. */
  readonly signal?: AbortSignal | undefined;
  /** Receives the response headers. */
  readonly onHeader?: ((headers: ReadonlyMap<string, string>) => void) | undefined;
}

interface Codec {
  readonly path: string;
  readonly serialize: (value: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
}

type AnyMethod = { readonly name: string; readonly parent: { readonly typeName: string } } & {
  readonly input: DescMessage;
  readonly output: DescMessage;
};

/** Errors of calls that failed before any byte of the request left the client (see {@link failedBeforeSending}). */
const unsent = new WeakSet<object>();

/**
 * Whether `err`, as thrown by a {@link GrpcTransport} call, is known to have failed before any byte of the request
 * was sent: no HTTP/2 stream was ever created for the call (no connection could be established, the deadline
 * passed while connecting, the signal was aborted before the call). Such a call cannot have had any effect.
 * `false` means "may have been sent": a server can have received and executed the request (a write's outcome is
 * then unknown).
 */
export function failedBeforeSending(err: unknown): boolean {
  return typeof err === "object" && err !== null && unsent.has(err);
}

/** A gRPC connection to one immudb server. Lazily connects; reconnects by itself after a broken connection. */
export class GrpcTransport {
  readonly #client: grpc.Client;
  readonly #codecs = new Map<AnyMethod, Codec>();
  readonly #tls: boolean;
  /** The channel's target as grpc-js reports it, which is also a call's peer until it gets an HTTP/2 stream. */
  readonly #target: string;
  #closed = false;

  constructor(options: TransportOptions) {
    const channelOptions: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": options.maxReceiveMessageBytes,
      "grpc.max_send_message_length": options.maxSendMessageBytes,
      // No transparent retries inside grpc-js: retries are decided per RPC by the client (src/retry.ts).
      "grpc.enable_retries": 0,
      // grpc-js' default caps reconnection backoff at 120 s: a server back after a long outage would stay
      // unreachable for up to two minutes. Calls fail fast (UNAVAILABLE) meanwhile; they do not wait for it.
      "grpc.max_reconnect_backoff_ms": 10_000,
      // immudb enforces gRPC-Go's default ping policy: no HTTP/2 keepalive pings (sessions use the KeepAlive RPC).
    };
    let creds: grpc.ChannelCredentials;
    if (options.tls) {
      const t = options.tls;
      if ((t.cert === undefined) !== (t.key === undefined)) {
        throw new InvalidArgumentError("tls.cert and tls.key must be given together (mTLS)");
      }
      checkPem(t);
      try {
        creds = grpc.credentials.createSsl(
          toBuffer(t.ca),
          toBuffer(t.key),
          toBuffer(t.cert),
          t.rejectUnauthorized === false
            ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
            : {},
        );
      } catch (err) {
        // Bad PEM (or a key that does not match the certificate); never echo the key material.
        throw new InvalidArgumentError(`tls: invalid ca, cert or key: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (t.servername) channelOptions["grpc.ssl_target_name_override"] = t.servername;
      if (t.servername) channelOptions["grpc.default_authority"] = t.servername;
    } else {
      creds = grpc.credentials.createInsecure();
    }
    this.#tls = options.tls !== undefined;
    this.#client = new grpc.Client(options.address, creds, channelOptions);
    this.#target = this.#client.getChannel().getTarget();
  }

  /** Maps a grpc-js failure and records whether the call ever got an HTTP/2 stream. */
  #fail(err: unknown, rpc: string, aborted: boolean, call: { getPeer(): string } | undefined): ImmudbError {
    const mapped = mapGrpcError(err, rpc, aborted, this.#tls);
    // grpc-js reports the channel target as the peer until a stream exists on a connection ("unknown" before the
    // call object is set up): then nothing of this call was written to any socket.
    const peer = call?.getPeer();
    if (peer === undefined || peer === this.#target || peer === "unknown") unsent.add(mapped);
    return mapped;
  }

  /** An AbortError for a call whose signal was aborted before it started (so nothing was sent). */
  #abortedBeforeSending(rpc: string, signal: AbortSignal): AbortError {
    const err = new AbortError(`${rpc}: aborted before it was sent`, { cause: signal.reason });
    unsent.add(err);
    return err;
  }

  /** A ConnectionError (code CLOSED) for a call on a closed transport (so nothing was sent). */
  #closedError(rpc: string): ConnectionError {
    const err = new ConnectionError(`${rpc}: the client is closed`, { code: "CLOSED" });
    unsent.add(err);
    return err;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  #codec(method: AnyMethod): Codec {
    let c = this.#codecs.get(method);
    if (!c) {
      const { input, output } = method;
      c = {
        path: `/${method.parent.typeName}/${method.name}`,
        serialize: (value: unknown) => {
          const bytes = toBinary(input, create(input, value as MessageInitShape<typeof input>));
          return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        },
        // A plain Uint8Array view (no copy), so bytes fields never surface as Buffers.
        deserialize: (bytes: Buffer) =>
          fromBinary(output, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      };
      this.#codecs.set(method, c);
    }
    return c;
  }

  /** Calls a unary RPC. Rejects with an {@link ImmudbError}. */
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options: RpcOptions = {},
  ): Promise<MessageShape<O>> {
    const codec = this.#codec(method);
    const rpc = codec.path.slice(1);
    return new Promise<MessageShape<O>>((resolve, reject) => {
      if (this.#closed) {
        reject(this.#closedError(rpc));
        return;
      }
      if (options.signal?.aborted) {
        reject(this.#abortedBeforeSending(rpc, options.signal));
        return;
      }
      const call: grpc.ClientUnaryCall = this.#client.makeUnaryRequest(
        codec.path,
        codec.serialize,
        codec.deserialize,
        input,
        toMetadata(options.metadata),
        callOptions(options.timeoutMs),
        (err, value) => {
          wiring.detach();
          if (err) reject(this.#fail(err, rpc, wiring.aborted, call));
          else resolve(value as MessageShape<O>);
        },
      );
      const wiring = wire(call, options);
    });
  }

  /**
   * Calls a server-streaming RPC. The returned iterable starts the call when iterated; leaving the loop early
   * (break, throw) cancels the call.
   */
  async *serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    input: MessageInitShape<I>,
    options: RpcOptions = {},
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    const codec = this.#codec(method);
    const rpc = codec.path.slice(1);
    if (this.#closed) throw this.#closedError(rpc);
    if (options.signal?.aborted) throw this.#abortedBeforeSending(rpc, options.signal);
    const call = this.#client.makeServerStreamRequest(
      codec.path,
      codec.serialize,
      codec.deserialize,
      input,
      toMetadata(options.metadata),
      callOptions(options.timeoutMs),
    );
    let done = false;
    const wiring = wire(call, options);
    try {
      for await (const message of call) yield message as MessageShape<O>;
      done = true;
    } catch (err) {
      done = true;
      throw this.#fail(err, rpc, wiring.aborted, call);
    } finally {
      wiring.detach();
      if (!done) call.cancel();
    }
  }

  /** Calls a client-streaming RPC, sending every input message (respecting back-pressure), then half-closing. */
  clientStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodClientStreaming<I, O>,
    inputs: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
    options: RpcOptions = {},
  ): Promise<MessageShape<O>> {
    const codec = this.#codec(method);
    const rpc = codec.path.slice(1);
    if (this.#closed) return Promise.reject(this.#closedError(rpc));
    if (options.signal?.aborted) return Promise.reject(this.#abortedBeforeSending(rpc, options.signal));
    let settled = false;
    let call: grpc.ClientWritableStream<unknown> | undefined;
    let wiring: Wiring | undefined;
    const result = new Promise<MessageShape<O>>((resolve, reject) => {
      call = this.#client.makeClientStreamRequest(
        codec.path,
        codec.serialize,
        codec.deserialize,
        toMetadata(options.metadata),
        callOptions(options.timeoutMs),
        (err, value) => {
          settled = true;
          wiring?.detach();
          if (err) reject(this.#fail(err, rpc, wiring?.aborted ?? false, call));
          else resolve(value as MessageShape<O>);
        },
      );
    });
    const writer = call!;
    wiring = wire(writer, options);
    const pump = async () => {
      try {
        for await (const msg of inputs) {
          if (settled) return;
          if (!writer.write(msg)) await Promise.race([once(writer, "drain"), result.catch(() => undefined)]);
        }
        writer.end();
      } catch (err) {
        // The input iterable failed: cancel the call so the server discards the partial request.
        writer.cancel();
        throw err;
      }
    };
    return Promise.all([result, pump()]).then(([value]) => value);
  }

  /**
   * Calls a bidirectional-streaming RPC. The returned iterable starts the call when iterated: it sends every input
   * message (respecting back-pressure, then half-closing) while it yields the responses, so `inputs` may wait for
   * responses already read (request/response pipelines). Leaving the loop early (break, throw) cancels the call;
   * so does a failing input iterable, whose error is then thrown.
   */
  async *bidiStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodBiDiStreaming<I, O>,
    inputs: AsyncIterable<MessageInitShape<I>> | Iterable<MessageInitShape<I>>,
    options: RpcOptions = {},
  ): AsyncGenerator<MessageShape<O>, void, undefined> {
    const codec = this.#codec(method);
    const rpc = codec.path.slice(1);
    if (this.#closed) throw this.#closedError(rpc);
    if (options.signal?.aborted) throw this.#abortedBeforeSending(rpc, options.signal);
    const call: grpc.ClientDuplexStream<unknown, unknown> = this.#client.makeBidiStreamRequest(
      codec.path,
      codec.serialize,
      codec.deserialize,
      toMetadata(options.metadata),
      callOptions(options.timeoutMs),
    );
    let done = false;
    let inputFailure: { readonly error: unknown } | undefined;
    const wiring = wire(call, options);
    const ended = new Promise<void>((resolve) => call.once("status", () => resolve()));
    const pump = async () => {
      try {
        for await (const msg of inputs) {
          if (done) return;
          if (!call.write(msg)) await Promise.race([once(call, "drain").catch(() => undefined), ended]);
        }
        if (!done) call.end();
      } catch (err) {
        // The input iterable failed: cancel the call so the server stops, and report the input's error.
        inputFailure = { error: err };
        call.cancel();
      }
    };
    void pump();
    try {
      for await (const message of call) yield message as MessageShape<O>;
      done = true;
    } catch (err) {
      done = true;
      if (inputFailure) throw inputFailure.error;
      throw this.#fail(err, rpc, wiring.aborted, call);
    } finally {
      wiring.detach();
      if (!done) {
        done = true;
        call.cancel();
      }
    }
    if (inputFailure) throw inputFailure.error;
  }

  /** Closes the connection. Calls still running fail with a connection error. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.close();
  }
}

/**
 * Parses the PEM of the TLS settings, so that a bad file fails `connect` with a clear InvalidArgumentError
 * rather than as a handshake failure (Node ignores a CA string without certificates). Never echoes key material.
 */
function checkPem(t: TlsOptions): void {
  let cert: X509Certificate | undefined;
  for (const field of ["ca", "cert"] as const) {
    const v = t[field];
    if (v === undefined) continue;
    try {
      const parsed = new X509Certificate(toBuffer(v) as Buffer);
      if (field === "cert") cert = parsed;
    } catch {
      throw new InvalidArgumentError(`tls.${field} is not a PEM (or DER) X.509 certificate`);
    }
  }
  if (t.key !== undefined) {
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey(toBuffer(t.key) as Buffer);
    } catch {
      throw new InvalidArgumentError("tls.key is not an unencrypted PEM (or DER) private key");
    }
    if (cert && !cert.checkPrivateKey(key)) {
      throw new InvalidArgumentError("tls.key is not the private key of tls.cert");
    }
  }
}

function toBuffer(v: string | Uint8Array | undefined): Buffer | null {
  if (v === undefined) return null;
  return typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** A call wired to its options; `aborted` tells whether the caller's signal cancelled it. */
interface Wiring {
  readonly aborted: boolean;
  /** Stops listening to the signal (call once the call is over). */
  detach(): void;
}

/** Cancels `call` when the options' signal fires, and reports its response headers to `onHeader`. */
function wire(
  call: { cancel(): void; on(event: "metadata", listener: (md: grpc.Metadata) => void): unknown },
  options: RpcOptions,
): Wiring {
  const { signal, onHeader } = options;
  const state = {
    aborted: false,
    detach: () => signal?.removeEventListener("abort", onAbort),
  };
  const onAbort = () => {
    state.aborted = true;
    call.cancel();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  if (onHeader) call.on("metadata", (md) => onHeader(fromMetadata(md)));
  return state;
}

function toMetadata(record: Readonly<Record<string, string>> | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (record) for (const [k, v] of Object.entries(record)) md.set(k, v);
  return md;
}

function fromMetadata(md: grpc.Metadata): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(md.getMap()))
    out.set(k, typeof v === "string" ? v : v.toString("utf8"));
  return out;
}

function callOptions(timeoutMs: number | undefined): grpc.CallOptions {
  return timeoutMs !== undefined && timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {};
}
