/**
 * Which RPCs may be retried, and when. The one table of RPC idempotency ({@link RPC_KINDS}) and the retry
 * policy: exponential backoff with full jitter, for reads on transient failures, and for the few writes immudb
 * provably refused without running them because the database was busy ({@link busyRetryable}).
 *
 * @module
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { status as GrpcStatus } from "@grpc/grpc-js";
import {
  AbortError,
  ConnectionError,
  type ImmudbError,
  ServerError,
  TimeoutError,
  UnknownOutcomeError,
} from "./errors.js";
import { AuthorizationService } from "./gen/authorization_pb.js";
import { DocumentService } from "./gen/documents_pb.js";
import { ImmuService } from "./gen/schema_pb.js";
import { failedBeforeSending } from "./transport/grpc.js";

/**
 * What a failed call of an RPC means.
 * - `read`: no side effect. Retried on transient failures ({@link isRetryable}).
 * - `write`: changes data. Never retried; a failure after the request may have reached the server is an
 *   {@link UnknownOutcomeError}.
 * - `other`: neither retried nor reported as unknown outcome: session and login control (handled by the
 *   session/token managers), server-side cursors and interactive-transaction state, where a resend is not a
 *   plain repeat.
 */
export type RpcKind = "read" | "write" | "other";

type KindTable<S extends { method: Record<string, unknown> }> = {
  readonly [K in keyof S["method"]]: RpcKind;
};

/**
 * THE idempotency table: every RPC of the three services, by generated method name. TypeScript checks it is
 * complete, so a new RPC in the protos must be classified here before the code compiles.
 */
export const RPC_KINDS: {
  readonly immu: KindTable<typeof ImmuService>;
  readonly documents: KindTable<typeof DocumentService>;
  readonly authorization: KindTable<typeof AuthorizationService>;
} = {
  immu: {
    // reads
    get: "read",
    verifiableGet: "read",
    getAll: "read",
    scan: "read",
    count: "read",
    countAll: "read",
    txById: "read",
    verifiableTxById: "read",
    txScan: "read",
    history: "read",
    zScan: "read",
    serverInfo: "read",
    health: "read",
    databaseHealth: "read",
    currentState: "read",
    databaseList: "read",
    databaseListV2: "read",
    getDatabaseSettings: "read",
    getDatabaseSettingsV2: "read",
    listUsers: "read",
    listTables: "read",
    describeTable: "read",
    unarySQLQuery: "read", // SQLQuery only runs SELECT statements
    sQLQuery: "read",
    verifiableSQLGet: "read",
    streamGet: "read",
    streamVerifiableGet: "read",
    streamScan: "read",
    streamZScan: "read",
    streamHistory: "read",
    exportTx: "read",
    keepAlive: "read",
    // writes
    set: "write",
    verifiableSet: "write",
    delete: "write",
    execAll: "write",
    setReference: "write",
    verifiableSetReference: "write",
    zAdd: "write",
    verifiableZAdd: "write",
    sQLExec: "write",
    txSQLExec: "write",
    commit: "write",
    streamSet: "write",
    streamVerifiableSet: "write",
    streamExecAll: "write",
    replicateTx: "write",
    createUser: "write",
    changePassword: "write",
    changePermission: "write",
    changeSQLPrivileges: "write",
    setActiveUser: "write",
    updateAuthConfig: "write",
    updateMTLSConfig: "write",
    createDatabase: "write",
    createDatabaseWith: "write",
    createDatabaseV2: "write",
    loadDatabase: "write",
    unloadDatabase: "write",
    deleteDatabase: "write",
    updateDatabase: "write",
    updateDatabaseV2: "write",
    flushIndex: "write",
    compactIndex: "write",
    truncateDatabase: "write",
    // other
    openSession: "other",
    closeSession: "other",
    login: "other",
    logout: "other",
    useDatabase: "other",
    newTx: "other",
    rollback: "other",
    txSQLQuery: "other", // runs in an interactive transaction whose state a broken call leaves unclear
    streamExportTx: "other", // replication: a bidirectional exchange of acknowledgements
  },
  documents: {
    getCollections: "read",
    getCollection: "read",
    countDocuments: "read",
    auditDocument: "read",
    proofDocument: "read",
    searchDocuments: "other", // pages through a server-side reader kept in the session
    createCollection: "write",
    updateCollection: "write",
    deleteCollection: "write",
    addField: "write",
    removeField: "write",
    createIndex: "write",
    deleteIndex: "write",
    insertDocuments: "write",
    replaceDocuments: "write",
    deleteDocuments: "write",
  },
  authorization: {
    keepAlive: "read",
    openSession: "other",
    closeSession: "other",
  },
};

