/**
 * The auditor: watches one or more databases of an immudb server and proves, round after round, that each one's
 * history still extends the last state it trusted (`docs/auditor.md` §6 of the shared design notes; the
 * `immudb-ts audit` command is built on it).
 *
 * Per database and round: the server's `CurrentState` (its signature checked when a signing key is configured),
 * then a classification against the trusted state (`regressed`: fewer transactions than trusted; `forked`: the
 * same transaction with another hash), then a dual proof from the trusted state to the server's current
 * transaction (`verifiedTxById`, which proves that transaction from the trusted state, re-hashes its entries and
 * only then stores the new state), and a check that the proven transaction hashes to the `txHash` the server
 * claimed. Nothing is stored before the proof.
 *
 * Only the public client API is used.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { ImmudbClient } from "./client.js";
import {
  ConnectionError,
  ImmudbError,
  InvalidArgumentError,
  StateError,
  TimeoutError,
  VerificationError,
  type VerificationReason,
} from "./errors.js";
import type { ClientOptions } from "./options.js";
import { MemoryStateStore, type StateStore, type TrustedState } from "./state/index.js";
import type { ServerState } from "./types.js";
import { alh, bytesEqual } from "./verify/index.js";

/**
 * The outcome of one database in one round.
 * - `ok`: the server's current state was proven to extend the trusted one (or did not move), and is now trusted.
 * - `initialized`: first contact (with `acceptInitialState`, a signing key or a pinned state): the server's state
 *   was proven against itself and stored.
 * - `empty`: the database has no transaction yet, so nothing to prove. With first use accepted (and
 *   `connection`), the empty state is stored as trusted: every history extends it.
 * - `tampered`: a proof, hash or signature did not check out.
 * - `forked`: the server reports the trusted transaction with another hash.
 * - `regressed`: the server reports fewer transactions than were trusted (a rollback or lost writes).
 * - `untrusted`: nothing is trusted yet for this database and first use was not allowed.
 * - `state-error`: the local trusted state is unusable (corrupt file, lock, another server on the address).
 * - `unreachable`: the server could not be reached or did not answer in time.
 * - `error`: anything else (e.g. an unknown or unloaded database, a permission denied).
 */
export type AuditStatus =
  | "ok"
  | "initialized"
  | "empty"
  | "tampered"
  | "forked"
  | "regressed"
  | "untrusted"
  | "state-error"
  | "unreachable"
  | "error";

/** Statuses that mean the server's history cannot be trusted: the auditor stops and notifies. */
export const TAMPERING_STATUSES: ReadonlySet<AuditStatus> = new Set(["tampered", "forked", "regressed"]);

/** A state as the auditor reports it. */
export interface AuditState {
  readonly txId: bigint;
  readonly txHash: Uint8Array;
  readonly signature?: Uint8Array;
}

/** What was seen when a check failed: enough to reproduce and report it. */
export interface AuditEvidence {
  readonly database: string;
  /** The server UUID the trusted state belongs to, when one was trusted. */
  readonly serverUuid: string | undefined;
  /** `host:port` of the server. */
  readonly address: string;
  /** The last trusted state (before this round). */
  readonly trusted: AuditState | undefined;
  /** The state the server claimed in this round (`CurrentState`), when it answered. */
  readonly claimed: AuditState | undefined;
  /** Machine-readable reason: a {@link VerificationReason}, or `"state"` for a `StateError`. */
  readonly reason: VerificationReason | "state";
  /** The error message. */
  readonly message: string;
  readonly detectedAt: Date;
}

/** What happened to the webhook notification of a failure. */
export interface AuditNotification {
  readonly delivered: boolean;
  readonly attempts: number;
  /** HTTP status of the last attempt, when the endpoint answered. */
  readonly httpStatus?: number;
  /** Why the last attempt failed. */
  readonly error?: string;
}

/** The outcome of one database in one round. */
export interface AuditResult {
  readonly database: string;
  readonly status: AuditStatus;
  /** `true` for `ok`, `initialized` and `empty`. */
  readonly ok: boolean;
  /** The trusted state before this round, if any. */
  readonly previous: AuditState | undefined;
  /** The server's state in this round, when it answered. After an `ok`/`initialized` round it is trusted. */
  readonly current: AuditState | undefined;
  /** The error, for every status but `ok`, `initialized` and `empty`. */
  readonly error?: Error;
  /** For `tampered`, `forked`, `regressed` and `state-error`. */
  readonly evidence?: AuditEvidence;
  /** The webhook notification sent for this result, if any. */
  readonly notification?: AuditNotification;
  readonly durationMs: number;
}

