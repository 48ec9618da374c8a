/**
 * Administration: databases (create, list, load, unload, delete, settings, truncation, switching), index
 * maintenance, users, permissions and SQL privileges, and server information.
 *
 * Every argument is checked before any RPC is sent. Passwords are never part of an error message.
 *
 * @module
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ClientContext } from "../context.js";
import { InvalidArgumentError, ServerError } from "../errors.js";
import {
  type DatabaseInfo as DatabaseInfoPb,
  type DatabaseNullableSettings,
  type DatabaseNullableSettingsSchema,
  ImmuService,
  PermissionAction,
  type User as UserPb,
} from "../gen/schema_pb.js";
import { describe, toBytes } from "../internal/bytes.js";
import type { CallOptions } from "../types.js";

// ---------------------------------------------------------------------------------------------------------------
// Permissions and SQL privileges

/**
 * Database permissions, with the values immudb uses (`pkg/auth/permissions.go`).
 *
 * - `Read`: read keys, transactions, history and SQL (`SELECT`).
 * - `ReadWrite`: `Read` plus writes.
 * - `Admin`: `ReadWrite` plus managing the users of that database, index maintenance, loading, unloading,
 *   deleting, updating and truncating the database.
 * - `SysAdmin`: the built-in `immudb` user only; it cannot be given to other users.
 */
export const Permission = {
  Read: 1,
  ReadWrite: 2,
  Admin: 254,
  SysAdmin: 255,
} as const;

/** One of the {@link Permission} values. */
export type Permission = (typeof Permission)[keyof typeof Permission];

/** SQL privileges, as immudb spells them (`embedded/sql/stmt.go`). */
export const SqlPrivilege = {
  Select: "SELECT",
  Create: "CREATE",
  Insert: "INSERT",
  Update: "UPDATE",
  Delete: "DELETE",
  Drop: "DROP",
  Alter: "ALTER",
} as const;

/** One of the {@link SqlPrivilege} values. */
export type SqlPrivilege = (typeof SqlPrivilege)[keyof typeof SqlPrivilege];

// ---------------------------------------------------------------------------------------------------------------
// Database settings

/** Replication settings of a database (a replica follows a database on another immudb server). */
export interface ReplicationSettings {
  /** The database is a read-only replica of `primaryDatabase` on `primaryHost:primaryPort`. */
  readonly replica?: boolean;
  readonly primaryDatabase?: string;
  readonly primaryHost?: string;
  readonly primaryPort?: number;
  /** A user with read access to the primary database. */
  readonly primaryUsername?: string;
  /** That user's password. The server stores it and returns it in the settings to administrators. */
  readonly primaryPassword?: string;
  /** Synchronous replication (on the primary): commits wait for `syncAcks` replicas. */
  readonly syncReplication?: boolean;
  /** Number of replica confirmations a commit waits for (synchronous replication). */
  readonly syncAcks?: number;
  /** Maximum number of prefetched transactions. */
  readonly prefetchTxBufferSize?: number;
  /** Number of concurrent replications. */
  readonly replicationCommitConcurrency?: number;
  /** Allow precommitted transactions to be discarded if the replica diverges from the primary. */
  readonly allowTxDiscarding?: boolean;
  /** Skip the integrity check when reading data during replication. */
  readonly skipIntegrityCheck?: boolean;
  /** Wait for indexing to be up to date during replication. */
  readonly waitForIndexing?: boolean;
}

/** Index (B-tree) settings of a database. */
export interface IndexSettings {
  /** Number of new index entries between disk flushes. */
  readonly flushThreshold?: number;
  /** Number of new index entries between disk flushes with file sync. */
  readonly syncThreshold?: number;
  /** Size of the B-tree node cache. */
  readonly cacheSize?: number;
  /** Maximum size of a B-tree node, in bytes. Fixed at creation. */
  readonly maxNodeSize?: number;
  /** Maximum number of active B-tree snapshots. */
  readonly maxActiveSnapshots?: number;
  /** Milliseconds after which the most recent snapshot is renewed. */
  readonly renewSnapRootAfterMs?: number;
  /** Minimum number of updated entries in the B-tree before a full compaction (`compactIndex`) is allowed. */
  readonly compactionThld?: number;
  /** Delay added to indexing while a full compaction runs, in milliseconds. */
  readonly delayDuringCompactionMs?: number;
  /** Maximum number of simultaneously opened node files. */
  readonly nodesLogMaxOpenedFiles?: number;
  /** Maximum number of simultaneously opened node history files. */
  readonly historyLogMaxOpenedFiles?: number;
  /** Maximum number of simultaneously opened commit log files. */
  readonly commitLogMaxOpenedFiles?: number;
  /** Size of the in-memory flush buffer, in bytes. */
  readonly flushBufferSize?: number;
  /** Percentage (0–100) of node files cleaned up during each flush. Stored as a 32-bit float. */
  readonly cleanupPercentage?: number;
  /** Maximum number of transactions indexed together. */
  readonly maxBulkSize?: number;
  /** Maximum time to wait for more transactions to join an indexing bulk, in milliseconds. */
  readonly bulkPreparationTimeoutMs?: number;
}