const byPath = new Map<string, RpcKind>();
for (const [service, table] of [
  [ImmuService, RPC_KINDS.immu],
  [DocumentService, RPC_KINDS.documents],
  [AuthorizationService, RPC_KINDS.authorization],
] as const) {
  for (const [localName, kind] of Object.entries(table) as [string, RpcKind][]) {
    const m = (service.method as Record<string, DescMethod>)[localName];
    if (m) byPath.set(`${service.typeName}/${m.name}`, kind);
  }
}

/** `Service/Method`, as in errors (`immudb.schema.ImmuService/Get`). */
export function rpcPath(method: Pick<DescMethod, "name" | "parent">): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** The kind of an RPC; an RPC missing from {@link RPC_KINDS} counts as a write. */
export function rpcKind(method: Pick<DescMethod, "name" | "parent">): RpcKind {
  return byPath.get(rpcPath(method)) ?? "write";
}

/** Retry settings with defaults filled in. */
export interface RetryPolicy {
  /** Attempts in all, the first included; 1 disables retries. */
  readonly maxAttempts: number;
  /** Cap of the backoff before the first retry, in milliseconds; doubled for each further retry. */
  readonly baseDelayMs: number;
  /** Largest backoff cap, in milliseconds. */
  readonly maxDelayMs: number;
}

/** The default retry policy: 3 attempts, backoff caps 50 ms, 100 ms, … up to 2 s. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 2000 };

/**
 * Whether a failed read may be sent again: the server was unreachable or the connection broke (a
 * {@link ConnectionError}, not a closed client), or the server asked to come back later (`RESOURCE_EXHAUSTED`,
 * or a `RetryInfo` with a delay). Never a verification failure, a timeout, a cancellation, or any other answer.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ConnectionError) return err.code === "CONNECTION";
  if (err instanceof ServerError) {
    const d = err.details;
    // grpc-js reports a response over maxReceiveMessageBytes as RESOURCE_EXHAUSTED too: resending won't help.
    if (d.grpcCode === GrpcStatus.RESOURCE_EXHAUSTED) return !/larger than max/i.test(d.message);
    return d.retryDelayMs !== undefined && d.retryDelayMs > 0;
  }
  return false;
}

/**
 * immudb's answers when a database is momentarily out of one of its fixed pools, sent as gRPC `UNKNOWN` with
 * only a message: tx holders (`max concurrency limit exceeded`: the store's `MaxConcurrency`, 30 by default,
 * so more than 30 writes in flight on one database), read-tx holders (`read tx pool exhausted`), index
 * snapshots (`tbtree: max active snapshots limit reached`) and interactive transactions (`max active
 * transactions limit exceeded`). The server is busy, not failing: a read answered so is retried like a
 * `RESOURCE_EXHAUSTED` one.
 */
const BUSY = [
  "max concurrency limit exceeded",
  "read tx pool exhausted",
  "tbtree: max active snapshots limit reached",
  "max active transactions limit exceeded",
] as const;

/** Which of immudb's busy answers ({@link BUSY}) `err` is, if any. */
function busy(err: unknown): (typeof BUSY)[number] | undefined {
  if (!(err instanceof ServerError)) return undefined;
  const m = err.details.message;
  return BUSY.find((b) => m.includes(b));
}

