/**
 * Client options and the `immudb://` connection URL.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { AuthMode } from "./auth.js";
import { InvalidArgumentError } from "./errors.js";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";
import type { StateStore } from "./state/index.js";
import type { TlsOptions } from "./transport/grpc.js";

export type { AuthMode } from "./auth.js";
export type { TlsOptions } from "./transport/grpc.js";

/**
 * Retries of reads (see {@link ClientOptions.retry}). Attempt `n + 1` waits a random time in
 * `[0, min(maxDelayMs, baseDelayMs * 2^(n-1)))` ("full jitter"), or longer if the server asked for it.
 */
export interface RetryOptions {
  /** Attempts in all, the first one included; `1` disables retries. Default 3. */
  readonly maxAttempts?: number;
  /** Backoff cap before the first retry, in milliseconds; doubles with each retry. Default 50. */
  readonly baseDelayMs?: number;
  /** Largest backoff cap, in milliseconds. Default 2000. */
  readonly maxDelayMs?: number;
}

/** A logger; `console` and pino-style loggers fit. The client is silent unless one is given. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/**
 * How to reach and authenticate to immudb. Every field is optional; a `url` is read first and the other
 * fields override it.
 *
 * @example
 * ```ts
 * const options: ClientOptions = { host: "127.0.0.1", port: 3322, user: "immudb", password: "immudb" };
 * ```
 */
