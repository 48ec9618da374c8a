/**
 * A connect-node (`@connectrpc/connect` + `@connectrpc/connect-node`) stand-in for {@link GrpcTransport}, exposing
 * the same `unary(method, input, options)` shape so bench/transport.ts can measure both stacks through one
 * interface. Kept under bench/ only, for re-measuring the transport decision (docs/decisions/0001-transport.md);
 * it is not part of the package and does no error mapping (failures surface as `ConnectError`).
 *
 * @module
 */
import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { type CallOptions, type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ImmuService } from "../../src/gen/schema_pb.js";
import type { RpcOptions } from "../../src/transport/grpc.js";

/** Options of a {@link ConnectTransport}. */
export interface ConnectTransportOptions {
  /** `http://host:port` (plaintext h2c; the bench does not exercise TLS). */
  readonly baseUrl: string;
  /** Largest message accepted from the server, in bytes. */
  readonly maxReceiveMessageBytes: number;
  /** Largest message sent to the server, in bytes. */
  readonly maxSendMessageBytes: number;
}

type UnaryFn = (input: unknown, options?: CallOptions) => Promise<unknown>;

/** One HTTP/2 connection to an immudb server through connect-node's gRPC protocol implementation. */
export class ConnectTransport {
  readonly #sessions: Http2SessionManager;
  readonly #client: Client<typeof ImmuService>;
  #closed = false;

  constructor(options: ConnectTransportOptions) {
    // Own the session manager so close() can tear the HTTP/2 connection down. No keepalive pings (the default):
    // immudb enforces gRPC-Go's ping policy, as noted in src/transport/grpc.ts.
    this.#sessions = new Http2SessionManager(options.baseUrl);
    const transport = createGrpcTransport({
      baseUrl: options.baseUrl,
      sessionManager: this.#sessions,
      readMaxBytes: options.maxReceiveMessageBytes,
      writeMaxBytes: options.maxSendMessageBytes,
    });
    this.#client = createClient(ImmuService, transport);
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Calls a unary RPC of `ImmuService`. Rejects with a `ConnectError`. */
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    input: MessageInitShape<I>,
    options: RpcOptions = {},
  ): Promise<MessageShape<O>> {
    const fn = (this.#client as unknown as Record<string, UnaryFn | undefined>)[method.localName];
    if (!fn || method.parent.typeName !== ImmuService.typeName) {
      return Promise.reject(
        new Error(`ConnectTransport: ${method.parent.typeName}.${method.name} is not supported`),
      );
    }
    const callOptions: CallOptions = {};
    if (options.metadata) callOptions.headers = options.metadata;
    if (options.timeoutMs !== undefined && options.timeoutMs > 0) callOptions.timeoutMs = options.timeoutMs;
    if (options.signal) callOptions.signal = options.signal;
    if (options.onHeader) {
      const onHeader = options.onHeader;
      callOptions.onHeader = (headers: Headers) => onHeader(new Map(headers.entries()));
    }
    return fn(input, callOptions) as Promise<MessageShape<O>>;
  }

  /** Closes the HTTP/2 connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sessions.abort();
  }
}