/**
 * Plain writes of one transaction for which `max concurrency limit exceeded` is raised before anything is
 * written: the tx holder is taken in `precommit`/`preCommitWith` (immudb 1.11.1
 * `embedded/store/immustore.go`, `fetchAllocTx`) before the transaction is appended, and nothing after the
 * commit takes one. Measured too: not one of 2,735 `Set`s refused so was found on the server.
 */
const BUSY_BEFORE_COMMIT = new Set(
  [
    ImmuService.method.set,
    ImmuService.method.delete,
    ImmuService.method.execAll,
    ImmuService.method.setReference,
    ImmuService.method.zAdd,
  ].map(rpcPath),
);

/**
 * Verified writes: the read-tx holder of the proof is taken before the write (`read tx pool exhausted` means
 * nothing was written), but the dual proof built AFTER the commit takes a tx holder too (`LinearProof`,
 * `LinearAdvanceProof`): `max concurrency limit exceeded` may come from a committed write. Measured: 140 of
 * 1,544 `VerifiableSet`s refused so had been committed. Never resent; reported as unknown outcome.
 */
const VERIFIABLE_WRITES = new Set(
  [
    ImmuService.method.verifiableSet,
    ImmuService.method.verifiableSetReference,
    ImmuService.method.verifiableZAdd,
    ImmuService.method.streamVerifiableSet,
  ].map(rpcPath),
);

/**
 * Whether a call answered with one of immudb's busy errors ({@link BUSY}) may be sent again with backoff (under
 * the same {@link RetryPolicy} as other retries): any read; among writes, only those the server provably
 * refused before running them: `max concurrency limit exceeded` for `Set`, `Delete`, `ExecAll`, `SetReference`
 * and `ZAdd`, and `read tx pool exhausted` for the verified writes. Not `SQLExec` (a script may have committed
 * its first statements before a later one was refused), nor anything else.
 */
export function busyRetryable(kind: RpcKind, rpc: string, err: unknown): boolean {
  const b = busy(err);
  if (b === undefined) return false;
  if (kind === "read") return true;
  if (kind !== "write") return false;
  if (b === "max concurrency limit exceeded") return BUSY_BEFORE_COMMIT.has(rpc);
  return b === "read tx pool exhausted" && VERIFIABLE_WRITES.has(rpc);
}

/**
 * The pause before retry number `retry` (1 for the first retry): full jitter, uniform in
 * `[0, min(maxDelayMs, baseDelayMs * 2^(retry-1)))`, but at least the delay the server asked for in `RetryInfo`.
 */
export function backoffDelay(
  retry: number,
  policy: RetryPolicy,
  err: unknown,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const jittered = Math.floor(random() * cap);
  const asked = err instanceof ServerError ? (err.details.retryDelayMs ?? 0) : 0;
  return Math.max(jittered, asked);
}

/**
 * What the caller of a write sees when it failed: an {@link UnknownOutcomeError} when the request may have
 * reached the server and the failure says nothing about the outcome (connection broken, deadline, cancellation,
 * a stream reset, or `max concurrency limit exceeded` from a verified write, which may come after its commit:
 * see {@link busyRetryable}); the error itself otherwise (the server's answer, or a failure before anything was
 * sent, e.g. connection refused, which the caller may safely retry).
 */
export function writeFailure(rpc: string, err: unknown): unknown {
  if (failedBeforeSending(err)) return err;
  const unknownOutcome =
    (err instanceof ConnectionError && err.code === "CONNECTION") ||
    err instanceof TimeoutError ||
    err instanceof AbortError ||
    (err instanceof ServerError &&
      err.details.grpcCode === GrpcStatus.INTERNAL &&
      /^Received RST_STREAM/.test(err.details.message)) ||
    (VERIFIABLE_WRITES.has(rpc) && busy(err) === "max concurrency limit exceeded");
  return unknownOutcome ? new UnknownOutcomeError(rpc, err as ImmudbError) : err;
}

/** Resolves after `ms`, or rejects with an {@link AbortError} as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, rpc: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError(`${rpc}: aborted while waiting to retry`, { cause: signal.reason }));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(`${rpc}: aborted while waiting to retry`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
