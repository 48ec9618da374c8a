/**
 * A gRPC proxy in front of one or more REAL immudb servers, for tamper tests: it forwards every call of
 * `ImmuService`, `AuthorizationService` and `DocumentService` byte for byte, and can alter the responses of chosen
 * methods one field at a time ({@link GrpcProxy.onResponse}) or send calls to different servers
 * ({@link GrpcProxy.setRouter}), so that tests can show the client detects a lying or forked server.
 *
 * Pass-through is exact: calls are relayed with identity (Buffer) codecs, so a method without a hook is never
 * decoded. Request metadata (`sessionid`, `authorization`, `transactionid`, ...) goes to the backend; response
 * headers (`immudb-uuid`), trailers, status codes, messages and `grpc-status-details-bin` come back unchanged.
 * The caller's deadline and cancellation propagate to the backend call.
 *
 * Sessions with several backends. immudb keeps sessions per server. The proxy remembers every session opened
 * through it (`OpenSession` of ImmuService or AuthorizationService: session id → the backend that opened it and
 * the username, password and database of the request). By default a call carrying `sessionid` S goes to the
 * backend that opened S (a call carrying a `transactionid` that came from `NewTx` goes to the backend of that
 * transaction), otherwise to backend 0. A router may send it elsewhere: when a call of session S (opened on
 * backend a) is routed to backend b ≠ a, the proxy opens a session of its own on b with the same credentials
 * (once, then reuses it) and rewrites the `sessionid` metadata to it. So one client session can be spread over
 * two servers transparently, which is what fork tests need. `KeepAlive` of S also keeps S's sessions on the
 * other backends alive; `CloseSession` of S closes all of them. Not handled: transactions (`transactionid`)
 * routed away from the backend that started them, and legacy `Login` tokens (`authorization`) used on a backend
 * other than the one that issued them; both fail on the backend as they would against a real server.
 *
 * @module
 */
import {
  create,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AuthorizationService,
  OpenSessionRequestSchema as ModelOpenSessionRequestSchema,
  OpenSessionResponseSchema as ModelOpenSessionResponseSchema,
} from "../../src/gen/authorization_pb.js";
import { DocumentService } from "../../src/gen/documents_pb.js";
import {
  ImmuService,
  NewTxResponseSchema,
  OpenSessionRequestSchema,
  OpenSessionResponseSchema,
} from "../../src/gen/schema_pb.js";

type ImmuMethods = typeof ImmuService.method;
/** Key of an ImmuService method in `ImmuService.method`, e.g. `"verifiableGet"`. */
export type ImmuMethodName = keyof ImmuMethods;
/** Decoded response message of an ImmuService method. */
export type ResponseOf<M extends ImmuMethodName> = MessageShape<ImmuMethods[M]["output"]>;
/** Decoded request message of an ImmuService method. */
export type RequestOf<M extends ImmuMethodName> = MessageShape<ImmuMethods[M]["input"]>;

/** What a response hook is told about the call. */
export interface ResponseHookContext<M extends ImmuMethodName> {
  /**
   * The request. For client- and bidi-streaming methods: the latest request message received before this
   * response (an empty message if none).
   */
  readonly request: RequestOf<M>;
  /** Every request message received before this response (one for unary and server-streaming methods). */
  readonly requests: readonly RequestOf<M>[];
  /** 0-based arrival order of this call among the calls of this method (as counted in {@link GrpcProxy.calls}). */
  readonly callIndex: number;
  /** 0-based index of this response message within the call (always 0 for single-response methods). */
  readonly messageIndex: number;
  /** The backend that answered. */
  readonly backend: number;
}

/**
 * Alters a response: mutate `msg` in place, or return a replacement (a message or an init object of the same
 * type, as accepted by `create`). Throwing fails the call with INTERNAL "grpc-proxy: ...".
 */
export type ResponseHook<M extends ImmuMethodName> = (
  msg: ResponseOf<M>,
  ctx: ResponseHookContext<M>,
) => undefined | ResponseOf<M> | MessageInitShape<ImmuMethods[M]["output"]>;

