/**
 * Maps gRPC failures to the immudb-ts error hierarchy, reading immudb's `ErrorInfo`/`RetryInfo` status details.
 * Order of evidence: `ErrorInfo.code`, then the gRPC code, then message text (immudb reports many failures as
 * UNKNOWN with only a message).
 *
 * @module
 */
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { status as GrpcStatus, type Metadata } from "@grpc/grpc-js";
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  type ImmudbError,
  ServerError,
  type ServerErrorCode,
  type ServerErrorDetails,
  TimeoutError,
} from "../errors.js";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/schema_pb.js";

interface GrpcLikeError {
  code?: number;
  details?: string;
  message?: string;
  metadata?: Metadata;
}

/**
 * Turns an error from grpc-js into an {@link ImmudbError}.
 * @param aborted - whether the caller cancelled the call through its signal.
 * @param tls - whether the connection uses TLS (to word connection failures).
 */
export function mapGrpcError(err: unknown, rpc: string, aborted: boolean, tls = false): ImmudbError {
  const e = (err ?? {}) as GrpcLikeError;
  const grpcCode = typeof e.code === "number" ? e.code : GrpcStatus.UNKNOWN;
  const message = e.details ?? e.message ?? String(err);
  if (aborted || grpcCode === GrpcStatus.CANCELLED) {
    return new AbortError(`${rpc}: cancelled`, { cause: err });
  }
  if (grpcCode === GrpcStatus.DEADLINE_EXCEEDED) {
    return new TimeoutError(`${rpc}: deadline exceeded`, { cause: err });
  }
  if (grpcCode === GrpcStatus.UNAVAILABLE) {
    return new ConnectionError(`${rpc}: ${describeUnavailable(message, tls)}`, { cause: err });
  }
  const details: ServerErrorDetails = { rpc, grpcCode, message, ...readStatusDetails(e.metadata) };
  const serverCode = details.serverCode;

  if (
    message.startsWith("invalid user name or password") ||
    message === "user is not active" ||
    serverCode === "08004" ||
    message === "not logged in" ||
    message.includes("token has expired")
  ) {
    return new AuthenticationError(`${rpc}: ${message}`, { cause: err, details });
  }
  if (message === "session not found" || message === "no session found") {
    return new ServerError("SESSION_NOT_FOUND", details, { cause: err });
  }
  if (
    grpcCode === GrpcStatus.PERMISSION_DENIED ||
    grpcCode === GrpcStatus.UNAUTHENTICATED ||
    message === "permission denied" ||
    message.includes("does not have permission") ||
    // Admin RPCs of non-admin users: "you do not have permission on this database", "the database 'x' does not
    // exist or you do not have admin permission on this database", "user is not system admin nor admin in any
    // of the databases".
    message.includes("do not have permission") ||
    message.includes("do not have admin permission") ||
    message.startsWith("user is not system admin nor admin")
  ) {
    return new AuthenticationError(`${rpc}: ${message}`, { cause: err, details, code: "PERMISSION_DENIED" });
  }
  return new ServerError(classify(grpcCode, serverCode, message), details, { cause: err });
}

/**
 * Words an UNAVAILABLE status. grpc-js reports a failed connection as "No connection established. Last error:
 * <error>. Resolution note: <note>"; TLS failures and a plaintext client talking to a TLS server are called out.
 */
