import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { TokenManager } from "../../src/auth.js";
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  ServerError,
  TimeoutError,
  UnknownOutcomeError,
  VerificationError,
} from "../../src/errors.js";
import { DocumentService } from "../../src/gen/documents_pb.js";
import { ImmuService } from "../../src/gen/schema_pb.js";
import { parseConnectionUrl, resolveOptions } from "../../src/options.js";
import {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryable,
  RPC_KINDS,
  rpcKind,
  sleep,
  writeFailure,
} from "../../src/retry.js";
import { mapGrpcError } from "../../src/transport/errors.js";

const serverError = (grpcCode: number, message: string, retryDelayMs?: number) =>
  new ServerError("SERVER", {
    rpc: "immudb.schema.ImmuService/Get",
    grpcCode,
    message,
    ...(retryDelayMs === undefined ? {} : { retryDelayMs }),
  });

describe("the idempotency table", () => {
  it("classifies every RPC of every service", () => {
    for (const [service, table] of [
      [ImmuService, RPC_KINDS.immu],
      [DocumentService, RPC_KINDS.documents],
    ] as const) {
      expect(Object.keys(table).sort()).toEqual(Object.keys(service.method).sort());
    }
  });

  it("reads are reads, writes are writes, unknown RPCs count as writes", () => {
    for (const m of [
      "get",
      "verifiableGet",
      "scan",
      "history",
      "txById",
      "currentState",
      "health",
      "sQLQuery",
    ]) {
      expect(rpcKind(ImmuService.method[m as keyof typeof ImmuService.method]), m).toBe("read");
    }
    for (const m of [
      "set",
      "verifiableSet",
      "execAll",
      "sQLExec",
      "commit",
      "streamSet",
      "createDatabaseV2",
    ]) {
      expect(rpcKind(ImmuService.method[m as keyof typeof ImmuService.method]), m).toBe("write");
    }
    expect(rpcKind(ImmuService.method.openSession)).toBe("other");
    expect(rpcKind({ name: "Frobnicate", parent: { typeName: "immudb.schema.ImmuService" } } as never)).toBe(
      "write",
    );
  });
});

describe("isRetryable", () => {
  it("retries broken or refused connections and RESOURCE_EXHAUSTED/RetryInfo only", () => {
    expect(isRetryable(new ConnectionError("down"))).toBe(true);
    expect(isRetryable(new ConnectionError("closed", { code: "CLOSED" }))).toBe(false);
    expect(isRetryable(serverError(GrpcStatus.RESOURCE_EXHAUSTED, "too many requests"))).toBe(true);
    expect(
      isRetryable(serverError(GrpcStatus.RESOURCE_EXHAUSTED, "Received message larger than max (5 vs. 4)")),
    ).toBe(false);
    expect(isRetryable(serverError(GrpcStatus.UNKNOWN, "busy", 100))).toBe(true);
    expect(isRetryable(serverError(GrpcStatus.UNKNOWN, "tbtree: key not found", 0))).toBe(false);
    expect(isRetryable(new VerificationError("dual-proof", "bad"))).toBe(false);
    expect(isRetryable(new TimeoutError("slow"))).toBe(false);
    expect(isRetryable(new AbortError("stop"))).toBe(false);
    expect(isRetryable(new Error("plain"))).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("is full jitter under an exponential cap, bounded by maxDelayMs", () => {
    const p = DEFAULT_RETRY;
    expect(backoffDelay(1, p, undefined, () => 0)).toBe(0);
    expect(backoffDelay(1, p, undefined, () => 0.999)).toBe(49);
    expect(backoffDelay(2, p, undefined, () => 0.999)).toBe(99);
    expect(backoffDelay(3, p, undefined, () => 0.5)).toBe(100);
    expect(backoffDelay(30, p, undefined, () => 0.999)).toBe(1998);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(5, p, undefined);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(800);
    }
  });

  it("waits at least the server's RetryInfo delay", () => {
    expect(backoffDelay(1, DEFAULT_RETRY, serverError(8, "busy", 700), () => 0.5)).toBe(700);
  });
});

describe("writeFailure", () => {
  const rpc = "immudb.schema.ImmuService/Set";
  it("turns connection, deadline, cancellation and stream-reset failures into UnknownOutcomeError", () => {
    for (const cause of [
      new ConnectionError("Connection dropped"),
      new TimeoutError("deadline"),
      new AbortError("cancelled"),
      serverError(GrpcStatus.INTERNAL, "Received RST_STREAM with code 2"),
    ]) {
      const e = writeFailure(rpc, cause);
      expect(e).toBeInstanceOf(UnknownOutcomeError);
      expect((e as UnknownOutcomeError).cause).toBe(cause);
      expect((e as UnknownOutcomeError).code).toBe("UNKNOWN_OUTCOME");
    }
  });

  it("keeps the server's answers and a closed client as they are", () => {
    const answers = [
      serverError(GrpcStatus.FAILED_PRECONDITION, "precondition failed"),
      serverError(GrpcStatus.INTERNAL, "permission denied"),
      new ConnectionError("the client is closed", { code: "CLOSED" }),
    ];
    for (const e of answers) expect(writeFailure(rpc, e)).toBe(e);
  });
});

describe("sleep", () => {
  it("rejects with AbortError as soon as the signal aborts", async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 20);
    await expect(sleep(5000, ac.signal, "x")).rejects.toBeInstanceOf(AbortError);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(sleep(1, AbortSignal.abort(), "x")).rejects.toBeInstanceOf(AbortError);
  });
});

