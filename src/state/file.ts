/**
 * The persistent trusted-state store: one JSON file, shared safely by every process of this client that uses
 * it. The only module of immudb-ts that touches the disk.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import { type FileHandle, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { promisify } from "node:util";
import { InvalidArgumentError, StateError } from "../errors.js";
import {
  checkPin,
  checkTransition,
  copyState,
  MAX_TX_ID,
  validateIdentity,
  validateKey,
  validateTransition,
} from "./rules.js";
import type { StateStore, TrustedState } from "./types.js";

/** Options of {@link FileStateStore}. */
export interface FileStateStoreOptions {
  /** The state file. Relative paths are resolved against the working directory when the store is created. */
  readonly path: string;
  /** How long to wait for another process's lock before failing with `StateError`, in ms. Default 10 000. */
  readonly lockTimeoutMs?: number;
  /**
   * Age (by the lock file's modification time) after which a lock is considered abandoned and broken, in ms.
   * A lock whose holder process is gone from this host is broken at once. Default 30 000.
   */
  readonly staleLockMs?: number;
}

/** Version of the file format written and read by {@link FileStateStore}. */
export const STATE_FILE_VERSION = 1;

/** A parsed state file. Maps rather than objects, so no name (not even `__proto__`) is special. */
interface StateDocument {
  /** serverUuid → database → state. */
  readonly servers: Map<string, Map<string, TrustedState>>;
  /** address → serverUuid. */
  readonly identities: Map<string, string>;
}

/** A lock held by this store: the exact bytes written to the lock file identify it. */
interface HeldLock {
  readonly content: string;
}

/** Our lock file was broken by another process; nothing was written, the operation starts over. Internal. */
class LockLostError extends Error {}

const HOST = hostname();
const MAX_LOCK_LOST_RETRIES = 3;
const MAX_BACKOFF_MS = 50;
const TX_ID_RE = /^(?:0|[1-9][0-9]{0,19})$/;
const TX_HASH_RE = /^[0-9a-fA-F]{64}$/;
const SIGNATURE_RE = /^(?:[0-9a-fA-F]{2})+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Persists trusted states and server identity pins in one JSON file, so a server that rewrites its history
 * between two runs is caught by the next run.
 *
 * File format (UTF-8 JSON, written with mode `0o600`, parent directories created on first write):
 * ```json
 * {
 *   "version": 1,
 *   "servers": {
 *     "<server UUID>": {
 *       "<database>": { "txId": "<decimal uint64>", "txHash": "<64 hex digits>", "signature": "<hex DER>" }
 *     }
 *   },
 *   "identities": { "<host:port>": "<server UUID>" }
 * }
 * ```
 * `signature` is optional. All three top-level fields are required and no other field is allowed anywhere.
 * A file that is not valid UTF-8 JSON of exactly this shape (truncated, garbled, another `version`, a bad
 * field) makes every operation fail with `StateError`: it is never treated as empty. A missing file is empty.
 *
 * Writes are atomic: a temporary file in the same directory is written and fsynced, renamed over the state file,
 * and the directory is fsynced (where the platform allows it). Readers (`get`) therefore never see a partial
 * file and take no lock.
 *
 * Writers (`compareAndSet`, `pinServerIdentity`) read, compare and write under an exclusive lock shared by
 * all processes: the file `<path>.lock`, created with `O_EXCL` and holding `{pid, hostname, acquiredAt, token}`.
 * A busy lock is retried with jittered backoff for `lockTimeoutMs`, then `StateError`. A lock is broken only if
 * its holder pid is dead on this host or it is older than `staleLockMs`; a writer re-checks that its lock is
 * still in place just before renaming the new file into place, and starts over if it is not. The lock is held
 * for a few local file operations only, never across an RPC. Within one store instance operations are queued,
 * so a process never contends with itself. No timer outlives an operation and no process handler is installed.
 *
 * @example
 * ```ts
 * const store = new FileStateStore({ path: "/var/lib/myapp/immudb-state.json" });
 * ```
 */