/** Settings of the Merkle tree of transactions (AHT). */
export interface AhtSettings {
  /** Number of new leaves between synchronous flushes to disk. */
  readonly syncThreshold?: number;
  /** Size of the in-memory write buffer. */
  readonly writeBufferSize?: number;
}

/** Data-retention settings: values older than the retention period may be deleted by the server. */
export interface TruncationSettings {
  /** How long values are kept, in milliseconds: `0` disables truncation, otherwise at least 24 hours. */
  readonly retentionPeriodMs?: number;
  /** How often the server truncates, in milliseconds (at least one hour). */
  readonly truncationFrequencyMs?: number;
}

/**
 * Settings of a database. Every field is optional: when creating or updating a database, only the fields set
 * are sent and the server keeps its defaults (or the current values) for the others. When read back, the
 * server fills in every field.
 *
 * `fileSize`, `maxKeyLen`, `maxValueLen`, `maxTxEntries`, `embeddedValues`, `preallocFiles` and
 * `indexSettings.maxNodeSize` are fixed at creation: `updateDatabase` rejects them.
 *
 * Field names follow immudb's `DatabaseNullableSettings`; durations carry an `Ms` suffix.
 */
export interface DatabaseSettings {
  readonly replicationSettings?: ReplicationSettings;
  /** Maximum size of a data file on disk, in bytes. Fixed at creation. */
  readonly fileSize?: number;
  /** Maximum key length in bytes (at most 1024, including immudb's one-byte prefix). Fixed at creation. */
  readonly maxKeyLen?: number;
  /** Maximum value length in bytes. Fixed at creation. */
  readonly maxValueLen?: number;
  /** Maximum number of entries in one transaction. Fixed at creation. */
  readonly maxTxEntries?: number;
  /** Leave the commit time out of transaction headers. */
  readonly excludeCommitTime?: boolean;
  /** Maximum number of commits prepared at the same time. */
  readonly maxConcurrency?: number;
  /** Maximum number of simultaneous IO writes. */
  readonly maxIOConcurrency?: number;
  /** Size of the transaction log cache. */
  readonly txLogCacheSize?: number;
  /** Maximum number of simultaneously opened value files. */
  readonly vLogMaxOpenedFiles?: number;
  /** Maximum number of simultaneously opened transaction log files. */
  readonly txLogMaxOpenedFiles?: number;
  /** Maximum number of simultaneously opened commit log files. */
  readonly commitLogMaxOpenedFiles?: number;
  readonly indexSettings?: IndexSettings;
  /** Version of the transaction headers written (limits the features available). */
  readonly writeTxHeaderVersion?: number;
  /** Load the database when the server starts (default `true`). */
  readonly autoload?: boolean;
  /** Size of the pool of read buffers. */
  readonly readTxPoolSize?: number;
  /** How often the commit process syncs to disk, in milliseconds. */
  readonly syncFrequencyMs?: number;
  /** Size of the in-memory buffer of write operations. */
  readonly writeBufferSize?: number;
  readonly ahtSettings?: AhtSettings;
  /** Maximum number of pre-committed transactions. */
  readonly maxActiveTransactions?: number;
  /** Maximum number of entries read by one transaction (MVCC read set). */
  readonly mvccReadSetLimit?: number;
  /** Size of the value log cache. */
  readonly vLogCacheSize?: number;
  readonly truncationSettings?: TruncationSettings;
  /** Store values together with the transaction headers (default `true`). Fixed at creation. */
  readonly embeddedValues?: boolean;
  /** Preallocate data files. Fixed at creation. */
  readonly preallocFiles?: boolean;
}

/** How a setting is encoded: the `Nullable*` wrapper it maps to. */
type Kind = "u32" | "u64" | "ms" | "bool" | "string" | "float";
/** A group of settings: user field name → [proto field name, kind or nested group]. */
type Spec = Readonly<Record<string, readonly [string, Kind | Spec]>>;

