/**
 * Client options and the `immudb://` connection URL.
 *
 * @module
 */
import { InvalidArgumentError } from "./errors.js";
import type { StateStore } from "./state/index.js";
import type { TlsOptions } from "./transport/grpc.js";

export type { TlsOptions } from "./transport/grpc.js";

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
  /** TLS: `true` for TLS with the system CAs, or the settings. Default: plaintext. */
  readonly tls?: boolean | TlsOptions;
  /** Default deadline of every call, in milliseconds; `0` disables it. Default 30 000. */
  readonly timeoutMs?: number;
  /**
   * Interval of the session heartbeat (the `KeepAlive` RPC) in milliseconds. immudb closes sessions idle for
   * longer than its `--session-timeout` (2 minutes by default). Default 60 000. The timer never keeps the
   * process alive.
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
  "host" | "port" | "user" | "password" | "database" | "tls" | "timeoutMs"
>;

/**
 * Parses `immudb://user:password@host:port/database?tls=true&timeoutMs=5000`.
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
  for (const [k, v] of u.searchParams) {
    if (k === "tls") {
      if (v !== "true" && v !== "false")
        throw new InvalidArgumentError("url parameter tls must be true or false");
      out.tls = v === "true";
    } else if (k === "timeoutMs") {
      out.timeoutMs = Number(v);
    } else {
      throw new InvalidArgumentError(`unknown url parameter ${JSON.stringify(k)}`);
    }
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
  else if (typeof o.tls === "object" && o.tls !== null) tls = o.tls;
  else throw new InvalidArgumentError("tls must be a boolean or an object");
  return {
    host,
    port,
    user,
    password,
    database,
    tls,
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