export interface ClientOptions {
  /**
   * `immudb://user:password@host:port/database?tls=true`. User and password are percent-decoded.
   * The password is never included in errors or logs.
   *
   * Query parameters: `tls=true|false`; `tlsCaFile`, `tlsCertFile`, `tlsKeyFile` (paths of PEM files, read when
   * the options are resolved) and `tlsServername`, each of which implies `tls=true`; `auth=session|token`;
   * `timeoutMs`. A `tls` object in the options replaces the URL's TLS settings as a whole.
   */
  readonly url?: string;
  /** Server host. Default `127.0.0.1`. */
  readonly host?: string;
  /** Server gRPC port. Default `3322`. */
  readonly port?: number;
  /** User name. Default `immudb`. */
  readonly user?: string;
  /** Password. Default `immudb` (immudb's initial admin password). */
  readonly password?: string;
  /** Database to open the session on. Default `defaultdb`. */
  readonly database?: string;
  /**
   * TLS: `true` for TLS checked against Node's bundled CAs, or the settings ({@link TlsOptions}: `ca`, `cert` +
   * `key` for mTLS, `servername`, `rejectUnauthorized`). Default: plaintext. With TLS on, every failure to set up
   * TLS (unknown CA, expired certificate, wrong host name, a server that does not speak TLS) rejects with a
   * `ConnectionError` whose message starts with "TLS handshake failed"; the client never falls back to plaintext.
   * A plaintext client talking to a TLS server gets a `ConnectionError` that suggests setting `tls`.
   */
  readonly tls?: boolean | TlsOptions;
  /**
   * How calls are authenticated; one mode per client object.
   * - `"session"` (default): `OpenSession` on connect, `sessionid` metadata on every call, a heartbeat
   *   ({@link heartbeatIntervalMs}) while idle, `CloseSession` on close. A session the server lost (restart,
   *   idle expiry) is reopened on the next call, which is then sent again (the server rejects an unknown session
   *   before running anything).
   * - `"token"`: immudb's legacy token auth, for servers or proxies without sessions: `Login`, then
   *   `UseDatabase` on the database, then `authorization: Bearer <token>` on every call. A token the server
   *   forgot or that expired ("not logged in", "token has expired") makes the client log in again and resend the
   *   call. No heartbeat. `client.login()`/`client.logout()` are available; `close()` logs out. Interactive
   *   transactions need sessions and are not available.
   */
  readonly auth?: AuthMode;
  /**
   * Deadline of every call, in milliseconds, covering all its attempts (retries, re-opened sessions); `0`
   * disables it. Default 30 000. Calls accept their own `timeoutMs`.
   */
  readonly timeoutMs?: number;
  /**
   * Retries of idempotent reads (get, verifiedGet, scan pages, history, txById, currentState, health, SQL
   * queries…; the table is `RPC_KINDS` in `src/retry.ts`) when the server is unreachable or the connection broke
   * (`ConnectionError`), or when it answers `RESOURCE_EXHAUSTED` or with a `RetryInfo` delay, or when immudb
   * refuses it as busy (`max concurrency limit exceeded` and its other pool limits: `busyRetryable` in
   * `src/retry.ts`). Exponential backoff with full jitter, within the call's deadline; a cancelled signal stops
   * the wait. `false` disables retries. Default `{ maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 2000 }`: for
   * bursts far above immudb's 30 concurrent writes per database, raise `maxAttempts`.
   *
   * Writes are retried only when immudb refused them before writing anything: `max concurrency limit exceeded`
   * of `set`, `setAll`, `delete`, `execAll`, `setReference` and `zAdd`. A verified write refused so may have been
   * committed (its proof is built after the commit): it rejects with `UnknownOutcomeError`.
   *
   * Never retried: verification failures, timeouts, cancellations, other server answers, and other writes. A write
   * that fails after it may have reached the server (connection broken, deadline passed or signal aborted while
   * it was in flight) rejects with `UnknownOutcomeError` (its `cause` is the original error): it may have been
   * committed. A write that provably never left the client (no connection could be established, so no HTTP/2
   * stream was created for it; or its signal was aborted before the call) rejects with the plain
   * `ConnectionError`/`TimeoutError`/`AbortError` and can be sent again safely. When in doubt, the outcome is
   * reported as unknown.
   */
  readonly retry?: false | RetryOptions;
  /**
   * Interval of the session heartbeat (the `KeepAlive` RPC) in milliseconds; `0` disables it. immudb deletes
   * sessions idle for longer than its `--session-timeout` (2 minutes by default), after which the next call
   * opens a new session transparently. Default 60 000. The timer never keeps the process alive. Session mode
   * only (tokens do not expire while idle).
   */
  readonly heartbeatIntervalMs?: number;
  /** Largest message accepted from the server, in bytes. Default 64 MiB. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest message sent, in bytes. Default 32 MiB (immudb's own limit). */
  readonly maxSendMessageBytes?: number;
  /** Where diagnostics go. Default: nowhere. */
  readonly logger?: Logger;
  /**
   * Where the trusted state of verified operations is kept. Default: a `MemoryStateStore` (lost when the
   * process ends). Use a `FileStateStore` to catch a server that rewrites history between runs.
   */
  readonly stateStore?: StateStore;
  /**
   * The server's state-signing public key (immudb's `--signingKey`), as PEM (`-----BEGIN PUBLIC KEY-----`) or
   * a raw 65-byte uncompressed P-256 point. When set, every state the client accepts, including the first,
   * must carry a valid signature.
   */
  readonly serverSigningKey?: string | Uint8Array;
  /**
   * The state to trust on first contact with the database instead of the server's word (trust on first use):
   * e.g. a state recorded earlier out of band. Ignored once the store holds a state.
   */
  readonly trustedState?: { readonly txId: bigint; readonly txHash: Uint8Array };
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly tls: TlsOptions | undefined;
  readonly auth: AuthMode;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
  readonly logger: Logger;
  readonly stateStore: StateStore | undefined;
  readonly serverSigningKey: string | Uint8Array | undefined;
  readonly trustedState: { readonly txId: bigint; readonly txHash: Uint8Array } | undefined;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The options used when nothing is given. */
export const DEFAULTS = {
  host: "127.0.0.1",
  port: 3322,
  user: "immudb",
  password: "immudb",
  database: "defaultdb",
  timeoutMs: 30_000,
  heartbeatIntervalMs: 60_000,
  maxReceiveMessageBytes: 64 * 1024 * 1024,
  maxSendMessageBytes: 32 * 1024 * 1024,
} as const;

/** Fields that can be read from an `immudb://` URL. */
type UrlFields = Pick<
  ClientOptions,
  "host" | "port" | "user" | "password" | "database" | "tls" | "timeoutMs" | "auth"
>;

/** URL parameters naming a PEM file, and the {@link TlsOptions} field each fills. */
const TLS_FILE_PARAMS = { tlsCaFile: "ca", tlsCertFile: "cert", tlsKeyFile: "key" } as const;

/**
 * Parses `immudb://user:password@host:port/database?tls=true&timeoutMs=5000` (parameters: see
 * {@link ClientOptions.url}). Reads the PEM files named by `tlsCaFile`, `tlsCertFile` and `tlsKeyFile`.
 * Throws {@link InvalidArgumentError} (without echoing the URL, which may hold a password).
 */
export function parseConnectionUrl(url: string): UrlFields {
  if (typeof url !== "string") throw new InvalidArgumentError("url must be a string");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      "url is not a valid URL (expected immudb://user:password@host:port/database)",
    );
  }
  if (u.protocol !== "immudb:") {
    throw new InvalidArgumentError(`url scheme must be immudb:, got ${u.protocol}`);
  }
  const out: { -readonly [K in keyof UrlFields]: UrlFields[K] } = {};
  if (u.hostname) out.host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (u.port) out.port = Number(u.port);
  if (u.username) out.user = safeDecode(u.username, "user");
  if (u.password) out.password = safeDecode(u.password, "password");
  const db = u.pathname.replace(/^\//, "");
  if (db) out.database = safeDecode(db, "database");
  let tlsFlag: boolean | undefined;
  const tls: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {};
  let tlsSettings = false;
  for (const [k, v] of u.searchParams) {
    if (k === "tls") {
      if (v !== "true" && v !== "false")
        throw new InvalidArgumentError("url parameter tls must be true or false");
      tlsFlag = v === "true";
    } else if (k === "timeoutMs") {
      out.timeoutMs = Number(v);
    } else if (k === "auth") {
      if (v !== "session" && v !== "token") {
        throw new InvalidArgumentError("url parameter auth must be session or token");
      }
      out.auth = v;
    } else if (k in TLS_FILE_PARAMS) {
      const field = TLS_FILE_PARAMS[k as keyof typeof TLS_FILE_PARAMS];
      try {
        tls[field] = readFileSync(v, "utf8");
      } catch (err) {
        throw new InvalidArgumentError(`url parameter ${k}: cannot read ${JSON.stringify(v)}`, {
          cause: err,
        });
      }
      tlsSettings = true;
    } else if (k === "tlsServername") {
      tls.servername = v;
      tlsSettings = true;
    } else {
      throw new InvalidArgumentError(`unknown url parameter ${JSON.stringify(k)}`);
    }
  }
  if (tlsSettings) {
    if (tlsFlag === false) throw new InvalidArgumentError("url sets tls=false together with TLS settings");
    out.tls = tls;
  } else if (tlsFlag !== undefined) {
    out.tls = tlsFlag;
  }
  return out;
}

