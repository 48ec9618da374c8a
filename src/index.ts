/**
 * immudb-ts: a TypeScript client for immudb that verifies every proof.
 *
 * @module
 */
export type {
  AuditEvidence,
  AuditNotification,
  AuditorOptions,
  AuditResult,
  AuditRound,
  AuditState,
  AuditStatus,
  AuditWebhookOptions,
} from "./auditor.js";
export {
  Auditor,
  auditEvidenceToJson,
  auditResultToJson,
  auditStateToJson,
  TAMPERING_STATUSES,
} from "./auditor.js";
export { ImmudbClient } from "./client.js";
export type {
  ImmudbErrorCode,
  ServerErrorCode,
  ServerErrorDetails,
  VerificationReason,
} from "./errors.js";
export {
  AbortError,
  AuthenticationError,
  ConnectionError,
  errors,
  ImmudbError,
  InvalidArgumentError,
  ServerError,
  StateError,
  TimeoutError,
  UnknownOutcomeError,
  VerificationError,
} from "./errors.js";
export type {
  AhtSettings,
  CreateDatabaseOptions,
  CreateDatabaseResult,
  DatabaseHealth,
  DatabaseInfo,
  DatabaseSettings,
  FlushIndexOptions,
  IndexSettings,
  ReplicationSettings,
  ServerInfo,
  TruncateDatabaseOptions,
  TruncationSettings,
  User,
  UserPermission,
  UserSqlPrivilege,
} from "./ops/admin.js";
export { Permission, SqlPrivilege } from "./ops/admin.js";
export type { EntryInput } from "./ops/args.js";
export { PagedIterable } from "./ops/paged.js";
export type {
  CopyResult,
  CopyTransactionsOptions,
  DecodedTx,
  ExportedTx,
  ExportedTxEntry,
  ExportTxOptions,
  ReplicateTxOptions,
  StreamExportTxOptions,
} from "./ops/replication.js";
export { copyTransactions, decodeExportedTx } from "./ops/replication.js";
export type {
  SqlColumn,
  SqlColumnDescription,
  SqlCommittedTx,
  SqlExecOptions,
  SqlExecResult,
  SqlJsonValue,
  SqlParam,
  SqlParams,
  SqlParamType,
  SqlQueryResult,
  SqlTransactionOptions,
  SqlTransactionResult,
  SqlTransactionState,
  SqlValue,
  VerifiedSqlGetOptions,
  VerifiedSqlRow,
} from "./ops/sql.js";
export { SqlRow, SqlTimestamp, SqlTransaction, SqlTypedParam, sql } from "./ops/sql.js";
export type {
  StreamEntryInput,
  StreamedEntry,
  StreamedZEntry,
  StreamHistoryOptions,
  StreamOperation,
  StreamScanOptions,
  StreamSetOptions,
  StreamValue,
  StreamWriteOptions,
  StreamZScanOptions,
  ValueReader,
} from "./ops/stream.js";
export { MAX_STREAM_SET_VALUE_BYTES } from "./ops/stream.js";
export type { AuthMode, ClientOptions, Logger, RetryOptions, TlsOptions } from "./options.js";
export { DEFAULTS, parseConnectionUrl } from "./options.js";
export type { SessionInfo } from "./session.js";
export type { FileStateStoreOptions, StateStore, TrustedState } from "./state/index.js";
export { FileStateStore, MemoryStateStore } from "./state/index.js";
export type {
  CallOptions,
  DeleteOptions,
  Digest,
  Entry,
  ExecAllOptions,
  GetAllOptions,
  GetOptions,
  HealthInfo,
  HistoryOptions,
  KVMetadata,
  KVOperation,
  PageOptions,
  Precondition,
  Reference,
  ReferenceOptions,
  ScanOptions,
  ServerState,
  Tx,
  TxByIdOptions,
  TxEntriesMode,
  TxEntry,
  TxHeader,
  TxMetadata,
  TxScanOptions,
  VerifiedGetOptions,
  WriteOptions,
  WriteResult,
  ZAddOptions,
  ZEntry,
  ZScanEntry,
  ZScanOptions,
} from "./types.js";
export type { KVToWrite, VerifiedTx, VerifiedTxEntry } from "./verified.js";