/** One round over every audited database. */
export interface AuditRound {
  /** 1 for the first round of this auditor. */
  readonly round: number;
  readonly startedAt: Date;
  readonly results: readonly AuditResult[];
  /** Every result is ok. */
  readonly ok: boolean;
}

/** The webhook called when a round finds tampering (see {@link AuditorOptions.webhook}). */
export interface AuditWebhookOptions {
  /** `http:` or `https:` URL; the payload is POSTed as JSON. */
  readonly url: string;
  /** Extra request headers, e.g. `{ Authorization: "Bearer …" }`. Secrets never go into the body. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Key of an HMAC-SHA256 of the body, sent as `X-Immudb-Ts-Signature: sha256=<hex>` so the receiver can check
   * the payload came from this auditor.
   */
  readonly secret?: string;
  /** Deadline of each attempt, in ms. Default 5 000. */
  readonly timeoutMs?: number;
  /** Attempts in all (backoff 250 ms, then doubling). Default 3. A 2xx answer is success. */
  readonly attempts?: number;
  /** `"failure"` (default): only failed rounds; `"always"`: every checked database of every round. */
  readonly notify?: "failure" | "always";
}

/** Options of {@link Auditor}. Give either `client` or `connection`. */
export interface AuditorOptions {
  /**
   * A connected client. The auditor switches it between databases (`useDatabase`) and back, so do not use it
   * for anything else while a round runs. Its own state store (its `stateStore` option) holds the trusted
   * states; the auditor's `stateStore` option is refused with a client.
   */
  readonly client?: ImmudbClient;
  /** How to connect: the auditor opens (and closes) one client per audited database. */
  readonly connection?: string | ClientOptions;
  /**
   * `"all"`: every database the user can see, listed again each round (unloaded ones are skipped); or a list of
   * names, where a name ending in `*` is a prefix (`"orders_*"`: every loaded database whose name starts with
   * `orders_`, as immudb's auditor's `--audit-databases`). Default: the database of the client or connection.
   */
  readonly databases?: "all" | readonly string[];
  /**
   * Where trusted states are kept, with `connection` (default: in memory, lost when the process ends; use a
   * `FileStateStore` so a server rewriting its history between two runs is caught).
   */
  readonly stateStore?: StateStore;
  /** Pause between two rounds of {@link Auditor.run}, in ms. Default 60 000 (as immudb's auditor). */
  readonly intervalMs?: number;
  /**
   * Trust the server's current state of a database nothing is trusted for yet (trust on first use). Without it
   * such a database is reported `untrusted`, unless the connection options carry a `serverSigningKey` (the first
   * state must then be signed) or a pinned `trustedState`.
   */
  readonly acceptInitialState?: boolean;
  /** Databases audited at the same time, with `connection`. Default 4. */
  readonly concurrency?: number;
  /** Called after each round (awaited). */
  readonly onRound?: (round: AuditRound) => void | Promise<void>;
  /** Called on tampering. */
  readonly webhook?: AuditWebhookOptions;
  /** Stops {@link Auditor.run} (between databases and during the pause). */
  readonly signal?: AbortSignal;
}

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_CONCURRENCY = 4;

/**
 * Audits databases of one immudb server round after round against a persistent trusted state.
 *
 * @example
 * ```ts
 * const auditor = new Auditor({
 *   connection: "immudb://immudb:immudb@127.0.0.1:3322/defaultdb",
 *   databases: "all",
 *   stateStore: new FileStateStore({ path: "./audit-state.json" }),
 *   acceptInitialState: true,
 * });
 * try {
 *   const results = await auditor.runOnce();
 *   for (const r of results) console.log(r.database, r.status, r.current?.txId);
 * } finally {
 *   await auditor.close();
 * }
 * ```
 */
