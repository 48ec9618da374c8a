/**
 * immudb sessions: opening (single-flight), the heartbeat, re-opening after the server lost the session, closing.
 *
 * @module
 */
import type { Authenticator, Credentials } from "./auth.js";
import { ConnectionError, ImmudbError } from "./errors.js";
import { ImmuService } from "./gen/schema_pb.js";
import type { ResolvedOptions } from "./options.js";
import type { GrpcTransport } from "./transport/grpc.js";

/** An open immudb session. */
export interface SessionInfo {
  /** The session id sent as `sessionid` metadata. */
  readonly id: string;
  /** The server's identity (an xid, stable across restarts of the same data directory). */
  readonly serverUuid: string;
  /** The database the session is bound to. */
  readonly database: string;
}

const encoder = new TextEncoder();

/** Owns the session of one client (`auth: "session"`, the default). */
export class SessionManager implements Authenticator {
  readonly mode = "session" as const;
  readonly #transport: GrpcTransport;
  readonly #options: ResolvedOptions;
  readonly #password: Uint8Array;
  #database: string;
  #current: Promise<SessionInfo> | undefined;
  /** The session `#current` resolved to, once it has. */
  #info: SessionInfo | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(transport: GrpcTransport, options: ResolvedOptions) {
    this.#transport = transport;
    this.#options = options;
    this.#password = encoder.encode(options.password);
    this.#database = options.database;
  }

  /** The database the next session opens on. */
  get database(): string {
    return this.#database;
  }

  /** Returns the open session, opening one if needed. Concurrent callers share one OpenSession call. */
  session(): Promise<SessionInfo> {
    if (this.#closed) return Promise.reject(new ConnectionError("the client is closed", { code: "CLOSED" }));
    if (!this.#current) {
      const opening = this.#open();
      this.#current = opening;
      // A failed open must not stick: the next call tries again.
      opening.catch(() => {
        if (this.#current === opening) this.#current = undefined;
      });
    }
    return this.#current;
  }

  /** The session as call credentials (`sessionid` metadata). */
  async credentials(): Promise<Credentials> {
    const s = await this.session();
    return { metadata: { sessionid: s.id }, serverUuid: s.serverUuid, database: s.database, key: s.id };
  }

  /** "session not found" (unary) or "no session found" (streams): the server lost the session. */
  isLost(err: unknown): boolean {
    return err instanceof ImmudbError && err.code === "SESSION_NOT_FOUND";
  }

  async #open(): Promise<SessionInfo> {
    const database = this.#database;
    const res = await this.#transport.unary(
      ImmuService.method.openSession,
      { username: encoder.encode(this.#options.user), password: this.#password, databaseName: database },
      { timeoutMs: this.#options.timeoutMs },
    );
    const info: SessionInfo = { id: res.sessionID, serverUuid: res.serverUUID, database };
    this.#info = info;
    if (this.#closed) {
      await this.#closeRemote(info);
      throw new ConnectionError("the client was closed while the session was opening", { code: "CLOSED" });
    }
    this.#startHeartbeat();
    this.#options.logger.debug(`immudb-ts: session opened on ${database}`);
    return info;
  }

  /**
   * Forgets a session the server no longer knows (restart, idle timeout), so the next call opens a new one.
   * Only forgets it if it is still the current one.
   */
  invalidate(sessionId: string): void {
    if (this.#info?.id === sessionId) {
      this.#info = undefined;
      this.#current = undefined;
    }
  }

  /** Switches the database for the following sessions, closing the current one. */
  async switchDatabase(database: string): Promise<Credentials> {
    const previous = this.#current;
    this.#current = undefined;
    this.#database = database;
    if (previous) {
      const s = await previous.catch(() => undefined);
      if (s) await this.#closeRemote(s);
    }
    return this.credentials();
  }

  #startHeartbeat(): void {
    if (this.#heartbeat || this.#options.heartbeatIntervalMs <= 0) return;
    this.#heartbeat = setInterval(() => void this.#beat(), this.#options.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  async #beat(): Promise<void> {
    const current = this.#current;
    if (!current) return;
    let s: SessionInfo;
    try {
      s = await current;
    } catch {
      return;
    }
    try {
      await this.#transport.unary(
        ImmuService.method.keepAlive,
        {},
        { metadata: { sessionid: s.id }, timeoutMs: Math.min(this.#options.heartbeatIntervalMs, 10_000) },
      );
    } catch (err) {
      const e = err as ImmudbError;
      if (e.code === "SESSION_NOT_FOUND") this.invalidate(s.id);
      this.#options.logger.warn(`immudb-ts: session heartbeat failed: ${e.message}`);
    }
  }

  async #closeRemote(s: SessionInfo): Promise<void> {
    try {
      await this.#transport.unary(
        ImmuService.method.closeSession,
        {},
        { metadata: { sessionid: s.id }, timeoutMs: 5000 },
      );
    } catch (err) {
      this.#options.logger.debug(`immudb-ts: CloseSession failed: ${(err as Error).message}`);
    }
  }

  /** Stops the heartbeat and closes the server-side session. Idempotent; never throws. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    const current = this.#current;
    this.#current = undefined;
    if (current) {
      const s = await current.catch(() => undefined);
      if (s) await this.#closeRemote(s);
    }
  }
}
