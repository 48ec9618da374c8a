/**
 * `ImmudbClient`: the facade users hold. Thin methods that validate input and delegate to the operation
 * modules with the client's {@link ClientContext}.
 *
 * @module
 */
import type { AuthMode } from "./auth.js";
import { ClientContext } from "./context.js";
import { InvalidArgumentError } from "./errors.js";
import { ImmuService } from "./gen/schema_pb.js";
import { toKey, toUint64 } from "./internal/bytes.js";
import * as admin from "./ops/admin.js";
import { type EntryInput, keyRequest, toKVs, toPreconditions } from "./ops/args.js";
import * as kv from "./ops/kv.js";
import type { PagedIterable } from "./ops/paged.js";
import * as replication from "./ops/replication.js";
import * as sqlOps from "./ops/sql.js";
import * as streams from "./ops/stream.js";
import { type ClientOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import type { SessionInfo } from "./session.js";
import type { TrustedState } from "./state/index.js";
import type {
  CallOptions,
  DeleteOptions,
  Entry,
  ExecAllOptions,
  GetAllOptions,
  GetOptions,
  HealthInfo,
  HistoryOptions,
  KVOperation,
  ReferenceOptions,
  ScanOptions,
  ServerState,
  Tx,
  TxByIdOptions,
  TxScanOptions,
  VerifiedGetOptions,
  WriteOptions,
  WriteResult,
  ZAddOptions,
  ZScanEntry,
  ZScanOptions,
} from "./types.js";
import type { VerifiedTx } from "./verified.js";
import { digestFromProto } from "./verify/index.js";

/**
 * A client of one immudb server, bound to one database through an immudb session.
 *
 * @example
 * ```ts
 * import { ImmudbClient } from "immudb-ts";
 *
 * const client = await ImmudbClient.connect("immudb://immudb:immudb@127.0.0.1:3322/defaultdb");
 * try {
 *   const header = await client.set("greeting", "hello");
 *   const entry = await client.get("greeting");
 *   console.log(header.id, new TextDecoder().decode(entry?.value));
 * } finally {
 *   await client.close();
 * }
 * ```
 */
export class ImmudbClient {
  readonly #ctx: ClientContext;
  #closing: Promise<void> | undefined;

  private constructor(options: ResolvedOptions) {
    this.#ctx = new ClientContext(options);
  }

  /**
   * Connects and opens a session. Rejects with a `ConnectionError` when the server cannot be reached and an
   * `AuthenticationError` for bad credentials; the password never appears in errors.
   *
   * @param options - an `immudb://user:password@host:port/database` URL or a {@link ClientOptions} object.
   */
  static async connect(options?: string | ClientOptions): Promise<ImmudbClient> {
    const client = new ImmudbClient(resolveOptions(options));
    try {
      await client.#ctx.auth.credentials();
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  /** The address this client talks to, as `host:port` (never includes credentials). */
  get address(): string {
    return this.#ctx.address;
  }

  /** The database this client works on. */
  get database(): string {
    return this.#ctx.auth.database;
  }

  /** How this client authenticates: `"session"` (default) or `"token"` (see `ClientOptions.auth`). */
  get authMode(): AuthMode {
    return this.#ctx.auth.mode;
  }

  /**
   * The current session (id, server UUID, database), opening one if needed.
   * @throws InvalidArgumentError with `auth: "token"` (no session).
   */
  async session(): Promise<SessionInfo> {
    return this.#ctx.sessions.session();
  }

  /**
   * Token mode (`auth: "token"`): logs in again (`Login`, then `UseDatabase` on the client's database) with the
   * client's credentials, e.g. after {@link logout}. `connect` already logs in, and a token the server forgot
   * or that expired is renewed by itself, so this is rarely needed. immudb-py: `login(user, password, database)`;
   * here the credentials are the client's own (one identity per client object).
   * @throws InvalidArgumentError in session mode.
   */
  async login(options?: CallOptions): Promise<void> {
    await this.#ctx.tokens.login(options);
  }

  /**
   * Token mode (`auth: "token"`): `Logout`. Later calls reject with an `AuthenticationError` until
   * {@link login}. `close()` logs out by itself. immudb server note: a user's tokens stay valid until that
   * user's last login is logged out.
   * @throws InvalidArgumentError in session mode (sessions end with `close()`).
   */
  async logout(options?: CallOptions): Promise<void> {
    await this.#ctx.tokens.logout(options);
  }

  /** Asks the server whether it is up (no session or token needed). Retried like every read. */
  async health(options?: CallOptions): Promise<HealthInfo> {
    const res = await this.#ctx.unauthenticatedUnary(ImmuService.method.health, {}, options);
    return { status: res.status, version: res.version };
  }

  // ---- key-value ----
  // Plain (not verified) reads and writes of keys, references, sorted sets and transactions (src/ops/kv.ts).
  // Keys are non-empty and at most 1023 bytes; strings are UTF-8 encoded. Arguments are checked before any RPC
  // (InvalidArgumentError). Transaction ids are `bigint`.

  /**
   * Writes one key-value pair in a new transaction (not verified; see `verifiedSet`).
   *
   * @param key - non-empty, at most 1023 bytes; strings are UTF-8 encoded.
   * @param value - strings are UTF-8 encoded.
   * @param options - `expiresAt`, `nonIndexable`, `preconditions`, `noWait`.
   * @returns the header of the committed transaction.
   * @throws InvalidArgumentError for a bad key or value (before any RPC).
   * @throws ServerError `PRECONDITION_FAILED` when a precondition does not hold (nothing is written).
   */
  set(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): Promise<WriteResult> {
    return kv.set(this.#ctx, key, value, options);
  }

  /**
   * Writes several key-value pairs in one atomic transaction (`Set`; not verified, see `verifiedSetAll`).
   * Per-entry `expiresAt`/`nonIndexable` override the call's.
   *
   * @throws InvalidArgumentError for an empty list, duplicate keys, or more than 1024 entries (immudb's default
   *   `maxTxEntries`), before any RPC.
   * @throws ServerError `PRECONDITION_FAILED` when a precondition does not hold (nothing is written).
   */
  setAll(entries: readonly EntryInput[], options?: WriteOptions): Promise<WriteResult> {
    return kv.setAll(this.#ctx, entries, options);
  }

  /**
   * Reads a key (not verified; see `verifiedGet`).
   *
   * @returns the entry, or `undefined` when the key does not exist, was deleted or has expired. (immudb has no
   *   proof of absence: `undefined` is the server's word.) For a reference, the referenced entry, with
   *   `referencedBy` describing the reference.
   * @throws InvalidArgumentError for a bad key or conflicting options (before any RPC).
   */
  get(key: Uint8Array | string, options?: GetOptions): Promise<Entry | undefined> {
    return kv.get(this.#ctx, key, options);
  }

  /**
   * Reads several keys at once (`GetAll`, one index snapshot).
   *
   * immudb silently leaves missing, deleted and expired keys out of its answer; this method puts the answers
   * back in request order: `result[i]` is the entry of `keys[i]`, or `undefined` when the server returned none.
   *
   * @returns an array as long as `keys`.
   */
  getAll(keys: readonly (Uint8Array | string)[], options?: GetAllOptions): Promise<(Entry | undefined)[]> {
    return kv.getAll(this.#ctx, keys, options);
  }

  /**
   * Deletes keys logically in one transaction (`Delete`): they no longer appear in `get`, `getAll` and `scan`,
   * but their history (including the deletion) stays, as does every proof.
   *
   * @throws ServerError `KEY_NOT_FOUND` when a key does not exist or is already deleted (nothing is deleted).
   * @throws InvalidArgumentError for duplicate keys or more than 1024 (before any RPC).
   */
  delete(
    keys: Uint8Array | string | readonly (Uint8Array | string)[],
    options?: DeleteOptions,
  ): Promise<WriteResult> {
    return kv.del(this.#ctx, keys, options);
  }

  /**
   * Every revision of a key, oldest first (newest with `desc`), including deletions (`metadata.deleted`) and
   * expired values (`expired`, empty `value`). Nothing for a key never written. Pages by `offset`.
   *
   * @returns a {@link PagedIterable}: iterate with `for await`, or collect with `.toArray(max)`.
   * @throws InvalidArgumentError (synchronously) for bad options.
   */
  history(key: Uint8Array | string, options?: HistoryOptions): PagedIterable<Entry> {
    return kv.history(this.#ctx, key, options);
  }

  /**
   * Current entries in key order (`Scan`), deleted and expired ones left out, references followed (the entry is
   * the referenced one; `referencedBy.key` is the reference). Pages of up to 2,500 are fetched as the iteration
   * goes (continuing after the last key); `limit` bounds the total.
   *
   * @returns a {@link PagedIterable}: iterate with `for await`, or collect with `.toArray(max)`.
   * @throws InvalidArgumentError (synchronously) for bad options.
   */
  scan(options?: ScanOptions): PagedIterable<Entry> {
    return kv.scan(this.#ctx, options);
  }

  /**
   * Members of a sorted set with their entries, in numeric score order (ascending; descending with `desc`),
   * negative scores included; `minScore`/`maxScore` are inclusive. immudb itself orders scores by their raw
   * bits, which puts negative scores after positive ones: the client reads the set in up to three ranges to
   * return numeric order. Among equal scores the order follows immudb's key order (which may be reversed
   * for negative scores).
   *
   * @returns a {@link PagedIterable}: iterate with `for await`, or collect with `.toArray(max)`.
   * @throws InvalidArgumentError (synchronously) for bad options, e.g. `seekScore` without `seekKey`.
   */
  zScan(set: Uint8Array | string, options?: ZScanOptions): PagedIterable<ZScanEntry> {
    return kv.zScan(this.#ctx, set, options);
  }

  /**
   * Transactions in id order from `initialTx` (`TxScan`), each with its header and entries as `entries` says
   * (default `"resolved"`). With `desc` and no `initialTx`, starts at the last committed transaction.
   *
   * @returns a {@link PagedIterable}: iterate with `for await`, or collect with `.toArray(max)`.
   * @throws InvalidArgumentError (synchronously) for bad options.
   */
  txScan(options?: TxScanOptions): PagedIterable<Tx> {
    return kv.txScan(this.#ctx, options);
  }

  /**
   * Reads a transaction (`TxById`; not verified, see `verifiedTxById`): its header and entries as `entries`
   * says (default `"resolved"`: key-value entries with values, references followed unless
   * `keepReferencesUnresolved`; sorted-set members).
   *
   * @throws ServerError `TX_NOT_FOUND` when the transaction does not exist (yet).
   */
  txById(tx: bigint, options?: TxByIdOptions): Promise<Tx> {
    return kv.txById(this.#ctx, tx, options);
  }

  /**
   * Number of keys with `prefix` in the index (`Count`, immudb 1.9.0+). It counts index keys: deleted and
   * expired keys and references are counted too.
   */
  count(prefix: Uint8Array | string, options?: CallOptions): Promise<bigint> {
    return kv.count(this.#ctx, prefix, options);
  }

  /** Number of keys in the index (`CountAll`, immudb 1.9.0+); deleted and expired keys included, as `count`. */
  countAll(options?: CallOptions): Promise<bigint> {
    return kv.countAll(this.#ctx, options);
  }

  /**
   * Makes `key` a reference (alias) to `referencedKey` (`SetReference`; not verified, see
   * `verifiedSetReference`). With `atTx`, the reference is bound to the value `referencedKey` had at that
   * transaction (`boundRef`); otherwise it follows the latest value.
   *
   * @throws ServerError `KEY_NOT_FOUND` when `referencedKey` does not exist; `final key cannot be converted into
   *   a reference` when `key` holds a value; `referenced key cannot be a reference`.
   */
  setReference(
    key: Uint8Array | string,
    referencedKey: Uint8Array | string,
    options?: ReferenceOptions,
  ): Promise<WriteResult> {
    return kv.setReference(this.#ctx, key, referencedKey, options);
  }

  /**
   * Adds `key` to the sorted set `set` with `score` (`ZAdd`; not verified, see `verifiedZAdd`). With `atTx`, the
   * member is bound to the value the key had at that transaction (`boundRef`).
   *
   * @throws InvalidArgumentError for a non-finite score (before any RPC).
   * @throws ServerError `KEY_NOT_FOUND` when `key` does not exist.
   */
  zAdd(
    set: Uint8Array | string,
    score: number,
    key: Uint8Array | string,
    options?: ZAddOptions,
  ): Promise<WriteResult> {
    return kv.zAdd(this.#ctx, set, score, key, options);
  }

  /**
   * Runs mixed writes in one atomic transaction (`ExecAll`): `{ type: "set" }`, `{ type: "ref" }` and
   * `{ type: "zAdd" }` operations. Either all are written or none (e.g. when a precondition fails).
   *
   * @example
   * ```ts
   * await client.execAll([
   *   { type: "set", key: "user:1", value: "alice" },
   *   { type: "ref", key: "admin", referencedKey: "user:1" },
   *   { type: "zAdd", set: "by-age", score: 42, key: "user:1" },
   * ]);
   * ```
   * @throws InvalidArgumentError for an empty list, an unknown `type`, a duplicate key (set/ref share one key
   *   space) or sorted-set member, a non-finite score, or more than 1024 operations (before any RPC).
   */
  execAll(operations: readonly KVOperation[], options?: ExecAllOptions): Promise<WriteResult> {
    return kv.execAll(this.#ctx, operations, options);
  }

  // ---- end of key-value ----

  /**
   * Writes one key-value pair and proves it: the new transaction holds exactly this entry, and it extends the
   * trusted history (dual proof from the trusted state, signature when a signing key is configured). Only then
   * is the trusted state advanced.
   *
   * @throws VerificationError when any proof fails; the trusted state is then unchanged.
   */
  async verifiedSet(
    key: Uint8Array | string,
    value: Uint8Array | string,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    return this.verifiedSetAll([{ key, value }], options);
  }

  /**
   * Writes several key-value pairs in one atomic transaction and proves every entry (see {@link verifiedSet}).
   * Keys must be distinct.
   */
  async verifiedSetAll(entries: readonly EntryInput[], options?: WriteOptions): Promise<WriteResult> {
    const kvs = toKVs(entries, options, this.#ctx.options.maxSendMessageBytes);
    return this.#ctx.verifier.set(
      kvs,
      { noWait: options?.noWait ?? false, preconditions: toPreconditions(options) },
      options,
    );
  }

  /**
   * Reads a key and proves the value: its entry is in its transaction, and that transaction is in the trusted
   * history. For a reference, the reference entry and the referenced value are both proven.
   *
   * @throws ServerError `KEY_NOT_FOUND` when the key does not exist (absence cannot be proven).
   * @throws VerificationError when any proof fails; the trusted state is then unchanged.
   */
  async verifiedGet(key: Uint8Array | string, options?: VerifiedGetOptions): Promise<Entry> {
    const req = keyRequest(key, options);
    return this.#ctx.verifier.get(req.key, req, options);
  }

  /**
   * Reads a transaction and proves it: its header is in the trusted history, and every returned entry hashes
   * to that header (the Go SDK does not check the entries).
   */
  async verifiedTxById(txId: bigint, options?: CallOptions): Promise<VerifiedTx> {
    const tx = toUint64(txId, "txId");
    if (tx === 0n) throw new InvalidArgumentError("txId must be >= 1");
    return this.#ctx.verifier.txById(tx, options);
  }

  /**
   * Creates a reference (alias) `key` → `referencedKey` and proves the write. With `atTx`, the reference is bound
   * to the value the referenced key had at that transaction; otherwise it follows the latest value.
   */
  async verifiedSetReference(
    key: Uint8Array | string,
    referencedKey: Uint8Array | string,
    options?: WriteOptions & { readonly atTx?: bigint },
  ): Promise<WriteResult> {
    const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
    return this.#ctx.verifier.setReference(
      toKey(key),
      toKey(referencedKey, "referencedKey"),
      atTx,
      options?.noWait ?? false,
      options,
    );
  }

  /**
   * Adds `key` to the sorted set `set` with `score`, and proves the write. With `atTx`, the member is bound to
   * the value the key had at that transaction.
   */
  async verifiedZAdd(
    set: Uint8Array | string,
    score: number,
    key: Uint8Array | string,
    options?: WriteOptions & { readonly atTx?: bigint },
  ): Promise<WriteResult> {
    if (typeof score !== "number" || !Number.isFinite(score)) {
      throw new InvalidArgumentError("score must be a finite number");
    }
    const atTx = options?.atTx === undefined ? 0n : toUint64(options.atTx, "atTx");
    return this.#ctx.verifier.zAdd(
      toKey(set, "set"),
      score,
      toKey(key),
      atTx,
      options?.noWait ?? false,
      options,
    );
  }

  /**
   * The server's current state of the database (its last transaction and Alh). Its signature is checked when a
   * signing key is configured. This never changes the trusted state: it is the server's word, not a proof.
   */
  async currentState(options?: CallOptions): Promise<ServerState> {
    const st = await this.#ctx.unary(ImmuService.method.currentState, {}, options);
    const state = {
      database: st.db,
      txId: st.txId,
      txHash: digestFromProto(st.txHash),
      signature: st.signature && st.signature.signature.length > 0 ? st.signature.signature : undefined,
    };
    const trust = await this.#ctx.trust();
    trust.checkSignature(state);
    return state;
  }

  /** The trusted state of the current database, as stored (or `undefined` before the first verified call). */
  async trustedState(): Promise<TrustedState | undefined> {
    return (await this.#ctx.trust()).stored();
  }

  // ---- SQL ----

  /**
   * Runs SQL statements (`SQLExec`; several separated by `;`, `BEGIN TRANSACTION; … COMMIT;` included).
   *
   * @param params - named parameters: `{ id: 5n }` fills `@id`. `bigint` → INTEGER, `number` → FLOAT, `string`
   *   → VARCHAR, `boolean`, `Uint8Array` → BLOB, `Date` → TIMESTAMP, `null` → NULL; `sql.int()`,
   *   `sql.float()`, `sql.timestamp()`, `sql.uuid()`, `sql.json()` say the type explicitly.
   * @returns the committed transactions (header, updated rows, AUTO_INCREMENT keys by table).
   * @throws InvalidArgumentError for empty SQL or a parameter of another type (before any RPC).
   */
  sqlExec(
    sql: string,
    params?: sqlOps.SqlParams,
    options?: sqlOps.SqlExecOptions,
  ): Promise<sqlOps.SqlExecResult> {
    return sqlOps.sqlExec(this.#ctx, sql, params, options);
  }

  /**
   * Runs a query (`SQLQuery`, streamed: results of any size, beyond immudb's 2500 rows per message) and
   * collects every row. Values: INTEGER → `bigint`, FLOAT → `number`, VARCHAR/UUID → `string`, BOOLEAN, BLOB →
   * `Uint8Array`, TIMESTAMP → `SqlTimestamp` (a `Date` with exact `micros`), JSON → parsed, NULL → `null`.
   * For large results prefer {@link sqlQueryIterable}.
   *
   * @throws InvalidArgumentError for empty SQL or a bad parameter (before any RPC).
   */
  sqlQuery(sql: string, params?: sqlOps.SqlParams, options?: CallOptions): Promise<sqlOps.SqlQueryResult> {
    return sqlOps.sqlQuery(this.#ctx, sql, params, options);
  }

  /**
   * Runs a query and yields its rows as the server streams them, without buffering the whole result. Each
   * iteration runs the query; leaving the loop early (`break`) cancels the call. Parameters are checked now.
   *
   * @example
   * ```ts
   * for await (const row of client.sqlQueryIterable("SELECT id, name FROM users")) console.log(row.get("name"));
   * ```
   */
  sqlQueryIterable(
    sql: string,
    params?: sqlOps.SqlParams,
    options?: CallOptions,
  ): AsyncIterable<sqlOps.SqlRow> {
    return sqlOps.sqlQueryIterable(this.#ctx, sql, params, options);
  }

  /** The names of the tables of the current database (`ListTables`). */
  listTables(options?: CallOptions): Promise<string[]> {
    return sqlOps.listTables(this.#ctx, options);
  }

  /** The columns of a table (`DescribeTable`). Rejects with a `ServerError` if the table does not exist. */
  describeTable(table: string, options?: CallOptions): Promise<sqlOps.SqlColumnDescription[]> {
    return sqlOps.describeTable(this.#ctx, table, options);
  }

  /**
   * Runs `fn` in an interactive SQL transaction: commits when it resolves (returning its value and the
   * committed transaction), rolls back when it throws and rethrows that error (a failed rollback is attached
   * to it as `rollbackError`). Nothing is retried: a lost session rejects with code `SESSION_NOT_FOUND`.
   *
   * @example
   * ```ts
   * const { result } = await client.transaction(async (tx) => {
   *   await tx.exec("UPDATE accounts SET balance = balance - 10 WHERE id = @id", { id: 1n });
   *   return (await tx.query("SELECT balance FROM accounts WHERE id = @id", { id: 1n })).rows[0]?.get("balance");
   * });
   * ```
   */
  transaction<T>(
    fn: (tx: sqlOps.SqlTransaction) => Promise<T> | T,
    options?: sqlOps.SqlTransactionOptions,
  ): Promise<sqlOps.SqlTransactionResult<T>> {
    return sqlOps.runTransaction(this.#ctx, fn, options);
  }

  /**
   * Opens an interactive SQL transaction (`NewTx`); finish it with `commit()` or `rollback()`. With
   * `await using tx = await client.beginTransaction()`, leaving the scope rolls back an uncommitted one.
   */
  beginTransaction(options?: sqlOps.SqlTransactionOptions): Promise<sqlOps.SqlTransaction> {
    return sqlOps.beginTransaction(this.#ctx, options);
  }

  /**
   * Reads a row by primary key and proves it (`VerifiableSQLGet`, spec 4.7): the row is stored under the key
   * built from these values in its transaction, that transaction is in the trusted history, and only then is
   * the trusted state advanced. The row holds every current column of the table. Right after writing the
   * row, pass `sinceTx` (the writing tx): immudb answers this RPC without waiting for its index.
   *
   * @param primaryKey - the primary-key value, or the values in primary-key column order for a composite key.
   *   A `number` fits INTEGER (if whole) and FLOAT columns, a `Date`/`sql.timestamp()` TIMESTAMP, a string or
   *   16 bytes UUID.
   * @throws ServerError `KEY_NOT_FOUND` when there is no such row (absence cannot be proven).
   * @throws InvalidArgumentError for a bad value (before any RPC), or one that does not fit its column's type
   *   (once the server reported the types; the trusted state is unchanged).
   * @throws VerificationError when any proof fails; the trusted state is then unchanged.
   */
  verifiedSqlGet(
    table: string,
    primaryKey: sqlOps.SqlParam | readonly sqlOps.SqlParam[],
    options?: sqlOps.VerifiedSqlGetOptions,
  ): Promise<sqlOps.VerifiedSqlRow> {
    return sqlOps.verifiedSqlGet(this.#ctx, table, primaryKey, options);
  }

  // ---- databases, users, server ----

  /**
   * Creates a database (`CreateDatabaseV2`). Needs the system administrator (the built-in `immudb` user).
   *
   * @param name - 1 to 128 bytes of lower-case letters, digits and `_` (checked before any RPC).
   * @param options - `settings` (only the fields set are sent; the server's defaults apply to the others) and
   *   `ifNotExists` (succeed without changes when the database exists).
   * @returns the name, the settings in effect and whether the database existed already.
   * @throws ServerError (`database already exists`) when it exists and `ifNotExists` is not set.
   * @throws AuthenticationError `PERMISSION_DENIED` for any user but the system administrator.
   */
  createDatabase(name: string, options?: admin.CreateDatabaseOptions): Promise<admin.CreateDatabaseResult> {
    return admin.createDatabase(this.#ctx, name, options);
  }

  /**
   * Lists the databases the user has a permission on (all of them for the system administrator), with their
   * settings, whether they are loaded, disk size, number of transactions, creation time and creator
   * (`DatabaseListV2`).
   */
  listDatabases(options?: CallOptions): Promise<admin.DatabaseInfo[]> {
    return admin.listDatabases(this.#ctx, options);
  }

  /** Loads (opens) an unloaded database. Needs `Admin` on it. `defaultdb` and `systemdb` are refused. */
  loadDatabase(name: string, options?: CallOptions): Promise<void> {
    return admin.loadDatabase(this.#ctx, name, options);
  }

  /**
   * Unloads (closes) a database: every operation on it fails until it is loaded again. Needs `Admin` on it.
   * `defaultdb` and `systemdb` are refused.
   */
  unloadDatabase(name: string, options?: CallOptions): Promise<void> {
    return admin.unloadDatabase(this.#ctx, name, options);
  }

  /**
   * Deletes an unloaded database and its files. Needs `Admin` on it. immudb keeps the name reserved until it
   * restarts: creating a database with that name fails meanwhile.
   *
   * @throws ServerError `DATABASE_NOT_FOUND` when it does not exist; `cannot delete an open database` when it is
   *   loaded.
   */
  deleteDatabase(name: string, options?: CallOptions): Promise<void> {
    return admin.deleteDatabase(this.#ctx, name, options);
  }

  /**
   * Changes settings of a database (`UpdateDatabaseV2`); only the fields set are changed. Needs `Admin` on it.
   * Settings fixed at creation (`fileSize`, `maxKeyLen`, `maxValueLen`, `maxTxEntries`, `embeddedValues`,
   * `preallocFiles`, `indexSettings.maxNodeSize`) are rejected by the server with `INVALID_ARGUMENT`.
   *
   * @returns the settings now in effect.
   */
  updateDatabase(
    name: string,
    settings: admin.DatabaseSettings,
    options?: CallOptions,
  ): Promise<admin.DatabaseSettings> {
    return admin.updateDatabase(this.#ctx, name, settings, options);
  }

  /** The settings of the current database (`GetDatabaseSettingsV2`). */
  getDatabaseSettings(options?: CallOptions): Promise<admin.DatabaseSettings> {
    return admin.getDatabaseSettings(this.#ctx, options);
  }

  /**
   * Deletes the values committed before the retention period from the value logs (`TruncateDatabase`).
   * Transactions, keys and proofs stay; reading a truncated value fails. The cut-off is rounded down to the start
   * of its day, and the server refuses when no transaction is older than it (`retention period has not been
   * reached`). Needs `Admin` on the database; `defaultdb` and `systemdb` are refused.
   *
   * @param options - `retentionPeriodMs`: at least 24 hours (86 400 000 ms).
   */
  truncateDatabase(name: string, options: admin.TruncateDatabaseOptions): Promise<void> {
    return admin.truncateDatabase(this.#ctx, name, options);
  }

  /**
   * Switches this client to another database. The session is reopened on `name`; verified operations then use
   * the trusted state of that database (each database of a server has its own). On failure the client stays on
   * its current database.
   *
   * Do not run other calls on this client while it switches; to work on several databases at once, use one
   * client per database.
   *
   * @throws ServerError `DATABASE_NOT_FOUND` for an unknown database, `already closed` for an unloaded one.
   * @throws AuthenticationError `PERMISSION_DENIED` when the user has no permission on it.
   */
  useDatabase(name: string, options?: CallOptions): Promise<void> {
    return admin.useDatabase(this.#ctx, name, options);
  }

  /** Requests in progress on the current database and when the last one completed (`DatabaseHealth`). */
  databaseHealth(options?: CallOptions): Promise<admin.DatabaseHealth> {
    return admin.databaseHealth(this.#ctx, options);
  }

  /** Flushes the index of the current database to disk (`FlushIndex`). Needs `Admin`. */
  flushIndex(options?: admin.FlushIndexOptions): Promise<void> {
    return admin.flushIndex(this.#ctx, options);
  }

  /**
   * Compacts the index of the current database (`CompactIndex`). Needs `Admin`. Fails with
   * `tbtree: compaction threshold not yet reached` until `indexSettings.compactionThld` entries were updated.
   */
  compactIndex(options?: CallOptions): Promise<void> {
    return admin.compactIndex(this.#ctx, options);
  }

  /**
   * The names of the databases the user has a permission on (`DatabaseList`).
   *
   * @deprecated Use {@link listDatabases}. Kept for parity with immudb-py's `databaseList`, and for servers
   *   older than 1.2.3.
   */
  databaseList(options?: CallOptions): Promise<string[]> {
    return admin.databaseListV1(this.#ctx, options);
  }

  /**
   * Creates a database with default settings (`CreateDatabase`).
   *
   * @deprecated Use {@link createDatabase}. Kept for parity with immudb-py's `createDatabase`/`databaseCreate`,
   *   and for servers older than 1.2.3.
   */
  databaseCreate(name: string, options?: CallOptions): Promise<void> {
    return admin.createDatabaseV1(this.#ctx, name, options);
  }

  /**
   * Creates a user with a permission on one database. Needs the system administrator or `Admin` on that
   * database. The password is never included in errors.
   *
   * @param user - letters, digits and `_`, at most 63 characters.
   * @param permission - `Permission.Read`, `Permission.ReadWrite` or `Permission.Admin`.
   * @throws ServerError `user already exists`.
   */
  createUser(
    user: string,
    password: string | Uint8Array,
    permission: admin.Permission,
    database: string,
    options?: CallOptions,
  ): Promise<void> {
    return admin.createUser(this.#ctx, user, password, permission, database, options);
  }

  /**
   * Lists users with their permissions and SQL privileges: every user for the system administrator, the users
   * of the current database for its `Admin`, only oneself otherwise.
   */
  listUsers(options?: CallOptions): Promise<admin.User[]> {
    return admin.listUsers(this.#ctx, options);
  }

  /**
   * Changes a user's password and closes that user's sessions. Needs the system administrator, or `Admin` on a
   * database for users that admin created; other users cannot change even their own password.
   *
   * immudb checks `oldPassword` only when changing the `immudb` user's password; for any other user it is
   * ignored. Passwords are never included in errors.
   */
  changePassword(
    user: string,
    oldPassword: string | Uint8Array,
    newPassword: string | Uint8Array,
    options?: CallOptions,
  ): Promise<void> {
    return admin.changePassword(this.#ctx, user, oldPassword, newPassword, options);
  }

  /**
   * Gives a user a permission on a database, replacing the one it had there, and closes that user's sessions
   * (its clients reopen them transparently on their next call).
   *
   * immudb also resets the user's SQL privileges to the defaults of this permission on this database, dropping
   * the privileges it had on other databases.
   */
  grantPermission(
    user: string,
    database: string,
    permission: admin.Permission,
    options?: CallOptions,
  ): Promise<void> {
    return admin.changePermission(this.#ctx, "grant", user, database, permission, options);
  }

  /**
   * Removes a user's permission on a database (whatever it is: `permission` must be a valid value but is not
   * compared) and closes that user's sessions. immudb resets the user's SQL privileges as for
   * {@link grantPermission}.
   */
  revokePermission(
    user: string,
    database: string,
    permission: admin.Permission,
    options?: CallOptions,
  ): Promise<void> {
    return admin.changePermission(this.#ctx, "revoke", user, database, permission, options);
  }

  /**
   * Grants or revokes SQL privileges of a user on a database (`ChangeSQLPrivileges`, immudb 1.9.4+) and closes
   * that user's sessions. The user must have a permission on the database.
   *
   * @param privileges - `SqlPrivilege` values, e.g. `[SqlPrivilege.Select, SqlPrivilege.Insert]`.
   */
  changeSqlPrivileges(
    user: string,
    database: string,
    privileges: readonly admin.SqlPrivilege[],
    action: "grant" | "revoke",
    options?: CallOptions,
  ): Promise<void> {
    return admin.changeSqlPrivileges(this.#ctx, user, database, privileges, action, options);
  }

  /**
   * Activates or deactivates a user and closes that user's sessions: a deactivated user cannot open sessions.
   * Users cannot change their own status.
   */
  setActiveUser(user: string, active: boolean, options?: CallOptions): Promise<void> {
    return admin.setActiveUser(this.#ctx, user, active, options);
  }

  /**
   * Server version, start time, number of databases and transactions, and disk usage (`ServerInfo`, immudb
   * 1.9.3+ for everything but the version). Needs no session.
   *
   * immudb 1.11.1 fails this call (`already closed`) while any database is unloaded, and counts in
   * `numDatabases` the databases deleted since it started.
   */
  serverInfo(options?: CallOptions): Promise<admin.ServerInfo> {
    return admin.serverInfo(this.#ctx, options);
  }

  // ---- end of databases, users, server ----

  // ---- streaming and replication ----

  /**
   * Writes one key-value pair through a client stream (`streamSet`): the value travels in chunks of at most
   * 64 KiB, so no gRPC message limit bounds it. Not verified (see {@link streamVerifiedSet}).
   *
   * immudb's `streamSet` accepts at most 32 MiB of values per transaction; above that the write goes through
   * `streamExecAll`. The database's `maxValueLen` (32 MiB including a 1-byte prefix by default) still applies.
   * The stream carries no metadata, preconditions or `noWait`.
   *
   * @param value - bytes, a string, or the value in pieces from an (async) iterable such as a Node `Readable`
   *   (then `options.size`, the total length, is required; pieces are sent as they come).
   * @throws InvalidArgumentError for a bad key, value or size (before any RPC, or, for a value in pieces that
   *   turns out shorter or longer than `size`, while sending). A value source that fails never leaves a partial
   *   write: the transaction is made invalid and refused by the server, then the source's error is thrown.
   */
  streamSet(
    key: Uint8Array | string,
    value: streams.StreamValue,
    options?: streams.StreamSetOptions,
  ): Promise<WriteResult> {
    return streams.streamSetAll(
      this.#ctx,
      [options?.size === undefined ? { key, value } : { key, value, size: options.size }],
      options,
    );
  }

  /**
   * Writes several key-value pairs in one transaction through a client stream (see {@link streamSet}). Keys must
   * be distinct; an empty value is accepted only as the last entry (immudb's stream reader stops at it).
   */
  streamSetAll(
    entries: readonly streams.StreamEntryInput[],
    options?: streams.StreamWriteOptions,
  ): Promise<WriteResult> {
    return streams.streamSetAll(this.#ctx, entries, options);
  }

  /**
   * Reads a key's value through a server stream (`streamGet`), whole. Not verified (see
   * {@link streamVerifiedGet}). The stream carries only key and value.
   *
   * @returns `undefined` when the key does not exist, was deleted or has expired.
   */
  streamGet(key: Uint8Array | string, options?: GetOptions): Promise<streams.StreamedEntry | undefined> {
    return streams.streamGet(this.#ctx, key, options);
  }

  /**
   * Starts reading a key's value through `streamGet` and returns once its length is known, without buffering the
   * value: iterate the returned reader to get the bytes as they arrive (e.g. `Readable.from(reader)`). Leaving
   * the loop early or `reader.cancel()` cancels the call. Not verified: a value can only be proven once it has
   * been read whole (use {@link streamVerifiedGet}).
   *
   * @returns `undefined` when the key does not exist.
   */
  streamGetReader(key: Uint8Array | string, options?: GetOptions): Promise<streams.ValueReader | undefined> {
    return streams.streamGetReader(this.#ctx, key, options);
  }

  /**
   * Writes one key-value pair through a client stream and proves it exactly like {@link verifiedSet}: sent with
   * `proveSinceTx` = the trusted state, the value hashed as it is sent, the transaction must hold exactly this
   * entry and extend the trusted history (dual proof, signature when configured); only then does the trusted
   * state advance. Above immudb's 32 MiB stream cap (8 bytes less than for {@link streamSet}) the write goes
   * through `streamExecAll` and is proven with `VerifiableTxById`.
   *
   * @throws VerificationError when any proof fails; the trusted state is then unchanged.
   */
  streamVerifiedSet(
    key: Uint8Array | string,
    value: streams.StreamValue,
    options?: streams.StreamSetOptions,
  ): Promise<WriteResult> {
    return streams.streamVerifiedSetAll(
      this.#ctx,
      [options?.size === undefined ? { key, value } : { key, value, size: options.size }],
      options,
    );
  }

  /** Writes several key-value pairs in one transaction through a client stream and proves every entry. */
  streamVerifiedSetAll(
    entries: readonly streams.StreamEntryInput[],
    options?: streams.StreamWriteOptions,
  ): Promise<WriteResult> {
    return streams.streamVerifiedSetAll(this.#ctx, entries, options);
  }

  /**
   * Reads a key through `streamVerifiableGet` and proves it exactly like {@link verifiedGet} (`proveSinceTx` =
   * the trusted state, entry inclusion, dual proof, signature, then the trusted state advances; references proven
   * down to the referenced value). The value is held in memory until proven, and never returned unproven.
   *
   * The stream leaves out the entry's metadata: an entry that has some (an expiry) is proven with its metadata
   * read from its transaction, and then carries it. It also leaves out the revision: `revision` is `0n`.
   *
   * @throws ServerError `KEY_NOT_FOUND` when the key does not exist (absence cannot be proven).
   * @throws VerificationError when any proof fails, or the stream is malformed; the trusted state is unchanged.
   */
  streamVerifiedGet(key: Uint8Array | string, options?: VerifiedGetOptions): Promise<Entry> {
    return streams.streamVerifiedGet(this.#ctx, key, options);
  }

  /**
   * Scans keys through `streamScan`: one request, at most 2,500 entries, each key with its value. Arguments are
   * checked at once; the call starts with the iteration, and leaving the loop early cancels it. Not verified.
   */
  streamScan(options?: streams.StreamScanOptions): AsyncGenerator<streams.StreamedEntry, void, undefined> {
    return streams.streamScan(this.#ctx, options);
  }

  /**
   * Members of a sorted set with their keys' values, through `streamZScan` (one request, at most 2,500). Leaving
   * the loop early cancels the call. Not verified.
   */
  streamZScan(
    set: Uint8Array | string,
    options?: streams.StreamZScanOptions,
  ): AsyncGenerator<streams.StreamedZEntry, void, undefined> {
    return streams.streamZScan(this.#ctx, set, options);
  }

  /**
   * A key's values through `streamHistory` (one request, at most 2,500), oldest first unless `desc`. The stream
   * carries only key and value per revision. Leaving the loop early cancels the call. Not verified.
   */
  streamHistory(
    key: Uint8Array | string,
    options?: streams.StreamHistoryOptions,
  ): AsyncGenerator<streams.StreamedEntry, void, undefined> {
    return streams.streamHistory(this.#ctx, key, options);
  }

  /**
   * Writes key-value and sorted-set operations atomically through `streamExecAll` (values in chunks, as for
   * {@link streamSet}, with no 32 MiB stream cap). immudb's stream has no reference operation, metadata,
   * preconditions or `noWait`, and cannot carry an empty value. Not verified.
   */
  streamExecAll(
    operations: readonly streams.StreamOperation[],
    options?: streams.StreamWriteOptions,
  ): Promise<WriteResult> {
    return streams.streamExecAll(this.#ctx, operations, options);
  }

  /**
   * Exports one transaction of the current database in immudb's replication format (`exportTx`); see
   * `decodeExportedTx` to read it. Needs the Admin or SysAdmin permission.
   */
  exportTx(tx: bigint, options?: replication.ExportTxOptions): Promise<Uint8Array> {
    return replication.exportTx(this.#ctx, tx, options);
  }

  /**
   * Exports transactions over one bidirectional `streamExportTx` call (as immudb's replicator does), with up to
   * `window` requests in flight, yielding them in order. Leaving the loop early cancels the call.
   */
  streamExportTx(
    txIds: Iterable<bigint> | AsyncIterable<bigint>,
    options?: replication.StreamExportTxOptions,
  ): AsyncGenerator<replication.ExportedTx, void, undefined> {
    return replication.streamExportTx(this.#ctx, txIds, options);
  }

  /**
   * Applies an exported transaction to the current database (`replicateTx`), which must be a replica database
   * not replicating by itself, and the transaction its next one. Returns the committed header. Needs the Admin
   * or SysAdmin permission. See `copyTransactions` for a proven copy of a whole history.
   */
  replicateTx(bytes: Uint8Array, options?: replication.ReplicateTxOptions): Promise<WriteResult> {
    return replication.replicateTx(this.#ctx, bytes, options);
  }

  // ---- end of streaming and replication ----

  /** Closes the session and the connection. Idempotent; pending calls fail with a `ConnectionError`. */
  close(): Promise<void> {
    this.#closing ??= this.#ctx.close();
    return this.#closing;
  }

  /** Same as {@link close}, for `await using client = await ImmudbClient.connect(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