/** What a router is told about a call. */
export interface RouteContext {
  /**
   * Method key: for ImmuService the key in `ImmuService.method` (`"verifiableGet"`); for the other services
   * `"AuthorizationService.openSession"`, `"DocumentService.searchDocuments"`.
   */
  readonly method: string;
  /** gRPC path, e.g. `/immudb.schema.ImmuService/VerifiableGet`. */
  readonly path: string;
  /** 0-based arrival order of this call among the calls of this method. */
  readonly callIndex: number;
  /** 0-based arrival order of this call among all calls through the proxy. */
  readonly globalIndex: number;
  /** The `sessionid` metadata of the call, if any. */
  readonly sessionId: string | undefined;
  /** The backend that opened that session, if it was opened through this proxy. */
  readonly sessionBackend: number | undefined;
  /** Where the call goes without a router: the transaction's backend, else the session's, else 0. */
  readonly defaultBackend: number;
}

/** Picks the backend index of a call; `undefined` means {@link RouteContext.defaultBackend}. */
export type Router = (ctx: RouteContext) => number | undefined;

/** A backend server. `host` defaults to 127.0.0.1. */
export interface ProxyBackend {
  readonly host?: string;
  readonly port: number;
}

/** A running proxy. */
export interface GrpcProxy {
  readonly port: number;
  /** `immudb://immudb:immudb@127.0.0.1:PORT/defaultdb` */
  readonly url: string;
  /** `127.0.0.1:PORT` */
  readonly address: string;
  /**
   * Installs (or with `undefined` removes) the response hook of one ImmuService method. The hook in force when a
   * call starts applies to all of that call's responses. For streaming methods it runs once per message.
   */
  onResponse<M extends ImmuMethodName>(method: M, fn: ResponseHook<M> | undefined): void;
  /** Chooses the backend per call (see the module documentation). `undefined` restores the default routing. */
  setRouter(fn: Router | undefined): void;
  /** Number of calls received per method key (see {@link RouteContext.method}); proxy-made calls not counted. */
  readonly calls: ReadonlyMap<string, number>;
  /** Number of calls forwarded to each backend, per method key. */
  readonly callsByBackend: readonly ReadonlyMap<string, number>[];
  /**
   * Forwarded calls still open towards a backend. Drops as soon as a call ends or is cancelled (e.g. because
   * the caller cancelled or its deadline passed), even if the backend never answers.
   */
  readonly inFlight: number;
  /** Stops the proxy: graceful shutdown, forced after 2 s; closes the sessions the proxy opened itself. */
  close(): Promise<void>;
}

interface MethodInfo {
  readonly key: string;
  readonly path: string;
  readonly desc: DescMethod;
}

interface TrackedSession {
  readonly home: number;
  readonly username: Uint8Array;
  readonly password: Uint8Array;
  readonly database: string;
  /** Session id on each backend; the home entry is the client's own id. */
  readonly ids: Map<number, Promise<string>>;
}

interface Routed {
  readonly backend: number;
  readonly metadata: grpc.Metadata;
}

type AnyHook = (msg: MessageShape<DescMethod["output"]>, ctx: unknown) => unknown;

const identity = (b: Buffer): Buffer => b;

/** Headers that belong to the HTTP/2 / gRPC layer, not to the application: never copied between calls. */
const RESERVED_HEADERS = [
  "content-type",
  "te",
  "user-agent",
  "accept-encoding",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-timeout",
  "grpc-status",
  "grpc-message",
  "date",
];

const OPEN_SESSION_PATH = path(ImmuService, ImmuService.method.openSession);
const CLOSE_SESSION_PATH = path(ImmuService, ImmuService.method.closeSession);
const KEEP_ALIVE_PATH = path(ImmuService, ImmuService.method.keepAlive);
const EMPTY = Buffer.alloc(0);
/** Deadline of the calls the proxy makes on its own (opening, keeping alive, closing its sessions). */
const OWN_CALL_MS = 10_000;

