/**
 * The one tiny protocol every benchmark driver speaks (immudb-ts, immudb-node, and the Go SDK in
 * bench/go-sdk/main.go, which mirrors these types): the orchestrator starts `driver '<Spec as JSON>'` as a
 * separate process per workload cell, and the driver prints one {@link Result} as a JSON line on stdout (the
 * last line that parses as JSON with a `workload` field; immudb-node prints its own logs on stdout too).
 *
 * @module
 */

export type Workload =
  | "set"
  | "get"
  | "verifiedSet"
  | "verifiedGet"
  | "setAll"
  | "scan"
  | "sqlInsert"
  | "sqlSelect";

/** `shared`: one client object (one connection) for every worker; `perWorker`: one client (own state) each. */
export type ClientMode = "shared" | "perWorker";

/** One workload cell. */
export interface Spec {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly workload: Workload;
  /** Closed-loop workers (kv workloads); the bulk workloads run one at a time. */
  readonly concurrency: number;
  readonly mode: ClientMode;
  readonly warmupMs: number;
  /** Measured phase of the timed workloads (at least one operation runs). `sqlInsert` inserts `total` rows. */
  readonly durationMs: number;
  /** Bytes of every value written (and expected back from get/verifiedGet). */
  readonly valueSize: number;
  /** Prefix of the keys written: `${keyPrefix}${worker}:${seq}` (setAll: `${keyPrefix}${batch}:${i}`). */
  readonly keyPrefix: string;
  /** Keys read: `${readPrefix}${i}` with i zero-padded to 8 digits, `0 <= i < readCount`; scan: the prefix. */
  readonly readPrefix: string;
  readonly readCount: number;
  /** Keys per setAll transaction; rows per INSERT statement. */
  readonly batchSize: number;
  /** Entries asked for per Scan RPC. */
  readonly pageSize: number;
  /** scan: keys under `readPrefix`; sqlInsert: rows to insert; sqlSelect: rows in `table`. */
  readonly total: number;
  readonly table: string;
  /** A fresh directory for the client's trusted state (Go SDK: `WithDir`; immudb-ts: a FileStateStore). */
  readonly stateDir: string;
  /**
   * immudb-ts only: where it keeps the trusted state. `file` (the comparison's setting): a FileStateStore in
   * `stateDir`, persisted like the Go SDK's state file. `memory`: its default in-memory store (informational rows).
   */
  readonly stateStore?: "file" | "memory";
  /** Retry of "max concurrency limit exceeded": full jitter, attempt n waits U[0, min(capMs, baseMs·2^(n-1))). */
  readonly retry: { readonly baseMs: number; readonly capMs: number };
}

export type Status = "ok" | "fails" | "n/a";

/** What a driver prints. Latencies are per operation (kv op, setAll batch, full scan, INSERT, full SELECT). */
export interface Result {
  readonly client: string;
  readonly version: string;
  readonly workload: Workload;
  readonly status: Status;
  readonly error?: string;
  /** Operations completed in the measured phase. */
  readonly ops: number;
  /** Keys or rows those operations covered (= ops for kv workloads). */
  readonly units: number;
  readonly durationMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time of the driver process during the measured phase. */
  readonly cpuUserMs: number;
  readonly cpuSysMs: number;
  /** Peak resident set size of the driver process over its whole life, KiB. */
  readonly maxRssKiB: number;
  /** "max concurrency limit exceeded" answers retried. */
  readonly retries: number;
  /** Other errors (any one ends the cell as `fails`). */
  readonly errors: number;
  /** Client objects (connections) used. */
  readonly clients: number;
}

/**
 * immudb's answer when 30 write transactions are in flight on the database: a plain write is refused before it
 * runs; a verified write may have been committed (its proof takes a transaction holder after the commit).
 */
export const RETRYABLE_MESSAGE = "max concurrency limit exceeded";