const REPLICATION_SPEC: Spec = {
  replica: ["replica", "bool"],
  primaryDatabase: ["primaryDatabase", "string"],
  primaryHost: ["primaryHost", "string"],
  primaryPort: ["primaryPort", "u32"],
  primaryUsername: ["primaryUsername", "string"],
  primaryPassword: ["primaryPassword", "string"],
  syncReplication: ["syncReplication", "bool"],
  syncAcks: ["syncAcks", "u32"],
  prefetchTxBufferSize: ["prefetchTxBufferSize", "u32"],
  replicationCommitConcurrency: ["replicationCommitConcurrency", "u32"],
  allowTxDiscarding: ["allowTxDiscarding", "bool"],
  skipIntegrityCheck: ["skipIntegrityCheck", "bool"],
  waitForIndexing: ["waitForIndexing", "bool"],
};

const INDEX_SPEC: Spec = {
  flushThreshold: ["flushThreshold", "u32"],
  syncThreshold: ["syncThreshold", "u32"],
  cacheSize: ["cacheSize", "u32"],
  maxNodeSize: ["maxNodeSize", "u32"],
  maxActiveSnapshots: ["maxActiveSnapshots", "u32"],
  renewSnapRootAfterMs: ["renewSnapRootAfter", "u64"],
  compactionThld: ["compactionThld", "u32"],
  delayDuringCompactionMs: ["delayDuringCompaction", "u32"],
  nodesLogMaxOpenedFiles: ["nodesLogMaxOpenedFiles", "u32"],
  historyLogMaxOpenedFiles: ["historyLogMaxOpenedFiles", "u32"],
  commitLogMaxOpenedFiles: ["commitLogMaxOpenedFiles", "u32"],
  flushBufferSize: ["flushBufferSize", "u32"],
  cleanupPercentage: ["cleanupPercentage", "float"],
  maxBulkSize: ["maxBulkSize", "u32"],
  bulkPreparationTimeoutMs: ["bulkPreparationTimeout", "ms"],
};

const AHT_SPEC: Spec = {
  syncThreshold: ["syncThreshold", "u32"],
  writeBufferSize: ["writeBufferSize", "u32"],
};

const TRUNCATION_SPEC: Spec = {
  retentionPeriodMs: ["retentionPeriod", "ms"],
  truncationFrequencyMs: ["truncationFrequency", "ms"],
};

const SETTINGS_SPEC: Spec = {
  replicationSettings: ["replicationSettings", REPLICATION_SPEC],
  fileSize: ["fileSize", "u32"],
  maxKeyLen: ["maxKeyLen", "u32"],
  maxValueLen: ["maxValueLen", "u32"],
  maxTxEntries: ["maxTxEntries", "u32"],
  excludeCommitTime: ["excludeCommitTime", "bool"],
  maxConcurrency: ["maxConcurrency", "u32"],
  maxIOConcurrency: ["maxIOConcurrency", "u32"],
  txLogCacheSize: ["txLogCacheSize", "u32"],
  vLogMaxOpenedFiles: ["vLogMaxOpenedFiles", "u32"],
  txLogMaxOpenedFiles: ["txLogMaxOpenedFiles", "u32"],
  commitLogMaxOpenedFiles: ["commitLogMaxOpenedFiles", "u32"],
  indexSettings: ["indexSettings", INDEX_SPEC],
  writeTxHeaderVersion: ["writeTxHeaderVersion", "u32"],
  autoload: ["autoload", "bool"],
  readTxPoolSize: ["readTxPoolSize", "u32"],
  syncFrequencyMs: ["syncFrequency", "ms"],
  writeBufferSize: ["writeBufferSize", "u32"],
  ahtSettings: ["ahtSettings", AHT_SPEC],
  maxActiveTransactions: ["maxActiveTransactions", "u32"],
  mvccReadSetLimit: ["mvccReadSetLimit", "u32"],
  vLogCacheSize: ["vLogCacheSize", "u32"],
  truncationSettings: ["truncationSettings", TRUNCATION_SPEC],
  embeddedValues: ["embeddedValues", "bool"],
  preallocFiles: ["preallocFiles", "bool"],
};