function describeUnavailable(message: string, tls: boolean): string {
  const m = /^No connection established\. Last error: ([\s\S]*?)\.?\s*Resolution note:[\s\S]*$/.exec(message);
  if (!m) return `server unavailable: ${message}`;
  const last = opensslReason((m[1] ?? "").replace(/^Error(?: \[[A-Z_]+\])?: /, "").trim());
  // grpc-js has no error to report while it waits to reconnect after a failed attempt.
  if (last === "null" || last === "") return "server unavailable: no connection established (reconnecting)";
  if (tls) {
    if (/wrong version number|packet length too long|unknown protocol/i.test(last)) {
      return `TLS handshake failed (${last}): the server does not seem to speak TLS; there is no fallback to plaintext`;
    }
    if (/alert (unknown ca|bad certificate|certificate required|certificate unknown)/i.test(last)) {
      return `TLS handshake failed: the server rejected the client certificate (${last})`;
    }
    if (/unable to verify|self[- ]signed|issuer/i.test(last)) {
      return `TLS handshake failed: ${last} (the server certificate is not signed by a trusted CA: check tls.ca)`;
    }
    if (/certificate|CERT_|altname|SSL|TLS|alert|handshake|secure TLS connection/i.test(last)) {
      return `TLS handshake failed: ${last}`;
    }
  } else if (/^Failed to connect/.test(last)) {
    return `server unavailable: the connection closed before the HTTP/2 handshake completed (${last}); if the server uses TLS, set the tls option`;
  }
  return `server unavailable: ${last}`;
}

/** `803C…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file.c:350:` → `wrong version number`. */
function opensslReason(s: string): string {
  const m = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(s);
  return m?.[1] ? m[1].trim() : s;
}

function classify(grpcCode: number, serverCode: string | undefined, message: string): ServerErrorCode {
  if (message.includes("key not found")) return "KEY_NOT_FOUND";
  if (message === "tx not found") return "TX_NOT_FOUND";
  if (
    // NOT_FOUND is also immudb's code for an unknown user ("user x not found").
    (grpcCode === GrpcStatus.NOT_FOUND && !message.startsWith("user ")) ||
    serverCode === "3F000" ||
    // "database does not exist", "database does not exist: while opening database 'x'", "database x does not exist"
    message.startsWith("database does not exist") ||
    /^database \S+ does not exist$/.test(message)
  ) {
    return "DATABASE_NOT_FOUND";
  }
  if (grpcCode === GrpcStatus.FAILED_PRECONDITION || serverCode === "23000") return "PRECONDITION_FAILED";
  if (message.includes("tx read conflict") || serverCode === "25P02") return "CONFLICT";
  if (grpcCode === GrpcStatus.UNIMPLEMENTED) return "UNSUPPORTED";
  // immudb wraps store.ErrIllegalArguments ("illegal arguments: ...") and reports it as UNKNOWN.
  if (grpcCode === GrpcStatus.INVALID_ARGUMENT || message.startsWith("illegal arguments"))
    return "INVALID_ARGUMENT";
  return "SERVER";
}

/** Decodes `grpc-status-details-bin` (a google.rpc.Status) and picks immudb's ErrorInfo and RetryInfo. */
function readStatusDetails(
  md: Metadata | undefined,
): Pick<ServerErrorDetails, "serverCode" | "serverCause" | "retryDelayMs"> {
  const raw = md?.get("grpc-status-details-bin")[0];
  if (!raw || typeof raw === "string") return {};
  const out: { serverCode?: string; serverCause?: string; retryDelayMs?: number } = {};
  try {
    const reader = new BinaryReader(raw);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field !== 3) {
        reader.skip(wireType);
        continue;
      }
      // google.protobuf.Any { string type_url = 1; bytes value = 2; }
      const any = new BinaryReader(reader.bytes());
      let typeUrl = "";
      let value: Uint8Array = new Uint8Array();
      while (any.pos < any.len) {
        const [f, wt] = any.tag();
        if (f === 1) typeUrl = any.string();
        else if (f === 2) value = any.bytes();
        else any.skip(wt);
      }
      if (typeUrl.endsWith("/immudb.schema.ErrorInfo")) {
        const info = fromBinary(ErrorInfoSchema, value);
        if (info.code) out.serverCode = info.code;
        if (info.cause) out.serverCause = info.cause;
      } else if (typeUrl.endsWith("/immudb.schema.RetryInfo")) {
        out.retryDelayMs = fromBinary(RetryInfoSchema, value).retryDelay;
      }
    }
  } catch {
    // Undecodable details: keep the code and message only.
  }
  return out;
}