/** Starts a proxy on 127.0.0.1 (free port) forwarding to `backends` (at least one). */
export async function startGrpcProxy(backends: readonly ProxyBackend[]): Promise<GrpcProxy> {
  if (backends.length === 0) throw new Error("startGrpcProxy: no backends");
  const clients = backends.map(
    (b) =>
      new grpc.Client(`${b.host ?? "127.0.0.1"}:${b.port}`, grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": -1,
        "grpc.max_send_message_length": -1,
        "grpc.enable_retries": 0,
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  const hooks = new Map<string, AnyHook>();
  let router: Router | undefined;
  const calls = new Map<string, number>();
  const callsByBackend = backends.map(() => new Map<string, number>());
  let inFlight = 0;
  /** Counts an outbound call in {@link GrpcProxy.inFlight} until its status (every call kind emits one). */
  const counted = <T extends grpc.Call>(out: T): T => {
    inFlight++;
    out.once("status", () => inFlight--);
    return out;
  };
  let globalCalls = 0;
  const sessions = new Map<string, TrackedSession>();
  /** Sessions the proxy opened itself: id → backend. */
  const ownSessions = new Map<string, number>();
  const transactions = new Map<string, number>();

  const client = (backend: number): grpc.Client => clients[backend]!;

  function ownCall(
    backend: number,
    rpcPath: string,
    request: Uint8Array,
    sessionId?: string,
  ): Promise<Buffer> {
    const md = new grpc.Metadata();
    if (sessionId !== undefined) md.set("sessionid", sessionId);
    return new Promise((resolve, reject) => {
      client(backend).makeUnaryRequest(
        rpcPath,
        identity,
        identity,
        toBuffer(request),
        md,
        { deadline: Date.now() + OWN_CALL_MS },
        (err, value) => (err ? reject(err) : resolve(value ?? EMPTY)),
      );
    });
  }

  /** The id of session `s` on `backend`, opening one with the session's credentials if needed. */
  function sessionOn(s: TrackedSession, backend: number): Promise<string> {
    let p = s.ids.get(backend);
    if (!p) {
      const req = create(OpenSessionRequestSchema, {
        username: s.username,
        password: s.password,
        databaseName: s.database,
      });
      const opening = ownCall(backend, OPEN_SESSION_PATH, toBinary(OpenSessionRequestSchema, req)).then(
        (buf) => {
          const id = fromBinary(OpenSessionResponseSchema, view(buf)).sessionID;
          ownSessions.set(id, backend);
          return id;
        },
      );
      s.ids.set(backend, opening);
      // A failed open is forgotten, so that a later call may try again.
      opening.catch(() => {
        if (s.ids.get(backend) === opening) s.ids.delete(backend);
      });
      p = opening;
    }
    return p;
  }

  /** Calls KeepAlive or CloseSession for session `s` on every backend but `except`. Never rejects. */
  async function fanOut(s: TrackedSession, except: number, rpcPath: string): Promise<void> {
    await Promise.allSettled(
      [...s.ids].map(async ([backend, idPromise]) => {
        if (backend === except) return;
        const id = await idPromise;
        await ownCall(backend, rpcPath, EMPTY, id);
        if (rpcPath === CLOSE_SESSION_PATH) ownSessions.delete(id);
      }),
    );
  }

  async function route(
    info: MethodInfo,
    call: { readonly metadata: grpc.Metadata },
    callIndex: number,
    globalIndex: number,
  ): Promise<Routed> {
    const metadata = cleanMetadata(call.metadata);
    const sessionId = firstString(call.metadata, "sessionid");
    const session = sessionId === undefined ? undefined : sessions.get(sessionId);
    const txId = firstString(call.metadata, "transactionid");
    const txBackend = txId === undefined ? undefined : transactions.get(txId);
    const defaultBackend = txBackend ?? session?.home ?? 0;
    let backend = defaultBackend;
    if (router) {
      const chosen = router({
        method: info.key,
        path: info.path,
        callIndex,
        globalIndex,
        sessionId,
        sessionBackend: session?.home,
        defaultBackend,
      });
      if (chosen !== undefined) backend = chosen;
    }
    if (!Number.isInteger(backend) || backend < 0 || backend >= clients.length) {
      throw new Error(`router sent ${info.key} to backend ${backend}; there are ${clients.length}`);
    }
    if (session && sessionId !== undefined) {
      if (backend !== session.home) metadata.set("sessionid", await sessionOn(session, backend));
      if (info.desc.name === "KeepAlive") void fanOut(session, backend, KEEP_ALIVE_PATH);
      if (info.desc.name === "CloseSession") {
        sessions.delete(sessionId);
        await fanOut(session, backend, CLOSE_SESSION_PATH);
      }
    }
    const perBackend = callsByBackend[backend]!;
    perBackend.set(info.key, (perBackend.get(info.key) ?? 0) + 1);
    return { backend, metadata };
  }

  /** Learns sessions and transactions from the (untouched) backend response of a unary call. */
  function observe(info: MethodInfo, backend: number, request: Buffer, response: Buffer): void {
    try {
      if (info.desc === ImmuService.method.openSession) {
        const req = fromBinary(OpenSessionRequestSchema, view(request));
        const id = fromBinary(OpenSessionResponseSchema, view(response)).sessionID;
        track(id, backend, req.username, req.password, req.databaseName);
      } else if (info.desc === AuthorizationService.method.openSession) {
        const req = fromBinary(ModelOpenSessionRequestSchema, view(request));
        const id = fromBinary(ModelOpenSessionResponseSchema, view(response)).sessionID;
        const utf8 = new TextEncoder();
        track(id, backend, utf8.encode(req.username), utf8.encode(req.password), req.database);
      } else if (info.desc === ImmuService.method.newTx) {
        transactions.set(fromBinary(NewTxResponseSchema, view(response)).transactionID, backend);
      }
    } catch {
      // Not decodable: nothing to learn.
    }
  }

  function track(id: string, home: number, username: Uint8Array, password: Uint8Array, database: string) {
    if (!id) return;
    sessions.set(id, {
      home,
      username: username.slice(),
      password: password.slice(),
      database,
      ids: new Map([[home, Promise.resolve(id)]]),
    });
  }

  /** Per-call bookkeeping shared by the four call shapes. */
  function begin(info: MethodInfo) {
    const callIndex = calls.get(info.key) ?? 0;
    calls.set(info.key, callIndex + 1);
    const globalIndex = globalCalls++;
    const hook = hooks.get(info.key);
    const requests: Buffer[] = [];
    let messageIndex = 0;
    /** Applies the hook (if any) to one raw response message. */
    const transform = (backend: number, raw: Buffer): Buffer => {
      if (!hook) return raw;
      const decodedRequests = requests.map((r) => fromBinary(info.desc.input, view(r)));
      const msg = fromBinary(info.desc.output, view(raw));
      const ctx = {
        request: decodedRequests.at(-1) ?? create(info.desc.input),
        requests: decodedRequests,
        callIndex,
        messageIndex: messageIndex++,
        backend,
      };
      let replaced: unknown;
      try {
        replaced = hook(msg, ctx);
      } catch (err) {
        throw new Error(`onResponse hook of ${info.key} threw: ${err instanceof Error ? err.message : err}`, {
          cause: err,
        });
      }
      const out =
        replaced === undefined
          ? msg
          : create(info.desc.output, replaced as MessageInitShape<typeof info.desc.output>);
      return toBuffer(toBinary(info.desc.output, out));
    };
    return {
      callIndex,
      globalIndex,
      transform,
      /** Remembers a request message for the hook context (only when a hook is installed). */
      keep: (raw: Buffer) => {
        if (hook) requests.push(raw);
      },
    };
  }

  function handleUnary(info: MethodInfo): grpc.handleUnaryCall<Buffer, Buffer> {
    return (call, callback) => {
      const c = begin(info);
      c.keep(call.request);
      route(info, call, c.callIndex, c.globalIndex).then(
        ({ backend, metadata }) => {
          if (call.cancelled) return;
          let result: { err: grpc.ServiceError | null; value: Buffer | undefined } | undefined;
          const out = counted(
            client(backend).makeUnaryRequest(
              info.path,
              identity,
              identity,
              call.request,
              metadata,
              { parent: call },
              (err, value) => {
                result = { err, value };
              },
            ),
          );
          out.on("metadata", (md: grpc.Metadata) => call.sendMetadata(cleanMetadata(md)));
          // grpc-js calls the callback *before* emitting "status", so the trailers are only known here.
          out.on("status", (status: grpc.StatusObject) => {
            if (!result?.value || result.err) {
              callback(result?.err ?? statusError(status));
              return;
            }
            let value = result.value;
            try {
              observe(info, backend, call.request, value);
              value = c.transform(backend, value);
            } catch (err) {
              callback(proxyError(err));
              return;
            }
            callback(null, value, cleanMetadata(status.metadata));
          });
        },
        (err: unknown) => callback(proxyError(err)),
      );
    };
  }

  function handleServerStream(info: MethodInfo): grpc.handleServerStreamingCall<Buffer, Buffer> {
    return (call) => {
      const c = begin(info);
      c.keep(call.request);
      route(info, call, c.callIndex, c.globalIndex).then(
        ({ backend, metadata }) => {
          if (call.cancelled) return;
          const out = counted(
            client(backend).makeServerStreamRequest(info.path, identity, identity, call.request, metadata, {
              parent: call,
            }),
          );
          relayResponses(out, call, (raw) => c.transform(backend, raw));
        },
        (err: unknown) => call.emit("error", proxyError(err)),
      );
    };
  }

  function handleClientStream(info: MethodInfo): grpc.handleClientStreamingCall<Buffer, Buffer> {
    return (call, callback) => {
      const c = begin(info);
      // No "data" listener until routed: the inbound stream stays paused and buffers meanwhile.
      route(info, call, c.callIndex, c.globalIndex).then(
        ({ backend, metadata }) => {
          if (call.cancelled) return;
          let result: { err: grpc.ServiceError | null; value: Buffer | undefined } | undefined;
          const out = counted(
            client(backend).makeClientStreamRequest(
              info.path,
              identity,
              identity,
              metadata,
              { parent: call },
              (err, value) => {
                result = { err, value };
              },
            ),
          );
          out.on("metadata", (md: grpc.Metadata) => call.sendMetadata(cleanMetadata(md)));
          out.on("status", (status: grpc.StatusObject) => {
            if (!result?.value || result.err) {
              callback(result?.err ?? statusError(status));
              return;
            }
            let value: Buffer;
            try {
              value = c.transform(backend, result.value);
            } catch (err) {
              callback(proxyError(err));
              return;
            }
            callback(null, value, cleanMetadata(status.metadata));
          });
          relayRequests(call, out, c.keep);
        },
        (err: unknown) => callback(proxyError(err)),
      );
    };
  }

  function handleBidi(info: MethodInfo): grpc.handleBidiStreamingCall<Buffer, Buffer> {
    return (call) => {
      const c = begin(info);
      route(info, call, c.callIndex, c.globalIndex).then(
        ({ backend, metadata }) => {
          if (call.cancelled) return;
          const out = counted(
            client(backend).makeBidiStreamRequest(info.path, identity, identity, metadata, { parent: call }),
          );
          relayResponses(out, call, (raw) => c.transform(backend, raw));
          relayRequests(call, out, c.keep);
        },
        (err: unknown) => call.emit("error", proxyError(err)),
      );
    };
  }

  const server = new grpc.Server({
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
  for (const service of [ImmuService, AuthorizationService, DocumentService] as DescService[]) {
    for (const desc of service.methods) {
      const info: MethodInfo = {
        key: service === ImmuService ? desc.localName : `${service.name}.${desc.localName}`,
        path: path(service, desc),
        desc,
      };
      const [handler, type] =
        desc.methodKind === "unary"
          ? [handleUnary(info), "unary"]
          : desc.methodKind === "server_streaming"
            ? [handleServerStream(info), "serverStream"]
            : desc.methodKind === "client_streaming"
              ? [handleClientStream(info), "clientStream"]
              : [handleBidi(info), "bidi"];
      server.register<Buffer, Buffer>(info.path, handler, identity, identity, type);
    }
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `immudb://immudb:immudb@127.0.0.1:${port}/defaultdb`,
    address: `127.0.0.1:${port}`,
    calls,
    callsByBackend,
    get inFlight() {
      return inFlight;
    },
    onResponse(method, fn) {
      if (!Object.hasOwn(ImmuService.method, method))
        throw new Error(`onResponse: no ImmuService method ${method}`);
      if (fn) hooks.set(method, fn as unknown as AnyHook);
      else hooks.delete(method);
    },
    setRouter(fn) {
      router = fn;
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await Promise.allSettled(
          [...ownSessions].map(([id, backend]) => ownCall(backend, CLOSE_SESSION_PATH, EMPTY, id)),
        );
        ownSessions.clear();
        for (const c of clients) c.close();
      })();
      return closing;
    },
  };
}

/**
 * Pipes backend responses to the inbound call, with back-pressure, then ends it with the backend's status.
 * Waits for both "end" (all messages relayed) and "status" (the trailers), which grpc-js emits in either order.
 */
function relayResponses(
  out: grpc.ClientReadableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>,
  call: grpc.ServerWritableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>,
  transform: (raw: Buffer) => Buffer,
): void {
  let status: grpc.StatusObject | undefined;
  let ended = false;
  let failed = false;
  const finish = () => {
    if (failed || !status || !ended) return;
    if (status.code === grpc.status.OK) call.end(cleanMetadata(status.metadata));
    else call.emit("error", statusError(status));
  };
  out.on("metadata", (md: grpc.Metadata) => call.sendMetadata(cleanMetadata(md)));
  out.on("data", (raw: Buffer) => {
    if (failed) return;
    let msg: Buffer;
    try {
      msg = transform(raw);
    } catch (err) {
      failed = true;
      out.cancel();
      call.emit("error", proxyError(err));
      return;
    }
    if (!call.write(msg)) {
      out.pause();
      call.once("drain", () => out.resume());
    }
  });
  // The error also arrives as "status"; a listener is needed so that it is not thrown.
  out.on("error", () => undefined);
  out.on("end", () => {
    ended = true;
    finish();
  });
  out.on("status", (s: grpc.StatusObject) => {
    status = s;
    finish();
  });
}

/** Pipes inbound request messages to the backend call, with back-pressure, then half-closes it. */
function relayRequests(
  call: grpc.ServerReadableStream<Buffer, Buffer> | grpc.ServerDuplexStream<Buffer, Buffer>,
  out: grpc.ClientWritableStream<Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>,
  keep: (raw: Buffer) => void,
): void {
  call.on("data", (raw: Buffer) => {
    keep(raw);
    if (!out.write(raw)) {
      call.pause();
      out.once("drain", () => call.resume());
    }
  });
  call.on("end", () => out.end());
  call.on("error", () => out.cancel());
}

function path(service: DescService, method: DescMethod): string {
  return `/${service.typeName}/${method.name}`;
}

/** A copy of `md` without the transport-level headers. */
function cleanMetadata(md: grpc.Metadata): grpc.Metadata {
  const copy = md.clone();
  for (const key of RESERVED_HEADERS) copy.remove(key);
  return copy;
}

function firstString(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return typeof v === "string" ? v : undefined;
}

function statusError(status: grpc.StatusObject): grpc.ServerErrorResponse {
  return Object.assign(new Error(status.details), {
    code: status.code,
    details: status.details,
    metadata: cleanMetadata(status.metadata),
  });
}

/** A backend error passes through as is; anything else becomes INTERNAL "grpc-proxy: ...". */
function proxyError(err: unknown): grpc.ServerErrorResponse {
  const e = err as Partial<grpc.ServiceError> | undefined;
  if (e && typeof e.code === "number" && typeof e.details === "string") {
    return Object.assign(new Error(e.details), {
      code: e.code,
      details: e.details,
      metadata: e.metadata ? cleanMetadata(e.metadata) : new grpc.Metadata(),
    });
  }
  const message = `grpc-proxy: ${err instanceof Error ? err.message : String(err)}`;
  return Object.assign(new Error(message), {
    code: grpc.status.INTERNAL,
    details: message,
    metadata: new grpc.Metadata(),
  });
}

/** A plain Uint8Array view of a Buffer, so that decoded bytes fields are not Buffers. */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function toBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
