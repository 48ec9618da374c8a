/**
 * immudb's "busy" refusals (src/retry.ts `busyRetryable`): retried for reads, for the plain writes immudb
 * refuses before writing anything, never for SQL scripts; `max concurrency limit exceeded` from a verified write
 * is an unknown outcome (its proof is built after the commit). Against a real server:
 * test/integration/reliability/load.test.ts.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { ServerError, UnknownOutcomeError } from "../../src/errors.js";
import { ImmuService } from "../../src/gen/schema_pb.js";
import { busyRetryable, rpcPath, writeFailure } from "../../src/retry.js";

const busy = (rpc: string, message: string) =>
  new ServerError("SERVER", { rpc, grpcCode: GrpcStatus.UNKNOWN, message });
const path = (m: keyof typeof ImmuService.method) => rpcPath(ImmuService.method[m]);

const MAX_CONCURRENCY = "max concurrency limit exceeded";
const READ_POOL = "read tx pool exhausted";
const SNAPSHOTS = "tbtree: max active snapshots limit reached";
const ACTIVE_TXS = "max active transactions limit exceeded";

describe("busyRetryable", () => {
  it("retries every busy refusal of a read", () => {
    for (const m of [MAX_CONCURRENCY, READ_POOL, SNAPSHOTS, ACTIVE_TXS]) {
      for (const rpc of ["get", "verifiableGet", "txById", "verifiableTxById", "sQLQuery"] as const) {
        expect(busyRetryable("read", path(rpc), busy(path(rpc), m)), `${rpc}: ${m}`).toBe(true);
      }
    }
  });

  it("retries 'max concurrency limit exceeded' of the plain one-transaction writes only", () => {
    for (const rpc of ["set", "delete", "execAll", "setReference", "zAdd"] as const) {
      expect(busyRetryable("write", path(rpc), busy(path(rpc), MAX_CONCURRENCY)), rpc).toBe(true);
    }
    for (const rpc of [
      "verifiableSet",
      "verifiableSetReference",
      "verifiableZAdd",
      "sQLExec",
      "commit",
    ] as const) {
      expect(busyRetryable("write", path(rpc), busy(path(rpc), MAX_CONCURRENCY)), rpc).toBe(false);
    }
  });

  it("retries 'read tx pool exhausted' of a verified write (taken before the write), nothing else of it", () => {
    expect(busyRetryable("write", path("verifiableSet"), busy(path("verifiableSet"), READ_POOL))).toBe(true);
    expect(busyRetryable("write", path("verifiableSet"), busy(path("verifiableSet"), SNAPSHOTS))).toBe(false);
    expect(busyRetryable("write", path("set"), busy(path("set"), READ_POOL))).toBe(false);
    expect(busyRetryable("write", path("sQLExec"), busy(path("sQLExec"), SNAPSHOTS))).toBe(false);
  });

  it("ignores other errors and other kinds", () => {
    expect(busyRetryable("read", path("get"), busy(path("get"), "tbtree: key not found"))).toBe(false);
    expect(busyRetryable("read", path("get"), new Error(MAX_CONCURRENCY))).toBe(false);
    expect(busyRetryable("other", path("newTx"), busy(path("newTx"), ACTIVE_TXS))).toBe(false);
  });
});

describe("writeFailure of busy refusals", () => {
  it("a verified write refused with 'max concurrency limit exceeded' has an unknown outcome", () => {
    for (const rpc of [
      "verifiableSet",
      "verifiableSetReference",
      "verifiableZAdd",
      "streamVerifiableSet",
    ] as const) {
      const cause = busy(path(rpc), MAX_CONCURRENCY);
      const e = writeFailure(path(rpc), cause);
      expect(e, rpc).toBeInstanceOf(UnknownOutcomeError);
      expect((e as UnknownOutcomeError).cause).toBe(cause);
    }
  });

  it("a plain write refused as busy is the server's answer: nothing was written", () => {
    const cause = busy(path("set"), MAX_CONCURRENCY);
    expect(writeFailure(path("set"), cause)).toBe(cause);
    const pool = busy(path("verifiableSet"), READ_POOL);
    expect(writeFailure(path("verifiableSet"), pool)).toBe(pool);
  });
});