const MAX_U32 = 0xffff_ffff;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Encodes one setting value; `path` names it in errors (values are never quoted: they may be secrets). */
function encodeValue(kind: Kind, v: unknown, path: string): { value: unknown } {
  switch (kind) {
    case "bool":
      if (typeof v !== "boolean")
        throw new InvalidArgumentError(`${path} must be a boolean, got ${describe(v)}`);
      return { value: v };
    case "string":
      if (typeof v !== "string")
        throw new InvalidArgumentError(`${path} must be a string, got ${describe(v)}`);
      return { value: v };
    case "float":
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new InvalidArgumentError(`${path} must be a finite number, got ${describe(v)}`);
      }
      return { value: v };
    case "u32":
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_U32) {
        throw new InvalidArgumentError(`${path} must be an integer from 0 to ${MAX_U32}`);
      }
      return { value: v };
    case "u64":
    case "ms":
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
        throw new InvalidArgumentError(`${path} must be a non-negative safe integer (milliseconds)`);
      }
      return { value: BigInt(v) };
  }
}

function encodeGroup(spec: Spec, input: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(input))
    throw new InvalidArgumentError(`${path} must be an object, got ${describe(input)}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(input)) {
    const field = spec[key];
    if (!field) throw new InvalidArgumentError(`${path}.${key} is not a known database setting`);
    if (v === undefined) continue;
    const [protoName, kind] = field;
    out[protoName] =
      typeof kind === "string"
        ? encodeValue(kind, v, `${path}.${key}`)
        : encodeGroup(kind, v, `${path}.${key}`);
  }
  return out;
}

/**
 * Checks settings and converts them to `DatabaseNullableSettings`: only the fields set are sent. Unknown
 * fields are rejected (a misspelt setting would otherwise be silently ignored).
 */
export function settingsToProto(settings: unknown): MessageInitShape<typeof DatabaseNullableSettingsSchema> {
  return encodeGroup(SETTINGS_SPEC, settings, "settings") as MessageInitShape<
    typeof DatabaseNullableSettingsSchema
  >;
}

function decodeGroup(spec: Spec, msg: object | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!msg) return out;
  const fields = msg as Record<string, unknown>;
  for (const [key, [protoName, kind]] of Object.entries(spec)) {
    const v = fields[protoName];
    if (v === undefined) continue;
    if (typeof kind !== "string") {
      out[key] = decodeGroup(kind, v as object);
      continue;
    }
    const value = (v as { value: unknown }).value;
    out[key] = typeof value === "bigint" ? Number(value) : value;
  }
  return out;
}

/** Converts `DatabaseNullableSettings` as read from the server. */
export function settingsFromProto(msg: DatabaseNullableSettings | undefined): DatabaseSettings {
  return decodeGroup(SETTINGS_SPEC, msg) as DatabaseSettings;
}

// ---------------------------------------------------------------------------------------------------------------
// Argument checks

const DB_NAME_CHARS = /^[\p{Ll}\p{Nd}_]+$/u;
const USER_NAME = /^[A-Za-z0-9_]+$/;
const encoder = new TextEncoder();

/**
 * Checks a database name as immudb does (`isValidDBName`): 1 to 128 bytes of UTF-8, made of lower-case
 * letters (any script), decimal digits and `_`. (`createDatabase` on the server lower-cases the name first, but
 * the other database RPCs do not: upper-case names are refused here so that one name means one database.)
 */
export function checkDatabaseName(name: unknown, what = "database name"): string {
  if (typeof name !== "string")
    throw new InvalidArgumentError(`${what} must be a string, got ${describe(name)}`);
  const bytes = encoder.encode(name).length;
  if (bytes < 1 || bytes > 128) {
    throw new InvalidArgumentError(`${what} must be 1 to 128 bytes long (UTF-8), got ${bytes}`);
  }
  if (!DB_NAME_CHARS.test(name)) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(name)} is invalid: use lower-case letters, digits and '_' only`,
    );
  }
  return name;
}

