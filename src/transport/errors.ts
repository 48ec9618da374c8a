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
 */
export function mapGrpcError(err: unknown, rpc: string, aborted: boolean): ImmudbError {
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
    return new ConnectionError(`${rpc}: server unavailable: ${message}`, { cause: err });
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
    message.includes("does not have permission")
  ) {
    return new AuthenticationError(`${rpc}: ${message}`, { cause: err, details, code: "PERMISSION_DENIED" });
  }
  return new ServerError(classify(grpcCode, serverCode, message), details, { cause: err });
}

function classify(grpcCode: number, serverCode: string | undefined, message: string): ServerErrorCode {
  if (message.includes("key not found")) return "KEY_NOT_FOUND";
  if (message === "tx not found") return "TX_NOT_FOUND";
  if (grpcCode === GrpcStatus.NOT_FOUND || serverCode === "3F000" || message === "database does not exist") {
    return "DATABASE_NOT_FOUND";
  }
  if (grpcCode === GrpcStatus.FAILED_PRECONDITION || serverCode === "23000") return "PRECONDITION_FAILED";
  if (message.includes("tx read conflict") || serverCode === "25P02") return "CONFLICT";
  if (grpcCode === GrpcStatus.UNIMPLEMENTED) return "UNSUPPORTED";
  if (grpcCode === GrpcStatus.INVALID_ARGUMENT) return "INVALID_ARGUMENT";
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