export class Auditor {
  readonly #client: ImmudbClient | undefined;
  readonly #connection: ClientOptions | undefined;
  readonly #databases: "all" | readonly string[] | undefined;
  readonly #store: StateStore | undefined;
  readonly #intervalMs: number;
  readonly #acceptInitial: boolean;
  readonly #concurrency: number;
  readonly #onRound: AuditorOptions["onRound"];
  readonly #webhook: AuditWebhookOptions | undefined;
  readonly #signal: AbortSignal | undefined;
  /** Clients opened by the auditor (connection mode), by database. */
  readonly #clients = new Map<string, Promise<ImmudbClient>>();
  #round = 0;
  #closed = false;

  /** Checks the options; connects nothing. @throws InvalidArgumentError for bad options. */
  constructor(options: AuditorOptions) {
    if (typeof options !== "object" || options === null)
      throw new InvalidArgumentError("options are required");
    if ((options.client === undefined) === (options.connection === undefined)) {
      throw new InvalidArgumentError("Auditor: give exactly one of client and connection");
    }
    if (options.client !== undefined && !(options.client instanceof ImmudbClient)) {
      throw new InvalidArgumentError("Auditor: client must be an ImmudbClient");
    }
    if (options.client !== undefined && options.stateStore !== undefined) {
      throw new InvalidArgumentError(
        "Auditor: stateStore applies to connection only; a client keeps its own (ClientOptions.stateStore)",
      );
    }
    this.#client = options.client;
    if (options.connection !== undefined) {
      const c = options.connection;
      this.#connection = typeof c === "string" ? { url: c } : { ...c };
      if (this.#connection.stateStore !== undefined && options.stateStore !== undefined) {
        throw new InvalidArgumentError("Auditor: give stateStore either in the options or in connection");
      }
    }
    const dbs = options.databases;
    if (dbs !== undefined && dbs !== "all") {
      if (
        !Array.isArray(dbs) ||
        dbs.length === 0 ||
        dbs.some((d) => typeof d !== "string" || d.length === 0)
      ) {
        throw new InvalidArgumentError('Auditor: databases must be "all" or a non-empty list of names');
      }
    }
    this.#databases = dbs === undefined || dbs === "all" ? dbs : [...new Set(dbs)];
    this.#store = options.stateStore ?? this.#connection?.stateStore ?? new MemoryStateStore();
    this.#intervalMs = checkNonNegative(options.intervalMs ?? DEFAULT_INTERVAL_MS, "intervalMs");
    this.#concurrency = Math.max(
      1,
      Math.floor(checkNonNegative(options.concurrency ?? DEFAULT_CONCURRENCY, "concurrency")),
    );
    this.#acceptInitial =
      options.acceptInitialState === true ||
      this.#connection?.serverSigningKey !== undefined ||
      this.#connection?.trustedState !== undefined;
    this.#onRound = options.onRound;
    if (options.webhook !== undefined) {
      let u: URL;
      try {
        u = new URL(options.webhook.url);
      } catch {
        throw new InvalidArgumentError("Auditor: webhook.url is not a valid URL");
      }
      if (u.protocol !== "http:" && u.protocol !== "https:") {
        throw new InvalidArgumentError("Auditor: webhook.url must be http: or https:");
      }
    }
    this.#webhook = options.webhook;
    this.#signal = options.signal;
  }

  /** Runs one round over every audited database and returns one result per database (in database order). */
  async runOnce(): Promise<AuditResult[]> {
    return (await this.#runRound()).results as AuditResult[];
  }

  /**
   * Runs rounds every `intervalMs` until the signal aborts or a round finds tampering (or an `untrusted` or
   * `state-error` database, which need an operator). Unreachable servers and other errors are reported and
   * retried next round. Resolves with the last round (`undefined` if aborted before the first one finished).
   */
  async run(): Promise<AuditRound | undefined> {
    let last: AuditRound | undefined;
    while (!this.#signal?.aborted && !this.#closed) {
      last = await this.#runRound();
      if (last.results.some((r) => isStopping(r.status))) return last;
      if (this.#signal?.aborted) break;
      try {
        await delay(this.#intervalMs, undefined, this.#signal ? { signal: this.#signal } : {});
      } catch {
        break; // aborted
      }
    }
    return last;
  }

  /** Closes the clients the auditor opened (never a client it was given). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #runRound(): Promise<AuditRound> {
    if (this.#closed) throw new InvalidArgumentError("Auditor: closed");
    const round = ++this.#round;
    const startedAt = new Date();
    let results: AuditResult[];
    try {
      results = this.#client ? await this.#roundWithClient(this.#client) : await this.#roundWithConnection();
    } catch (err) {
      // Listing the databases failed: one result for the whole round.
      results = [failed(this.#defaultDatabase(), err, undefined, undefined, "", 0)];
    }
    if (this.#webhook) {
      results = await Promise.all(
        results.map(async (r) =>
          this.#webhook && (TAMPERING_STATUSES.has(r.status) || (this.#webhook.notify === "always" && r.ok))
            ? { ...r, notification: await notify(this.#webhook, r, round, this.#address()) }
            : r,
        ),
      );
    }
    const out: AuditRound = { round, startedAt, results, ok: results.every((r) => r.ok) };
    await this.#onRound?.(out);
    return out;
  }

  #defaultDatabase(): string {
    return this.#client?.database ?? this.#connection?.database ?? databaseFromUrl(this.#connection?.url);
  }

  #address(): string {
    if (this.#client) return this.#client.address;
    const c = this.#connection;
    const host = c?.host ?? hostFromUrl(c?.url) ?? "127.0.0.1";
    const port = c?.port ?? portFromUrl(c?.url) ?? 3322;
    return `${host}:${port}`;
  }

  async #roundWithClient(client: ImmudbClient): Promise<AuditResult[]> {
    const home = client.database;
    const dbs = await this.#list(client);
    const results: AuditResult[] = [];
    try {
      for (const db of dbs) {
        if (this.#signal?.aborted) break;
        const t0 = performance.now();
        try {
          await client.useDatabase(db);
        } catch (err) {
          results.push(failed(db, err, undefined, undefined, client.address, performance.now() - t0));
          continue;
        }
        results.push(await check(client, db, this.#acceptInitial));
      }
    } finally {
      if (client.database !== home) await client.useDatabase(home).catch(() => undefined);
    }
    return results;
  }

  async #roundWithConnection(): Promise<AuditResult[]> {
    const dbs = await this.#list(undefined);
    for (const db of this.#clients.keys()) {
      if (!dbs.includes(db)) {
        const p = this.#clients.get(db);
        this.#clients.delete(db);
        void p?.then((c) => c.close()).catch(() => undefined);
      }
    }
    const results: AuditResult[] = new Array(dbs.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < dbs.length; i = next++) {
        const db = dbs[i] as string;
        const t0 = performance.now();
        let client: ImmudbClient;
        try {
          client = await this.#clientFor(db);
        } catch (err) {
          results[i] = failed(db, err, undefined, undefined, this.#address(), performance.now() - t0);
          continue;
        }
        results[i] = await check(client, db, this.#acceptInitial, this.#store);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, dbs.length) }, worker));
    return results.filter((r) => r !== undefined);
  }

  /** The client of a database (connection mode), connecting it on first use; a failed connect is forgotten. */
  #clientFor(db: string): Promise<ImmudbClient> {
    let p = this.#clients.get(db);
    if (!p) {
      p = ImmudbClient.connect({ ...this.#connection, database: db, stateStore: this.#store as StateStore });
      this.#clients.set(db, p);
      p.catch(() => {
        if (this.#clients.get(db) === p) this.#clients.delete(db);
      });
    }
    return p;
  }

  /** The databases of this round. */
  async #list(client: ImmudbClient | undefined): Promise<string[]> {
    const dbs = this.#databases;
    if (dbs === undefined) return [this.#defaultDatabase()];
    if (dbs !== "all" && !dbs.some((d) => d.endsWith("*"))) return [...dbs];
    const c = client ?? (await this.#clientFor(this.#defaultDatabase()));
    const loaded = (await c.listDatabases()).filter((d) => d.loaded).map((d) => d.name);
    if (dbs === "all") return loaded;
    // Exact names as given (an unknown one is reported), then the loaded databases matching each prefix.
    const out = new Set<string>();
    for (const d of dbs) {
      if (!d.endsWith("*")) out.add(d);
      else for (const name of loaded) if (name.startsWith(d.slice(0, -1))) out.add(name);
    }
    return [...out];
  }
}

/** Audits the database `client` is on. Never throws. */
async function check(
  client: ImmudbClient,
  database: string,
  acceptInitial: boolean,
  store?: StateStore,
): Promise<AuditResult> {
  const t0 = performance.now();
  const took = () => performance.now() - t0;
  let previous: AuditState | undefined;
  let prevStored: TrustedState | undefined;
  let current: AuditState | undefined;
  try {
    prevStored = await client.trustedState();
    previous = prevStored && stateOf(prevStored);
    const claimed = await client.currentState();
    current = stateOf(claimed);
    if (!prevStored) {
      if (current.txId === 0n) {
        // Every history extends the empty one: with first use accepted, remember the database was seen empty,
        // so its first transactions are trusted next round without another first use.
        if (acceptInitial && store && client.authMode === "session") {
          const { serverUuid } = await client.session();
          await store.compareAndSet(undefined, { serverUuid, database, txId: 0n, txHash: current.txHash });
        }
        return result(database, "empty", previous, current, took());
      }
      if (!acceptInitial) {
        const err = new StateError(
          `no trusted state for database ${database}: accept the server's current state explicitly ` +
            "(acceptInitialState / --accept-initial-state), or configure a signing key or a pinned state",
        );
        return { ...result(database, "untrusted", previous, current, took()), error: err };
      }
      await proveCurrent(client, claimed);
      return result(database, "initialized", previous, current, took());
    }
    if (current.txId < prevStored.txId) {
      throw new VerificationError(
        "state-regression",
        `the server reports tx ${current.txId} but tx ${prevStored.txId} was trusted (a rollback or lost writes)`,
      );
    }
    if (current.txId === prevStored.txId) {
      if (!bytesEqual(current.txHash, prevStored.txHash)) {
        throw new VerificationError(
          "alh-mismatch",
          `the server reports tx ${current.txId} with another hash than the trusted one (a forked history)`,
        );
      }
      return result(database, "ok", previous, current, took());
    }
    await proveCurrent(client, claimed);
    return result(database, "ok", previous, current, took());
  } catch (err) {
    return failed(database, err, previous, current, client.address, took(), prevStored?.serverUuid);
  }
}

/**
 * Proves the server's claimed state: `verifiedTxById` proves its transaction from the trusted state (dual
 * proof, entries re-hashed, signature when a key is configured) and stores it; then the proven transaction must
 * hash to the claimed `txHash`.
 */
async function proveCurrent(client: ImmudbClient, claimed: ServerState): Promise<void> {
  const tx = await client.verifiedTxById(claimed.txId);
  if (!bytesEqual(alh(tx.header), claimed.txHash)) {
    throw new VerificationError(
      "alh-mismatch",
      `the server's current state claims a hash for tx ${claimed.txId} that its proven transaction does not have`,
    );
  }
}

function result(
  database: string,
  status: AuditStatus,
  previous: AuditState | undefined,
  current: AuditState | undefined,
  durationMs: number,
): AuditResult {
  return {
    database,
    status,
    ok: status === "ok" || status === "initialized" || status === "empty",
    previous,
    current,
    durationMs,
  };
}

function failed(
  database: string,
  err: unknown,
  previous: AuditState | undefined,
  current: AuditState | undefined,
  address: string,
  durationMs: number,
  serverUuid?: string,
): AuditResult {
  const error = err instanceof Error ? err : new Error(String(err));
  const status = classify(error, previous, current);
  const base = { ...result(database, status, previous, current, durationMs), error };
  if (!TAMPERING_STATUSES.has(status) && status !== "state-error") return base;
  const evidence: AuditEvidence = {
    database,
    serverUuid,
    address,
    trusted: previous,
    claimed: current,
    reason: error instanceof VerificationError ? error.reason : "state",
    message: error.message,
    detectedAt: new Date(),
  };
  return { ...base, evidence };
}

function classify(
  err: Error,
  previous: AuditState | undefined,
  current: AuditState | undefined,
): AuditStatus {
  if (err instanceof VerificationError) {
    if (err.reason === "state-regression") return "regressed";
    if (previous && current && previous.txId === current.txId) return "forked";
    return "tampered";
  }
  if (err instanceof StateError) return "state-error";
  if (err instanceof ConnectionError || err instanceof TimeoutError) return "unreachable";
  return "error";
}

function isStopping(status: AuditStatus): boolean {
  return TAMPERING_STATUSES.has(status) || status === "untrusted" || status === "state-error";
}

function stateOf(s: { txId: bigint; txHash: Uint8Array; signature?: Uint8Array | undefined }): AuditState {
  return s.signature
    ? { txId: s.txId, txHash: s.txHash, signature: s.signature }
    : { txId: s.txId, txHash: s.txHash };
}

/** JSON-ready form of a state: decimal tx id, hex hash and signature. */
export function auditStateToJson(
  s: AuditState | undefined,
): { txId: string; txHash: string; signature?: string } | null {
  if (!s) return null;
  return {
    txId: s.txId.toString(),
    txHash: hex(s.txHash),
    ...(s.signature ? { signature: hex(s.signature) } : {}),
  };
}

/** JSON-ready form of evidence (what the webhook sends). */
export function auditEvidenceToJson(e: AuditEvidence): Record<string, unknown> {
  return {
    database: e.database,
    serverUuid: e.serverUuid ?? null,
    address: e.address,
    trusted: auditStateToJson(e.trusted),
    claimed: auditStateToJson(e.claimed),
    reason: e.reason,
    message: e.message,
    detectedAt: e.detectedAt.toISOString(),
  };
}

/** JSON-ready form of a result. */
export function auditResultToJson(r: AuditResult): Record<string, unknown> {
  return {
    database: r.database,
    status: r.status,
    ok: r.ok,
    previous: auditStateToJson(r.previous),
    current: auditStateToJson(r.current),
    durationMs: Math.round(r.durationMs),
    ...(r.error
      ? {
          error: {
            name: r.error.name,
            ...(r.error instanceof ImmudbError ? { code: r.error.code } : {}),
            ...(r.error instanceof VerificationError ? { reason: r.error.reason } : {}),
            message: r.error.message,
          },
        }
      : {}),
    ...(r.evidence ? { evidence: auditEvidenceToJson(r.evidence) } : {}),
    ...(r.notification ? { notification: r.notification } : {}),
  };
}

/** POSTs the result to the webhook, with retries, each attempt bounded by its timeout. Never throws. */
async function notify(
  hook: AuditWebhookOptions,
  r: AuditResult,
  round: number,
  address: string,
): Promise<AuditNotification> {
  const body = JSON.stringify({
    source: "immudb-ts",
    event: TAMPERING_STATUSES.has(r.status) ? "audit.tampering" : "audit.checked",
    tampered: TAMPERING_STATUSES.has(r.status),
    round,
    runAt: new Date().toISOString(),
    address,
    ...auditResultToJson(r),
  });
  const headers: Record<string, string> = { "content-type": "application/json", ...(hook.headers ?? {}) };
  if (hook.secret !== undefined) {
    headers["x-immudb-ts-signature"] =
      `sha256=${createHmac("sha256", hook.secret).update(body).digest("hex")}`;
  }
  const attempts = Math.max(1, Math.floor(hook.attempts ?? 3));
  const timeoutMs = hook.timeoutMs ?? 5_000;
  let last: AuditNotification = { delivered: false, attempts: 0 };
  for (let i = 1; i <= attempts; i++) {
    if (i > 1) await delay(250 * 2 ** (i - 2));
    try {
      const res = await fetch(hook.url, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "error",
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300)
        return { delivered: true, attempts: i, httpStatus: res.status };
      last = { delivered: false, attempts: i, httpStatus: res.status, error: `HTTP ${res.status}` };
    } catch (err) {
      const e = err as Error;
      const msg = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.message ?? String(err));
      last = { delivered: false, attempts: i, error: msg };
    }
  }
  return last;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

function checkNonNegative(v: number, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(`Auditor: ${what} must be a non-negative number`);
  }
  return v;
}

function parsedUrl(url: string | undefined): URL | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function databaseFromUrl(url: string | undefined): string {
  const p = parsedUrl(url)?.pathname.replace(/^\//, "");
  return p ? decodeURIComponent(p) : "defaultdb";
}

function hostFromUrl(url: string | undefined): string | undefined {
  return parsedUrl(url)?.hostname || undefined;
}

function portFromUrl(url: string | undefined): number | undefined {
  const p = parsedUrl(url)?.port;
  return p ? Number(p) : undefined;
}