function checkUserName(user: unknown, what = "user"): string {
  if (typeof user !== "string")
    throw new InvalidArgumentError(`${what} must be a string, got ${describe(user)}`);
  if (user.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  return user;
}

function checkPassword(password: unknown, what: string): Uint8Array {
  const bytes = toBytes(password, what);
  if (bytes.length === 0) throw new InvalidArgumentError(`${what} must not be empty`);
  return bytes;
}

/** Permissions that can be given to a user: `SysAdmin` belongs to the built-in `immudb` user only. */
function checkGrantablePermission(permission: unknown): Permission {
  if (
    permission === Permission.Read ||
    permission === Permission.ReadWrite ||
    permission === Permission.Admin
  ) {
    return permission;
  }
  if (permission === Permission.SysAdmin) {
    throw new InvalidArgumentError(
      "Permission.SysAdmin cannot be given to a user: only the built-in immudb user is a system administrator",
    );
  }
  throw new InvalidArgumentError(
    `permission must be Permission.Read (1), Permission.ReadWrite (2) or Permission.Admin (254), got ${
      typeof permission === "number" ? permission : describe(permission)
    }`,
  );
}

const SQL_PRIVILEGES: ReadonlySet<string> = new Set(Object.values(SqlPrivilege));

function checkBoolean(v: unknown, what: string): boolean {
  if (typeof v !== "boolean") throw new InvalidArgumentError(`${what} must be a boolean, got ${describe(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Time conversions

/** Unix seconds as a `Date`; `undefined` for 0 or values out of range. */
function dateFromUnixSeconds(s: bigint): Date | undefined {
  if (s <= 0n || s > 8_640_000_000_000n) return undefined;
  return new Date(Number(s) * 1000);
}

/** Unix milliseconds as a `Date`; `undefined` for Go's zero time (negative) and 0. */
function dateFromUnixMillis(ms: bigint): Date | undefined {
  if (ms <= 0n || ms > 8_640_000_000_000_000n) return undefined;
  return new Date(Number(ms));
}

const GO_TIME =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? ([+-])(\d{2})(\d{2})(?:\d{2})?(?: |$)/;

/**
 * Parses Go's `time.Time.String()` form (`2024-05-01 12:00:00.123456789 +0000 UTC`, maybe followed by a
 * monotonic clock reading), which immudb sends as a user's `createdat`. `undefined` for Go's zero time and for
 * anything unparsable.
 */
export function parseGoTime(text: string): Date | undefined {
  const m = GO_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, sign, oh, om] = m;
  if (y === "0001") return undefined;
  const ms = (frac ?? "").padEnd(3, "0").slice(0, 3);
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${sign}${oh}:${om}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

// ---------------------------------------------------------------------------------------------------------------
// Result types

/** Options of `createDatabase`. */
export interface CreateDatabaseOptions extends CallOptions {
  /** Settings of the new database; the server's defaults apply to every field left out. */
  readonly settings?: DatabaseSettings;
  /**
   * Succeed without changes when the database exists (`alreadyExisted` is then `true` and `settings` are the
   * existing ones: the given settings are not applied).
   */
  readonly ifNotExists?: boolean;
}

/** Result of `createDatabase`. */
export interface CreateDatabaseResult {
  readonly name: string;
  /** The settings in effect. */
  readonly settings: DatabaseSettings;
  /** The database existed already (only with `ifNotExists`). */
  readonly alreadyExisted: boolean;
}

/** A database as listed by `listDatabases`. */
export interface DatabaseInfo {
  readonly name: string;
  readonly settings: DatabaseSettings;
  /** Whether the database is loaded (open); unloaded databases reject every operation. */
  readonly loaded: boolean;
  /** Size of the database directory, in bytes. */
  readonly diskSize: bigint;
  /** Number of committed transactions (0 for an unloaded database). */
  readonly numTransactions: bigint;
  /** When the database was created, if the server knows. */
  readonly createdAt: Date | undefined;
  /** Who created it (`systemdb` for `defaultdb`). */
  readonly createdBy: string;
}

/** Options of `truncateDatabase`. */
export interface TruncateDatabaseOptions extends CallOptions {
  /**
   * Keep the values of the last `retentionPeriodMs` milliseconds; at least 24 hours (86 400 000). The server
   * rounds the cut-off down to the start of that day.
   */
  readonly retentionPeriodMs: number;
}

/** Options of `flushIndex`. */
export interface FlushIndexOptions extends CallOptions {
  /** Percentage (0–100) of index node files to clean up during the flush. Default 0. */
  readonly cleanupPercentage?: number;
  /** Sync to disk after the flush. Default `false`. */
  readonly synced?: boolean;
}

/** Result of `databaseHealth`. */
export interface DatabaseHealth {
  /** Requests being executed on the database. */
  readonly pendingRequests: number;
  /** When the last request completed; `undefined` if none has yet. */
  readonly lastRequestCompletedAt: Date | undefined;
}

/** A user's permission on one database. */
export interface UserPermission {
  /** The database; `"*"` for the built-in `immudb` system administrator. */
  readonly database: string;
  readonly permission: Permission;
}

/** A user's SQL privilege on one database. */
export interface UserSqlPrivilege {
  /** The database; `"*"` for the built-in `immudb` system administrator. */
  readonly database: string;
  readonly privilege: SqlPrivilege;
}

/** A user as listed by `listUsers`. */
export interface User {
  readonly user: string;
  /**
   * The user who created this user, or the last one who changed it: immudb overwrites this field on every
   * permission, privilege, password or status change.
   */
  readonly createdBy: string;
  /** When the user was created or last changed (see `createdBy`). */
  readonly createdAt: Date | undefined;
  readonly active: boolean;
  readonly permissions: readonly UserPermission[];
  readonly sqlPrivileges: readonly UserSqlPrivilege[];
}

/** Result of `serverInfo`. */
export interface ServerInfo {
  /** Server version, e.g. `1.11.1`. */
  readonly version: string;
  /** When the server process started. */
  readonly startedAt: Date;
  /** Transactions across all databases. */
  readonly numTransactions: bigint;
  /** Number of databases the server knows (immudb also counts databases deleted since it started). */
  readonly numDatabases: number;
  /** Disk space used by all databases, in bytes. */
  readonly databasesDiskSize: bigint;
}

// ---------------------------------------------------------------------------------------------------------------
// Databases

/** `CreateDatabaseV2`. */
export async function createDatabase(
  ctx: ClientContext,
  name: string,
  options: CreateDatabaseOptions | undefined,
): Promise<CreateDatabaseResult> {
  checkDatabaseName(name);
  const settings = options?.settings === undefined ? undefined : settingsToProto(options.settings);
  const ifNotExists =
    options?.ifNotExists === undefined ? false : checkBoolean(options.ifNotExists, "ifNotExists");
  const res = await ctx.unary(
    ImmuService.method.createDatabaseV2,
    settings === undefined ? { name, ifNotExists } : { name, ifNotExists, settings },
    options,
  );
  return { name: res.name, settings: settingsFromProto(res.settings), alreadyExisted: res.alreadyExisted };
}

function databaseInfoFromProto(d: DatabaseInfoPb): DatabaseInfo {
  return {
    name: d.name,
    settings: settingsFromProto(d.settings),
    loaded: d.loaded,
    diskSize: d.diskSize,
    numTransactions: d.numTransactions,
    createdAt: dateFromUnixSeconds(d.createdAt),
    createdBy: d.createdBy,
  };
}

/** `DatabaseListV2`. */
export async function listDatabases(ctx: ClientContext, options?: CallOptions): Promise<DatabaseInfo[]> {
  const res = await ctx.unary(ImmuService.method.databaseListV2, {}, options);
  return res.databases.map(databaseInfoFromProto);
}

/** `LoadDatabase`. */
export async function loadDatabase(ctx: ClientContext, name: string, options?: CallOptions): Promise<void> {
  checkDatabaseName(name);
  await ctx.unary(ImmuService.method.loadDatabase, { database: name }, options);
}

/** `UnloadDatabase`. */
export async function unloadDatabase(ctx: ClientContext, name: string, options?: CallOptions): Promise<void> {
  checkDatabaseName(name);
  await ctx.unary(ImmuService.method.unloadDatabase, { database: name }, options);
}

/** `DeleteDatabase`. */
export async function deleteDatabase(ctx: ClientContext, name: string, options?: CallOptions): Promise<void> {
  checkDatabaseName(name);
  try {
    await ctx.unary(ImmuService.method.deleteDatabase, { database: name }, options);
  } catch (err) {
    // Deleting a database deleted earlier (the server keeps its name until restart) fails while looking up its
    // settings, with the store's "key not found": report it as the missing database it is.
    if (err instanceof ServerError && err.code === "KEY_NOT_FOUND") {
      throw new ServerError("DATABASE_NOT_FOUND", err.details, { cause: err });
    }
    throw err;
  }
}

/** `UpdateDatabaseV2`. */
export async function updateDatabase(
  ctx: ClientContext,
  name: string,
  settings: DatabaseSettings,
  options?: CallOptions,
): Promise<DatabaseSettings> {
  checkDatabaseName(name);
  // Always send a settings message, even an empty one: immudb 1.11.1 dereferences it without a nil check, and a
  // request without it crashes the whole server.
  const proto = settingsToProto(settings);
  const res = await ctx.unary(
    ImmuService.method.updateDatabaseV2,
    { database: name, settings: proto },
    options,
  );
  return settingsFromProto(res.settings);
}

/** `GetDatabaseSettingsV2`. */
export async function getDatabaseSettings(
  ctx: ClientContext,
  options?: CallOptions,
): Promise<DatabaseSettings> {
  const res = await ctx.unary(ImmuService.method.getDatabaseSettingsV2, {}, options);
  return settingsFromProto(res.settings);
}

/** Smallest retention period immudb accepts (`store.MinimumRetentionPeriod`). */
export const MIN_RETENTION_PERIOD_MS = 24 * 60 * 60 * 1000;

/** `TruncateDatabase`. */
export async function truncateDatabase(
  ctx: ClientContext,
  name: string,
  options: TruncateDatabaseOptions,
): Promise<void> {
  checkDatabaseName(name);
  const retention: unknown = options?.retentionPeriodMs;
  if (
    typeof retention !== "number" ||
    !Number.isSafeInteger(retention) ||
    retention < MIN_RETENTION_PERIOD_MS
  ) {
    throw new InvalidArgumentError(
      `retentionPeriodMs must be an integer number of milliseconds of at least ${MIN_RETENTION_PERIOD_MS} (24 hours)`,
    );
  }
  await ctx.unary(
    ImmuService.method.truncateDatabase,
    { database: name, retentionPeriod: BigInt(retention) },
    options,
  );
}

/**
 * Switches the client to another database: the current session is closed and one is opened on `name`, then
 * checked with `UseDatabase` (opening a session on an unloaded or deleted database succeeds; `UseDatabase`
 * does not). With `auth: "token"`, `UseDatabase` gives the client a new token bound to `name` instead. On failure
 * the client goes back to its previous database.
 */
export async function useDatabase(ctx: ClientContext, name: string, options?: CallOptions): Promise<void> {
  checkDatabaseName(name);
  const previous = ctx.auth.database;
  if (previous === name) return;
  try {
    await ctx.auth.switchDatabase(name);
    await ctx.unary(ImmuService.method.useDatabase, { databaseName: name }, options);
  } catch (err) {
    try {
      await ctx.auth.switchDatabase(previous);
    } catch (restoreErr) {
      ctx.options.logger.warn(
        `immudb-ts: could not reopen the session on ${previous} after a failed switch: ${(restoreErr as Error).message}`,
      );
    }
    throw err;
  }
}

/** `DatabaseHealth`. */
export async function databaseHealth(ctx: ClientContext, options?: CallOptions): Promise<DatabaseHealth> {
  const res = await ctx.unary(ImmuService.method.databaseHealth, {}, options);
  return {
    pendingRequests: res.pendingRequests,
    lastRequestCompletedAt: dateFromUnixMillis(res.lastRequestCompletedAt),
  };
}

/** `FlushIndex`. */
export async function flushIndex(ctx: ClientContext, options?: FlushIndexOptions): Promise<void> {
  const cleanupPercentage: unknown = options?.cleanupPercentage ?? 0;
  if (
    typeof cleanupPercentage !== "number" ||
    !Number.isFinite(cleanupPercentage) ||
    cleanupPercentage < 0 ||
    cleanupPercentage > 100
  ) {
    throw new InvalidArgumentError("cleanupPercentage must be a number from 0 to 100");
  }
  const synced = options?.synced === undefined ? false : checkBoolean(options.synced, "synced");
  await ctx.unary(ImmuService.method.flushIndex, { cleanupPercentage, synced }, options);
}

/** `CompactIndex`. */
export async function compactIndex(ctx: ClientContext, options?: CallOptions): Promise<void> {
  await ctx.unary(ImmuService.method.compactIndex, {}, options);
}

/** Deprecated `DatabaseList`: names only. */
export async function databaseListV1(ctx: ClientContext, options?: CallOptions): Promise<string[]> {
  const res = await ctx.unary(ImmuService.method.databaseList, {}, options);
  return res.databases.map((d) => d.databaseName);
}

/** Deprecated `CreateDatabase`: default settings, fails if the database exists. */
export async function createDatabaseV1(
  ctx: ClientContext,
  name: string,
  options?: CallOptions,
): Promise<void> {
  checkDatabaseName(name);
  await ctx.unary(ImmuService.method.createDatabase, { databaseName: name }, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Users

/** `CreateUser`. */
export async function createUser(
  ctx: ClientContext,
  user: string,
  password: string | Uint8Array,
  permission: Permission,
  database: string,
  options?: CallOptions,
): Promise<void> {
  checkUserName(user);
  if (user.length > 63 || !USER_NAME.test(user)) {
    throw new InvalidArgumentError(
      `user ${JSON.stringify(user)} is invalid: use at most 63 letters, digits and '_'`,
    );
  }
  const pw = checkPassword(password, "password");
  const perm = checkGrantablePermission(permission);
  checkDatabaseName(database);
  await ctx.unary(
    ImmuService.method.createUser,
    { user: encoder.encode(user), password: pw, permission: perm, database },
    options,
  );
}

function userFromProto(u: UserPb): User {
  return {
    user: new TextDecoder().decode(u.user),
    createdBy: u.createdby,
    createdAt: parseGoTime(u.createdat),
    active: u.active,
    permissions: u.permissions.map((p) => ({ database: p.database, permission: p.permission as Permission })),
    sqlPrivileges: u.sqlPrivileges.map((p) => ({
      database: p.database,
      privilege: p.privilege as SqlPrivilege,
    })),
  };
}

/** `ListUsers`. */
export async function listUsers(ctx: ClientContext, options?: CallOptions): Promise<User[]> {
  const res = await ctx.unary(ImmuService.method.listUsers, {}, options);
  return res.users.map(userFromProto);
}

/** `ChangePassword`. */
export async function changePassword(
  ctx: ClientContext,
  user: string,
  oldPassword: string | Uint8Array,
  newPassword: string | Uint8Array,
  options?: CallOptions,
): Promise<void> {
  checkUserName(user);
  const oldPw = toBytes(oldPassword, "oldPassword");
  const newPw = checkPassword(newPassword, "newPassword");
  await ctx.unary(
    ImmuService.method.changePassword,
    { user: encoder.encode(user), oldPassword: oldPw, newPassword: newPw },
    options,
  );
}

/** `ChangePermission`. */
export async function changePermission(
  ctx: ClientContext,
  action: "grant" | "revoke",
  user: string,
  database: string,
  permission: Permission,
  options?: CallOptions,
): Promise<void> {
  checkUserName(user);
  checkDatabaseName(database);
  const perm = checkGrantablePermission(permission);
  await ctx.unary(
    ImmuService.method.changePermission,
    {
      action: action === "grant" ? PermissionAction.GRANT : PermissionAction.REVOKE,
      username: user,
      database,
      permission: perm,
    },
    options,
  );
}

/** `ChangeSQLPrivileges`. */
export async function changeSqlPrivileges(
  ctx: ClientContext,
  user: string,
  database: string,
  privileges: readonly SqlPrivilege[],
  action: "grant" | "revoke",
  options?: CallOptions,
): Promise<void> {
  checkUserName(user);
  checkDatabaseName(database);
  if (!Array.isArray(privileges) || privileges.length === 0) {
    throw new InvalidArgumentError("privileges must be a non-empty array of SqlPrivilege values");
  }
  for (const [i, p] of privileges.entries()) {
    if (typeof p !== "string" || !SQL_PRIVILEGES.has(p)) {
      throw new InvalidArgumentError(
        `privileges[${i}] must be one of ${[...SQL_PRIVILEGES].join(", ")}, got ${
          typeof p === "string" ? JSON.stringify(p) : describe(p)
        }`,
      );
    }
  }
  if (action !== "grant" && action !== "revoke") {
    throw new InvalidArgumentError(`action must be "grant" or "revoke", got ${describe(action)}`);
  }
  await ctx.unary(
    ImmuService.method.changeSQLPrivileges,
    {
      action: action === "grant" ? PermissionAction.GRANT : PermissionAction.REVOKE,
      username: user,
      database,
      privileges: [...privileges],
    },
    options,
  );
}

/** `SetActiveUser`. */
export async function setActiveUser(
  ctx: ClientContext,
  user: string,
  active: boolean,
  options?: CallOptions,
): Promise<void> {
  checkUserName(user);
  checkBoolean(active, "active");
  await ctx.unary(ImmuService.method.setActiveUser, { username: user, active }, options);
}

// ---------------------------------------------------------------------------------------------------------------
// Server

/** `ServerInfo` (needs no session). */
export async function serverInfo(ctx: ClientContext, options?: CallOptions): Promise<ServerInfo> {
  const res = await ctx.transport.unary(
    ImmuService.method.serverInfo,
    {},
    { timeoutMs: options?.timeoutMs ?? ctx.options.timeoutMs, signal: options?.signal },
  );
  return {
    version: res.version,
    startedAt: new Date(Number(res.startedAt) * 1000),
    numTransactions: res.numTransactions,
    numDatabases: res.numDatabases,
    databasesDiskSize: res.databasesDiskSize,
  };
}