export class FileStateStore implements StateStore {
  /** Absolute path of the state file. */
  readonly path: string;
  readonly #dir: string;
  readonly #lockPath: string;
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  /** Tail of the queue of this instance's writers. Never rejects. */
  #tail: Promise<void> = Promise.resolve();
  /** Operations in flight, so `close` can wait for them. */
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  /** Throws `InvalidArgumentError` for an empty path or a negative/non-finite duration. Touches no file. */
  constructor(options: FileStateStoreOptions) {
    if (typeof options?.path !== "string" || options.path.length === 0) {
      throw new InvalidArgumentError("FileStateStore: path must be a non-empty string");
    }
    this.path = resolve(options.path);
    this.#dir = dirname(this.path);
    this.#lockPath = `${this.path}.lock`;
    this.#lockTimeoutMs = duration(options.lockTimeoutMs, 10_000, "lockTimeoutMs");
    this.#staleLockMs = duration(options.staleLockMs, 30_000, "staleLockMs");
  }

  /** {@inheritDoc StateStore.get} */
  get(serverUuid: string, database: string): Promise<TrustedState | undefined> {
    return this.#track(async () => {
      validateKey(serverUuid, database);
      const state = (await this.#readShared()).servers.get(serverUuid)?.get(database);
      return state && copyState(state);
    });
  }

  /** {@inheritDoc StateStore.compareAndSet} */
  compareAndSet(expected: TrustedState | undefined, next: TrustedState): Promise<boolean> {
    return this.#track(() => this.#compareAndSet(expected, next));
  }

  /** {@inheritDoc StateStore.pinServerIdentity} */
  pinServerIdentity(address: string, serverUuid: string): Promise<void> {
    return this.#track(() => this.#pin(address, serverUuid));
  }

  /** Refuses new operations and waits for those in flight. Idempotent. The store holds no handle or timer. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
  }

  /** Runs `op` unless closed, registered as in flight until it settles. */
  #track<T>(op: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new StateError("the state store is closed"));
    const p = op();
    this.#pending.add(p);
    const done = (): void => {
      this.#pending.delete(p);
    };
    p.then(done, done);
    return p;
  }

  async #compareAndSet(expected: TrustedState | undefined, next: TrustedState): Promise<boolean> {
    validateTransition(expected, next);
    // A lock-free look first: a state only moves forward, so "changed", "unchanged" and the refusals decided
    // on any atomic read stay true. Only a write needs the lock.
    const first = checkTransition(this.#stored(await this.#readShared(), next), expected, next);
    if (first !== "store") return first === "unchanged";
    return this.#exclusive(async (commit) => {
      const doc = await this.#read();
      const transition = checkTransition(this.#stored(doc, next), expected, next);
      if (transition !== "store") return transition === "unchanged";
      let databases = doc.servers.get(next.serverUuid);
      if (databases === undefined) {
        databases = new Map();
        doc.servers.set(next.serverUuid, databases);
      }
      databases.set(next.database, copyState(next));
      await commit(doc);
      return true;
    });
  }

  async #pin(address: string, serverUuid: string): Promise<void> {
    validateIdentity(address, serverUuid);
    // Pins are never replaced, so a lock-free read that finds one is final.
    if (!checkPin((await this.#readShared()).identities.get(address), address, serverUuid, this.path)) return;
    await this.#exclusive(async (commit) => {
      const doc = await this.#read();
      if (checkPin(doc.identities.get(address), address, serverUuid, this.path)) {
        doc.identities.set(address, serverUuid);
        await commit(doc);
      }
    });
  }

  #stored(doc: StateDocument, next: TrustedState): TrustedState | undefined {
    return doc.servers.get(next.serverUuid)?.get(next.database);
  }

  /** The last document parsed by a lock-free read, with the identity of the file it came from. */
  #cache: { key: string; doc: StateDocument } | undefined;

  /**
   * A lock-free read for deciding without writing (`get`, the pre-checks): the last parsed document while the
   * file is the same one (every write renames a new file into place, so inode, size and times change). The
   * result must not be modified.
   */
  async #readShared(): Promise<StateDocument> {
    let key: string;
    try {
      const st = statSync(this.path, { bigint: true });
      key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return { servers: new Map(), identities: new Map() };
      throw new StateError(`cannot read the state file ${this.path}: ${message(err)}`, { cause: err });
    }
    if (this.#cache?.key === key) return this.#cache.doc;
    const doc = await this.#read();
    this.#cache = { key, doc };
    return doc;
  }

  /** Reads and validates the state file; a missing file is empty. */
  async #read(): Promise<StateDocument> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return { servers: new Map(), identities: new Map() };
      throw new StateError(`cannot read the state file ${this.path}: ${message(err)}`, { cause: err });
    }
    return parseStateFile(bytes, this.path);
  }

  /**
   * Runs `fn` under the cross-process lock, queued behind this instance's other writers. `fn` writes through
   * `commit`. If another process broke the lock before the commit, nothing was written and `fn` runs again.
   */
  #exclusive<T>(fn: (commit: (doc: StateDocument) => Promise<void>) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const deadline = Date.now() + this.#lockTimeoutMs;
      for (let lost = 0; ; lost++) {
        const lock = await this.#acquire(deadline);
        try {
          return await fn((doc) => this.#write(doc, lock));
        } catch (err) {
          if (!(err instanceof LockLostError)) throw err;
          if (lost >= MAX_LOCK_LOST_RETRIES) {
            throw new StateError(
              `the lock ${this.#lockPath} was repeatedly broken by other processes while held; ` +
                "is staleLockMs too small?",
            );
          }
        } finally {
          await this.#release(lock);
        }
      }
    };
    const result = this.#tail.then(run);
    this.#tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /** Creates the lock file, waiting (and breaking a stale lock) until `deadline`. */
  async #acquire(deadline: number): Promise<HeldLock> {
    let madeDir = false;
    for (let attempt = 0; ; attempt++) {
      const content = JSON.stringify({
        pid: process.pid,
        hostname: HOST,
        acquiredAt: Date.now(),
        token: randomBytes(8).toString("hex"),
      });
      // The lock file's own I/O is a few small local syscalls: done synchronously, they cost microseconds
      // instead of a trip through the thread pool each (only fsync, which can take milliseconds, stays async).
      let fd: number | undefined;
      try {
        fd = openSync(this.#lockPath, "wx", 0o600);
      } catch (err) {
        const code = errnoCode(err);
        if (code === "ENOENT" && !madeDir) {
          await this.#makeDir();
          madeDir = true;
          continue;
        }
        if (code !== "EEXIST") {
          throw new StateError(`cannot create the lock file ${this.#lockPath}: ${message(err)}`, {
            cause: err,
          });
        }
      }
      if (fd !== undefined) {
        try {
          writeSync(fd, content);
        } catch (err) {
          tryClose(fd);
          tryUnlink(this.#lockPath);
          throw new StateError(`cannot write the lock file ${this.#lockPath}: ${message(err)}`, {
            cause: err,
          });
        }
        tryClose(fd);
        return { content };
      }
      const holder = await this.#breakIfStale();
      if (holder === undefined && Date.now() < deadline) continue;
      if (Date.now() >= deadline) {
        throw new StateError(
          `timed out after ${this.#lockTimeoutMs} ms waiting for the lock ${this.#lockPath}` +
            (holder === undefined ? "" : `, held by ${holder}`),
        );
      }
      const base = Math.min(2 ** attempt, MAX_BACKOFF_MS);
      await delay(Math.min(base * (0.5 + Math.random()), Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * Looks at the current lock. Returns `undefined` if it is gone or was stale and has been broken (try again
   * now), else a description of its holder (wait).
   */
  async #breakIfStale(): Promise<string | undefined> {
    let raw: string;
    let mtimeMs: number;
    try {
      raw = await readFile(this.#lockPath, "utf8");
      mtimeMs = (await stat(this.#lockPath)).mtimeMs;
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw new StateError(`cannot read the lock file ${this.#lockPath}: ${message(err)}`, { cause: err });
    }
    const holder = parseLockFile(raw);
    const age = Math.round(Date.now() - mtimeMs);
    const dead = holder !== undefined && holder.hostname === HOST && !processAlive(holder.pid);
    const who =
      holder === undefined
        ? `an unknown process (unreadable lock file, ${age} ms old)`
        : `pid ${holder.pid} on ${holder.hostname} (${age} ms old)`;
    if (!dead && age <= this.#staleLockMs) return who;
    return (await this.#breakLock(raw)) ? undefined : who;
  }

  /**
   * Removes the lock file if it still holds exactly `raw`. The file is first renamed aside (atomic), so of two
   * processes breaking the same stale lock only one removes it; a lock taken after `raw` was read and moved
   * aside by mistake is linked back (if the slot was taken again meanwhile, its holder notices before
   * committing and starts over).
   */
  async #breakLock(raw: string): Promise<boolean> {
    const aside = `${this.#lockPath}.${randomBytes(6).toString("hex")}.stale`;
    try {
      await rename(this.#lockPath, aside);
    } catch (err) {
      return errnoCode(err) === "ENOENT";
    }
    let moved: string | undefined;
    try {
      moved = await readFile(aside, "utf8");
    } catch {
      moved = undefined;
    }
    if (moved !== raw) await link(aside, this.#lockPath).catch(() => {});
    await unlink(aside).catch(() => {});
    return moved === raw;
  }

  /** Removes the lock file if it is still ours. Never throws: a leftover lock is broken as stale later. */
  async #release(lock: HeldLock): Promise<void> {
    try {
      if (readFileSync(this.#lockPath, "utf8") === lock.content) unlinkSync(this.#lockPath);
    } catch {
      // Gone already, or unreadable: nothing we can safely do.
    }
  }

  /** Throws {@link LockLostError} if the lock file is no longer ours. */
  async #assertHeld(lock: HeldLock): Promise<void> {
    let current: string | undefined;
    try {
      current = readFileSync(this.#lockPath, "utf8");
    } catch {
      current = undefined;
    }
    if (current !== lock.content) throw new LockLostError("lock lost");
  }

  /** Atomically replaces the state file: temp file in the same directory, fsync, rename, fsync the directory. */
  async #write(doc: StateDocument, lock: HeldLock): Promise<void> {
    const data = serializeStateFile(doc);
    const tmp = `${this.path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const fd = openSync(tmp, "wx", 0o600);
      try {
        writeSync(fd, data);
        await fsyncAsync(fd);
      } finally {
        tryClose(fd);
      }
      await this.#assertHeld(lock);
      await replaceFile(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      if (err instanceof LockLostError) throw err;
      throw new StateError(`cannot write the state file ${this.path}: ${message(err)}`, { cause: err });
    }
    await syncDirectory(this.#dir);
  }

  async #makeDir(): Promise<void> {
    try {
      await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StateError(`cannot create the directory ${this.#dir}: ${message(err)}`, { cause: err });
    }
  }
}

/** Parses and validates a state file; throws `StateError` naming `where` for anything but the exact format. */
function parseStateFile(bytes: Uint8Array, where: string): StateDocument {
  const corrupt = (what: string, cause?: unknown): StateError =>
    new StateError(
      `the state file ${where} is corrupt (${what}); it is not used. Restore it from a backup, or delete it to ` +
        "trust the server again from scratch",
      cause === undefined ? undefined : { cause },
    );
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw corrupt(bytes.length === 0 ? "empty file" : "not valid UTF-8 JSON: truncated or garbled", err);
  }
  if (!isRecord(json)) throw corrupt("the top level is not an object");
  const extra = Object.keys(json).find((k) => k !== "version" && k !== "servers" && k !== "identities");
  if (extra !== undefined) throw corrupt(`unknown field ${JSON.stringify(extra)}`);
  if (json.version !== STATE_FILE_VERSION) {
    throw corrupt(`version ${JSON.stringify(json.version)}, expected ${STATE_FILE_VERSION}`);
  }
  if (!isRecord(json.servers)) throw corrupt('"servers" is not an object');
  if (!isRecord(json.identities)) throw corrupt('"identities" is not an object');

  const servers = new Map<string, Map<string, TrustedState>>();
  for (const [serverUuid, dbs] of Object.entries(json.servers)) {
    if (serverUuid.length === 0) throw corrupt("empty server UUID");
    if (!isRecord(dbs)) throw corrupt(`server ${JSON.stringify(serverUuid)} is not an object`);
    const databases = new Map<string, TrustedState>();
    for (const [database, entry] of Object.entries(dbs)) {
      const at = `database ${JSON.stringify(database)} of server ${JSON.stringify(serverUuid)}`;
      if (database.length === 0) throw corrupt(`empty database name on server ${JSON.stringify(serverUuid)}`);
      if (!isRecord(entry)) throw corrupt(`${at} is not an object`);
      const bad = Object.keys(entry).find((k) => k !== "txId" && k !== "txHash" && k !== "signature");
      if (bad !== undefined) throw corrupt(`unknown field ${JSON.stringify(bad)} in ${at}`);
      const { txId, txHash, signature } = entry;
      if (typeof txId !== "string" || !TX_ID_RE.test(txId) || BigInt(txId) > MAX_TX_ID) {
        throw corrupt(`${at}: txId must be a decimal uint64 string`);
      }
      if (typeof txHash !== "string" || !TX_HASH_RE.test(txHash)) {
        throw corrupt(`${at}: txHash must be 64 hex digits`);
      }
      if (signature !== undefined && (typeof signature !== "string" || !SIGNATURE_RE.test(signature))) {
        throw corrupt(`${at}: signature must be a non-empty hex string`);
      }
      const state: TrustedState = { serverUuid, database, txId: BigInt(txId), txHash: fromHex(txHash) };
      databases.set(database, signature === undefined ? state : { ...state, signature: fromHex(signature) });
    }
    servers.set(serverUuid, databases);
  }

  const identities = new Map<string, string>();
  for (const [address, serverUuid] of Object.entries(json.identities)) {
    if (address.length === 0) throw corrupt("empty server address in identities");
    if (typeof serverUuid !== "string" || serverUuid.length === 0) {
      throw corrupt(`identity of ${JSON.stringify(address)} is not a non-empty string`);
    }
    identities.set(address, serverUuid);
  }
  return { servers, identities };
}

/** Renders a document in the format {@link parseStateFile} reads (two-space indented, trailing newline). */
function serializeStateFile(doc: StateDocument): string {
  // Object.fromEntries defines own properties, so a name like "__proto__" stays an ordinary key.
  const servers = Object.fromEntries(
    [...doc.servers].map(([serverUuid, databases]) => [
      serverUuid,
      Object.fromEntries(
        [...databases].map(([database, s]) => [
          database,
          s.signature === undefined
            ? { txId: s.txId.toString(), txHash: toHex(s.txHash) }
            : { txId: s.txId.toString(), txHash: toHex(s.txHash), signature: toHex(s.signature) },
        ]),
      ),
    ]),
  );
  const identities = Object.fromEntries(doc.identities);
  return `${JSON.stringify({ version: STATE_FILE_VERSION, servers, identities }, null, 2)}\n`;
}

/** The holder recorded in a lock file, or `undefined` if the file is unreadable (e.g. still being written). */
function parseLockFile(raw: string): { pid: number; hostname: string } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const { pid, hostname: host } = json;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0 || typeof host !== "string") {
    return undefined;
  }
  return { pid, hostname: host };
}

/** Whether a process with this pid exists on this host (`EPERM`: it exists but belongs to someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) !== "ESRCH";
  }
}

/** `rename`, retried briefly on Windows where a reader holding the target open makes it fail transiently. */
async function replaceFile(from: string, to: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      const code = errnoCode(err);
      const transient = code === "EPERM" || code === "EACCES" || code === "EBUSY";
      if (process.platform !== "win32" || !transient || i >= 10) throw err;
      await delay(5 * (i + 1));
    }
  }
}

const fsyncAsync = promisify(fsync);

function tryClose(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or invalid: nothing to release
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/** Makes a rename durable. Best effort: some platforms (Windows) and file systems cannot fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    // The new file is in place either way; only its durability across a power loss is less certain.
  } finally {
    await fh?.close().catch(() => {});
  }
}

function duration(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`FileStateStore: ${name} must be a non-negative finite number`);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}
