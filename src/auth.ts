/**
 * How a client authenticates its calls. One mode per client object: immudb sessions (`SessionManager`, the
 * default) or legacy tokens ({@link TokenManager}: `Login`, then `UseDatabase`, then `authorization` metadata).
 *
 * @module
 */
import { AuthenticationError, ConnectionError } from "./errors.js";
import { ImmuService } from "./gen/schema_pb.js";
import type { ResolvedOptions } from "./options.js";
import type { GrpcTransport } from "./transport/grpc.js";
import type { CallOptions } from "./types.js";

/** How a client authenticates: immudb sessions (default) or legacy `Login` tokens. */
export type AuthMode = "session" | "token";

/** What a call needs to be authenticated, from the current session or token. */
export interface Credentials {
  /** Metadata to send with the call (`sessionid` or `authorization`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The server's identity (an xid, stable across restarts of the same data directory). */
  readonly serverUuid: string;
  /** The database the credentials are bound to. */
  readonly database: string;
  /** Identifies these credentials for {@link Authenticator.invalidate}. */
  readonly key: string;
}

/** The authentication of one client. */
export interface Authenticator {
  readonly mode: AuthMode;
  /** The database the next credentials are bound to. */
  readonly database: string;
  /** The current credentials, obtained if needed. Concurrent callers share one attempt. */
  credentials(): Promise<Credentials>;
  /**
   * Whether `err` says the server no longer accepts the credentials (session lost, token unknown or expired).
   * immudb checks credentials before it runs a request, so the request had no effect and may be sent again
   * with new credentials.
   */
  isLost(err: unknown): boolean;
  /** Forgets credentials the server rejected, if they are still the current ones. */
  invalidate(key: string): void;
  /** Binds the following calls to another database. */
  switchDatabase(database: string): Promise<Credentials>;
  /** Ends the authentication (closes the session or logs out). Idempotent; never throws. */
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Legacy token authentication: `Login` (user, password), then `UseDatabase` (which returns a token bound to the
 * database), then `authorization: Bearer <token>` on every call. Tokens live in the server's memory: after a
 * restart (or a `Logout` of the user's last login) the server answers "not logged in"; an expired token gives
 * "token has expired". Either way the manager logs in again on the next call ({@link isLost}).
 *
 * No heartbeat: tokens do not expire while idle (only after the server's `--token-expiry-time`).
 */
export class TokenManager implements Authenticator {
  readonly mode = "token" as const;
  readonly #transport: GrpcTransport;
  readonly #options: ResolvedOptions;
  readonly #password: Uint8Array;
  #database: string;
  #current: Promise<Credentials> | undefined;
  #info: Credentials | undefined;
  /** Set by {@link logout}: calls fail until {@link login}. */
  #loggedOut = false;
  #closed = false;

  constructor(transport: GrpcTransport, options: ResolvedOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#password = encoder.encode(options.password);
    this.#database = options.database;
  }

  get database(): string {
    return this.#database;
  }

  credentials(): Promise<Credentials> {
    if (this.#closed) return Promise.reject(new ConnectionError("the client is closed", { code: "CLOSED" }));
    if (this.#loggedOut) {
      return Promise.reject(
        new AuthenticationError("not logged in: logout() was called; call login() first"),
      );
    }
    return this.#credentials(undefined);
  }

  #credentials(options: CallOptions | undefined): Promise<Credentials> {
    if (!this.#current) {
      const pending = this.#login(this.#database, options);
      this.#current = pending;
      pending.catch(() => {
        if (this.#current === pending) this.#current = undefined;
      });
    }
    return this.#current;
  }

  async #login(database: string, options?: CallOptions): Promise<Credentials> {
    let serverUuid = "";
    const onHeader = (h: ReadonlyMap<string, string>) => {
      serverUuid = h.get("immudb-uuid") ?? serverUuid;
    };
    const timeoutMs = options?.timeoutMs ?? this.#options.timeoutMs;
    const res = await this.#transport.unary(
      ImmuService.method.login,
      { user: encoder.encode(this.#options.user), password: this.#password },
      { timeoutMs, onHeader, signal: options?.signal },
    );
    if (res.warning.length > 0) this.#options.logger.warn(`immudb-ts: ${decoder.decode(res.warning)}`);
    const info = await this.#use(res.token, database, options);
    const creds: Credentials = { ...info, serverUuid: info.serverUuid || serverUuid };
    if (this.#closed) {
      await this.#logoutRemote(creds);
      throw new ConnectionError("the client was closed while logging in", { code: "CLOSED" });
    }
    this.#info = creds;
    this.#options.logger.debug(`immudb-ts: logged in on ${database}`);
    return creds;
  }

  /** `UseDatabase` with `token`: returns credentials with the new token, bound to `database`. */
  async #use(token: string, database: string, options?: CallOptions): Promise<Credentials> {
    let serverUuid = "";
    const res = await this.#transport.unary(
      ImmuService.method.useDatabase,
      { databaseName: database },
      {
        metadata: { authorization: `Bearer ${token}` },
        timeoutMs: options?.timeoutMs ?? this.#options.timeoutMs,
        signal: options?.signal,
        onHeader: (h) => {
          serverUuid = h.get("immudb-uuid") ?? "";
        },
      },
    );
    return {
      metadata: { authorization: `Bearer ${res.token}` },
      serverUuid,
      database,
      key: res.token,
    };
  }

  isLost(err: unknown): boolean {
    if (!(err instanceof AuthenticationError) || err.code !== "AUTHENTICATION" || !err.details) return false;
    const m = err.details.message;
    return m === "not logged in" || m.includes("token has expired");
  }

  invalidate(key: string): void {
    if (this.#info?.key === key) {
      this.#info = undefined;
      this.#current = undefined;
    }
  }

  /**
   * `UseDatabase` with the current token. On failure (e.g. the database does not exist) the client stays on
   * the database it had.
   */
  async switchDatabase(database: string): Promise<Credentials> {
    const current = await this.credentials();
    let next: Credentials;
    try {
      next = await this.#use(current.key, database);
    } catch (err) {
      if (!this.isLost(err)) throw err;
      this.invalidate(current.key);
      next = await this.#login(database);
    }
    next = { ...next, serverUuid: next.serverUuid || current.serverUuid };
    this.#database = database;
    this.#info = next;
    this.#current = Promise.resolve(next);
    return next;
  }

  /** Logs in again (after {@link logout}, or to get a fresh token). */
  async login(options?: CallOptions): Promise<Credentials> {
    if (this.#closed) throw new ConnectionError("the client is closed", { code: "CLOSED" });
    this.#loggedOut = false;
    if (this.#info) this.invalidate(this.#info.key);
    return this.#credentials(options);
  }

  /**
   * `Logout`: the server forgets the user's token keys once its last login is logged out. Later calls fail with
   * an `AuthenticationError` until {@link login}. Rejects if the server refuses the logout.
   */
  async logout(options?: CallOptions): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    this.#info = undefined;
    this.#loggedOut = true;
    const creds = current ? await current.catch(() => undefined) : undefined;
    if (!creds) return;
    try {
      await this.#transport.unary(
        ImmuService.method.logout,
        {},
        {
          metadata: creds.metadata,
          timeoutMs: options?.timeoutMs ?? this.#options.timeoutMs,
          signal: options?.signal,
        },
      );
    } catch (err) {
      // A token the server already forgot (restart): there is nothing left to log out.
      if (this.isLost(err)) return;
      throw err;
    }
  }

  async #logoutRemote(creds: Credentials): Promise<void> {
    try {
      await this.#transport.unary(
        ImmuService.method.logout,
        {},
        { metadata: creds.metadata, timeoutMs: 5000 },
      );
    } catch (err) {
      this.#options.logger.debug(`immudb-ts: Logout failed: ${(err as Error).message}`);
    }
  }

  /** Logs out (best effort). Idempotent; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const current = this.#current;
    this.#current = undefined;
    this.#info = undefined;
    if (current && !this.#loggedOut) {
      const creds = await current.catch(() => undefined);
      if (creds) await this.#logoutRemote(creds);
    }
  }
}