function safeDecode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new InvalidArgumentError(`url ${what} is not valid percent-encoding`);
  }
}

/** Fills in defaults and validates. Throws {@link InvalidArgumentError} for anything invalid. */
export function resolveOptions(input: string | ClientOptions | undefined): ResolvedOptions {
  const given: ClientOptions =
    typeof input === "string" ? { url: input } : input === undefined ? {} : checkObject(input);
  const fromUrl = given.url !== undefined ? parseConnectionUrl(given.url) : {};
  const o = { ...fromUrl, ...withoutUndefined(given) };
  const port = o.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  const host = o.host ?? DEFAULTS.host;
  if (typeof host !== "string" || host.length === 0)
    throw new InvalidArgumentError("host must be a non-empty string");
  const user = o.user ?? DEFAULTS.user;
  if (typeof user !== "string" || user.length === 0)
    throw new InvalidArgumentError("user must be a non-empty string");
  const password = o.password ?? DEFAULTS.password;
  if (typeof password !== "string") throw new InvalidArgumentError("password must be a string");
  const database = o.database ?? DEFAULTS.database;
  if (typeof database !== "string" || database.length === 0) {
    throw new InvalidArgumentError("database must be a non-empty string");
  }
  const timeoutMs = nonNegative(o.timeoutMs ?? DEFAULTS.timeoutMs, "timeoutMs");
  const heartbeatIntervalMs = nonNegative(
    o.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
    "heartbeatIntervalMs",
  );
  const maxReceiveMessageBytes = positive(
    o.maxReceiveMessageBytes ?? DEFAULTS.maxReceiveMessageBytes,
    "maxReceiveMessageBytes",
  );
  const maxSendMessageBytes = positive(
    o.maxSendMessageBytes ?? DEFAULTS.maxSendMessageBytes,
    "maxSendMessageBytes",
  );
  let tls: TlsOptions | undefined;
  if (o.tls === true) tls = {};
  else if (o.tls === false || o.tls === undefined) tls = undefined;
  else if (typeof o.tls === "object" && o.tls !== null) tls = checkTls(o.tls);
  else throw new InvalidArgumentError("tls must be a boolean or an object");
  const auth = o.auth ?? "session";
  if (auth !== "session" && auth !== "token") {
    throw new InvalidArgumentError('auth must be "session" or "token"');
  }
  return {
    host,
    port,
    user,
    password,
    database,
    tls,
    auth,
    retry: resolveRetry(o.retry),
    timeoutMs,
    heartbeatIntervalMs,
    maxReceiveMessageBytes,
    maxSendMessageBytes,
    logger: o.logger ?? silent,
    stateStore: o.stateStore,
    serverSigningKey: o.serverSigningKey,
    trustedState: o.trustedState,
  };
}