describe("token expiry detection", () => {
  it("treats 'not logged in' and 'token has expired' as lost credentials, nothing else", () => {
    const tokens = new TokenManager({} as never, resolveOptions({}));
    const lost = (grpcCode: number, message: string) =>
      tokens.isLost(
        mapGrpcError({ code: grpcCode, details: message }, "immudb.schema.ImmuService/Get", false),
      );
    expect(lost(GrpcStatus.UNKNOWN, "not logged in")).toBe(true);
    expect(lost(GrpcStatus.PERMISSION_DENIED, "token has expired")).toBe(true);
    expect(lost(GrpcStatus.UNKNOWN, "invalid user name or password")).toBe(false);
    expect(lost(GrpcStatus.PERMISSION_DENIED, "session not found")).toBe(false);
    expect(tokens.isLost(new AuthenticationError("not logged in: logout() was called"))).toBe(false);
  });
});

describe("connection options", () => {
  it("defaults: session auth, 3 attempts, 50 ms base, 2 s cap", () => {
    const o = resolveOptions({});
    expect(o.auth).toBe("session");
    expect(o.retry).toEqual({ maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 2000 });
  });

  it("retry: false is one attempt; partial settings keep the other defaults; bad values are refused", () => {
    expect(resolveOptions({ retry: false }).retry.maxAttempts).toBe(1);
    expect(resolveOptions({ retry: { maxAttempts: 7 } }).retry).toEqual({
      maxAttempts: 7,
      baseDelayMs: 50,
      maxDelayMs: 2000,
    });
    expect(() => resolveOptions({ retry: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
    expect(() => resolveOptions({ retry: { baseDelayMs: -1 } })).toThrow(/baseDelayMs/);
    expect(() => resolveOptions({ auth: "basic" as never })).toThrow(/auth/);
  });

  it("reads auth and TLS parameters from the URL", () => {
    expect(parseConnectionUrl("immudb://h:1/db?auth=token").auth).toBe("token");
    expect(parseConnectionUrl("immudb://h:1/db?tls=true").tls).toBe(true);
    expect(parseConnectionUrl("immudb://h:1/db?tls=false").tls).toBe(false);
    expect(parseConnectionUrl("immudb://h:1/db?tlsServername=db.example").tls).toEqual({
      servername: "db.example",
    });
    expect(() => parseConnectionUrl("immudb://h:1/db?auth=none")).toThrow(/auth/);
    expect(() => parseConnectionUrl("immudb://h:1/db?tls=false&tlsServername=x")).toThrow(/tls=false/);
    expect(() => parseConnectionUrl("immudb://h:1/db?tlsCaFile=/no/such/file.pem")).toThrow(/tlsCaFile/);
  });

  it("checks TLS settings", () => {
    expect(() => resolveOptions({ tls: { cert: "x" } })).toThrow(/together/);
    expect(() => resolveOptions({ tls: { servername: "" } })).toThrow(/servername/);
    expect(() => resolveOptions({ tls: { ca: 42 as never } })).toThrow(/tls\.ca/);
  });
});