function checkTls(t: TlsOptions): TlsOptions {
  for (const f of ["ca", "cert", "key"] as const) {
    const v = t[f];
    if (v !== undefined && typeof v !== "string" && !(v instanceof Uint8Array)) {
      throw new InvalidArgumentError(`tls.${f} must be a PEM string or bytes`);
    }
  }
  if ((t.cert === undefined) !== (t.key === undefined)) {
    throw new InvalidArgumentError("tls.cert and tls.key must be given together (mTLS)");
  }
  if (t.servername !== undefined && (typeof t.servername !== "string" || t.servername.length === 0)) {
    throw new InvalidArgumentError("tls.servername must be a non-empty string");
  }
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== "boolean") {
    throw new InvalidArgumentError("tls.rejectUnauthorized must be a boolean");
  }
  return t;
}

function resolveRetry(r: false | RetryOptions | undefined): RetryPolicy {
  if (r === false) return { ...DEFAULT_RETRY, maxAttempts: 1 };
  if (r === undefined) return DEFAULT_RETRY;
  if (typeof r !== "object" || r === null) throw new InvalidArgumentError("retry must be false or an object");
  const maxAttempts = positive(r.maxAttempts ?? DEFAULT_RETRY.maxAttempts, "retry.maxAttempts");
  const baseDelayMs = nonNegative(r.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs, "retry.baseDelayMs");
  const maxDelayMs = nonNegative(r.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs, "retry.maxDelayMs");
  return { maxAttempts, baseDelayMs, maxDelayMs };
}

function checkObject(input: unknown): ClientOptions {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new InvalidArgumentError("options must be a URL string or an options object");
  }
  return input as ClientOptions;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(`${what} must be a finite number >= 0`);
  }
  return v;
}

function positive(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
    throw new InvalidArgumentError(`${what} must be a positive integer`);
  }
  return v;
}
