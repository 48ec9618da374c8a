/**
 * Connection behaviour: retries of reads, unknown outcome of writes, token auth, session expiry and heartbeat,
 * and a server killed and restarted under load. Real immudb servers, plus a scripted gRPC server for failures a
 * real one cannot be made to produce on demand (UNAVAILABLE or RESOURCE_EXHAUSTED answers).
 */
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ImmuService, RetryInfoSchema } from "../../src/gen/schema_pb.js";
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  ImmudbClient,
  ImmudbError,
  InvalidArgumentError,
  TimeoutError,
  UnknownOutcomeError,
} from "../../src/index.js";
import { GrpcTransport } from "../../src/transport/grpc.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";
import { startTcpProxy } from "../harness/tcp-proxy.js";

const text = new TextDecoder();
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- a scripted gRPC server ----

type ImmuMethods = typeof ImmuService.method;
type Handler = (req: unknown, md: grpc.Metadata) => Promise<unknown> | unknown;

/** A gRPC error as a handler throws it; `retryDelayMs` adds immudb's RetryInfo to the status details. */
function grpcError(code: grpc.status, details: string, retryDelayMs?: number): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  if (retryDelayMs !== undefined) {
    const retryInfo = toBinary(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: retryDelayMs }));
    const any = new BinaryWriter().uint32(10).string("type.googleapis.com/immudb.schema.RetryInfo");
    any.uint32(18).bytes(retryInfo);
    const status = new BinaryWriter().uint32(8).int32(code).uint32(18).string(details);
    status.uint32(26).bytes(any.finish());
    metadata.set("grpc-status-details-bin", Buffer.from(status.finish()));
  }
  return Object.assign(new Error(details), { code, details, metadata });
}

interface FakeServer {
  readonly port: number;
  /** Calls received, by method name (`get`, `set`, …). */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

/** Starts a gRPC server answering the given ImmuService methods (plus session RPCs) on 127.0.0.1. */
async function startFake(handlers: Partial<Record<keyof ImmuMethods, Handler>>): Promise<FakeServer> {
  const all: Partial<Record<keyof ImmuMethods, Handler>> = {
    openSession: () => ({ sessionID: "fake-session", serverUUID: "fakeserveruuid000000" }),
    keepAlive: () => ({}),
    closeSession: () => ({}),
    ...handlers,
  };
  const calls = new Map<string, number>();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(all) as [keyof ImmuMethods, Handler][]) {
    const m = ImmuService.method[name] as { name: string; input: DescMessage; output: DescMessage };
    definition[name] = {
      path: `/immudb.schema.ImmuService/${m.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: unknown) => Buffer.from(toBinary(m.input, v as MessageShape<DescMessage>)),
      requestDeserialize: (b: Buffer) => fromBinary(m.input, b),
      responseSerialize: (v: unknown) =>
        Buffer.from(toBinary(m.output, create(m.output, v as MessageInitShape<DescMessage>))),
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
    };
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      Promise.resolve()
        .then(() => handler(call.request, call.metadata))
        .then(
          (v) => callback(null, v),
          (e: grpc.ServiceError) => callback(e),
        );
    };
  }
  const server = new grpc.Server();
  server.addService(definition, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    calls,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

const entry = {
  tx: 1n,
  key: new TextEncoder().encode("k"),
  value: new TextEncoder().encode("v"),
  revision: 1n,
};

describe("retries (scripted server)", () => {
  it("retries a read answered UNAVAILABLE, up to maxAttempts", async () => {
    let failures = 2;
    const fake = await startFake({
      get: () => {
        if (failures-- > 0) throw grpcError(grpc.status.UNAVAILABLE, "try again");
        return entry;
      },
    });
    const c = await ImmudbClient.connect({ port: fake.port, retry: { baseDelayMs: 1 } });
    try {
      expect(text.decode((await c.get("k"))?.value)).toBe("v");
      expect(fake.calls.get("get")).toBe(3);
      failures = 5;
      const err = await c.get("k").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(fake.calls.get("get")).toBe(6); // 3 attempts (the default), then the error
    } finally {
      await c.close();
      await fake.close();
    }
  });

  it("does not retry with retry: false", async () => {
    const fake = await startFake({
      get: () => {
        throw grpcError(grpc.status.UNAVAILABLE, "down");
      },
    });
    const c = await ImmudbClient.connect({ port: fake.port, retry: false });
    try {
      await expect(c.get("k")).rejects.toBeInstanceOf(ConnectionError);
      expect(fake.calls.get("get")).toBe(1);
    } finally {
      await c.close();
      await fake.close();
    }
  });

  it("retries RESOURCE_EXHAUSTED, waiting at least the RetryInfo delay", async () => {
    const times: number[] = [];
    const fake = await startFake({
      currentState: () => {
        times.push(Date.now());
        if (times.length === 1) throw grpcError(grpc.status.RESOURCE_EXHAUSTED, "busy", 300);
        return { db: "defaultdb", txId: 0n, txHash: new Uint8Array(32) };
      },
    });
    const c = await ImmudbClient.connect({ port: fake.port, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    try {
      await c.currentState();
      expect(times).toHaveLength(2);
      expect((times[1] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(290);
    } finally {
      await c.close();
      await fake.close();
    }
  });

  it("does not retry other server errors, nor past the call's deadline", async () => {
    const fake = await startFake({
      get: () => {
        throw grpcError(grpc.status.INTERNAL, "boom");
      },
      health: () => {
        throw grpcError(grpc.status.UNAVAILABLE, "down");
      },
    });
    const c = await ImmudbClient.connect({
      port: fake.port,
      retry: { maxAttempts: 1000, baseDelayMs: 100, maxDelayMs: 100 },
    });
    try {
      await expect(c.get("k")).rejects.toMatchObject({ name: "ServerError" });
      expect(fake.calls.get("get")).toBe(1);
      const started = Date.now();
      // Whichever comes last: the final attempt's refusal, or the deadline while an attempt is in flight.
      const err = await c.health({ timeoutMs: 500 }).catch((e: unknown) => e);
      expect(err instanceof ConnectionError || err instanceof TimeoutError).toBe(true);
      expect(Date.now() - started).toBeLessThan(1500);
      const n = fake.calls.get("health") ?? 0;
      expect(n).toBeGreaterThan(1);
      expect(n).toBeLessThan(20);
      // An aborted signal stops the backoff.
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 150);
      await expect(c.health({ signal: ac.signal, timeoutMs: 0 })).rejects.toBeInstanceOf(AbortError);
    } finally {
      await c.close();
      await fake.close();
    }
  });

  it("never retries a write: UNAVAILABLE after the request reached the server is an unknown outcome", async () => {
    const fake = await startFake({
      set: () => {
        throw grpcError(grpc.status.UNAVAILABLE, "the server went away");
      },
    });
    const c = await ImmudbClient.connect({ port: fake.port, retry: { maxAttempts: 10, baseDelayMs: 1 } });
    try {
      const err = await c.set("k", "v").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnknownOutcomeError);
      expect((err as UnknownOutcomeError).code).toBe("UNKNOWN_OUTCOME");
      expect((err as UnknownOutcomeError).cause).toBeInstanceOf(ConnectionError);
      expect((err as UnknownOutcomeError).rpc).toBe("immudb.schema.ImmuService/Set");
      expect(fake.calls.get("set")).toBe(1);
    } finally {
      await c.close();
      await fake.close();
    }
  });
});

// ---- real servers ----

let server: ImmudbServer;

beforeAll(async () => {
  server = await startImmudb();
});

afterAll(async () => {
  await server?.dispose();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("writes whose outcome is unknown", () => {
  it("a write that times out, is aborted or loses its connection in flight is an UnknownOutcomeError", async () => {
    const proxy = await startTcpProxy(server.port);
    const c = await ImmudbClient.connect({ port: proxy.port });
    try {
      await c.set("uo", "0");
      proxy.freeze();
      const t = await c.set("uo", "1", { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(t).toBeInstanceOf(UnknownOutcomeError);
      expect((t as UnknownOutcomeError).cause).toBeInstanceOf(TimeoutError);

      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const a = await c.set("uo", "2", { signal: ac.signal, timeoutMs: 0 }).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(UnknownOutcomeError);
      expect((a as UnknownOutcomeError).cause).toBeInstanceOf(AbortError);

      const pending = c.set("uo", "3").catch((e: unknown) => e);
      await delay(100);
      await proxy.close(); // drops the connection with the request in it
      const d = await pending;
      expect(d).toBeInstanceOf(UnknownOutcomeError);
      expect((d as UnknownOutcomeError).cause).toBeInstanceOf(ConnectionError);
      // Reads are not affected by the outcome rules.
      const r = await c.get("uo", { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(r).toBeInstanceOf(ImmudbError);
      expect(r).not.toBeInstanceOf(UnknownOutcomeError);
    } finally {
      proxy.thaw();
      await c.close();
      await proxy.close();
    }
    // None of the frozen writes reached the server.
    const check = await ImmudbClient.connect(server.url);
    try {
      expect(text.decode((await check.get("uo"))?.value)).toBe("0");
    } finally {
      await check.close();
    }
  });

  it("a write that provably never left (server down, nothing to connect to) is a plain ConnectionError", async () => {
    const s = await startImmudb();
    const c = await ImmudbClient.connect({ port: s.port, retry: false });
    try {
      await c.set("k", "v");
      await s.kill();
      await delay(200);
      const err = await c.set("k", "w").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(err).not.toBeInstanceOf(UnknownOutcomeError);
      // An aborted signal before the call: nothing sent, a plain AbortError.
      const a = await c.set("k", "x", { signal: AbortSignal.abort() }).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(AbortError);
    } finally {
      await c.close();
      await s.dispose();
    }
  });
});

describe('token auth (auth: "token")', () => {
  it("logs in, sends authorization instead of sessionid, and never opens a session", async () => {
    const spy = vi.spyOn(GrpcTransport.prototype, "unary");
    const c = await ImmudbClient.connect({ port: server.port, auth: "token", heartbeatIntervalMs: 100 });
    try {
      expect(c.authMode).toBe("token");
      const h = await c.set("tok", "1");
      expect(text.decode((await c.get("tok"))?.value)).toBe("1");
      await c.verifiedSet("tok-v", "2");
      expect(text.decode((await c.verifiedGet("tok-v")).value)).toBe("2");
      expect((await c.currentState()).txId).toBeGreaterThanOrEqual(h.id);
      await delay(350); // a session-mode heartbeat would have run 3 times
      const rpcs = spy.mock.calls.map(([m]) => m.name);
      expect(rpcs.slice(0, 2)).toEqual(["Login", "UseDatabase"]);
      expect(rpcs).not.toContain("OpenSession");
      expect(rpcs).not.toContain("KeepAlive");
      for (const [m, , opts] of spy.mock.calls) {
        if (m.name === "Login") continue;
        expect(opts?.metadata?.authorization).toMatch(/^Bearer v2\.public\./);
        expect(opts?.metadata?.sessionid).toBeUndefined();
      }
      await expect(c.session()).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await c.close();
    }
    expect(spy.mock.calls.at(-1)?.[0].name).toBe("Logout");
  });

  it("logout() ends the login until login() (URL auth=token)", async () => {
    const c = await ImmudbClient.connect(`${server.url}?auth=token`);
    try {
      await c.set("lo", "1");
      await c.logout();
      const err = await c.get("lo").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthenticationError);
      expect((err as Error).message).toMatch(/login\(\)/);
      await c.login();
      expect(text.decode((await c.get("lo"))?.value)).toBe("1");
    } finally {
      await c.close();
    }
  });

  it("logs in again by itself when the server forgot the token (restart)", async () => {
    const s = await startImmudb();
    const c = await ImmudbClient.connect({ port: s.port, auth: "token" });
    let again: ImmudbServer | undefined;
    try {
      await c.set("k", "before");
      await s.stop();
      again = await startImmudb({ dataDir: s.dataDir, port: s.port });
      const spy = vi.spyOn(GrpcTransport.prototype, "unary");
      await c.set("k", "after"); // a write: resent only because the server refused the token before running it
      expect(spy.mock.calls.map(([m]) => m.name)).toEqual(["Set", "Login", "UseDatabase", "Set"]);
      expect(text.decode((await c.get("k"))?.value)).toBe("after");
      expect((await c.get("k"))?.revision).toBe(2n);
    } finally {
      await c.close();
      await again?.stop();
      await s.dispose();
    }
  });

  it("useDatabase switches the token to another database", async () => {
    const admin = await ImmudbClient.connect(server.url);
    const c = await ImmudbClient.connect({ port: server.port, auth: "token" });
    try {
      await admin.createDatabase("tokendb", { ifNotExists: true });
      await c.set("where", "default");
      await c.useDatabase("tokendb");
      expect(c.database).toBe("tokendb");
      await c.verifiedSet("where", "tokendb");
      expect(text.decode((await c.verifiedGet("where")).value)).toBe("tokendb");
      expect(text.decode((await admin.get("where"))?.value)).toBe("default");
      await expect(c.useDatabase("nosuchdb")).rejects.toMatchObject({ code: "DATABASE_NOT_FOUND" });
      expect(c.database).toBe("tokendb");
      expect(text.decode((await c.get("where"))?.value)).toBe("tokendb");
    } finally {
      await c.close();
      await admin.close();
    }
  });

  it("fails at connect with bad credentials or an unknown database; session-mode clients refuse login()", async () => {
    await expect(
      ImmudbClient.connect({ port: server.port, auth: "token", password: "wrong" }),
    ).rejects.toBeInstanceOf(AuthenticationError);
    await expect(
      ImmudbClient.connect({ port: server.port, auth: "token", database: "nosuchdb" }),
    ).rejects.toMatchObject({ code: "DATABASE_NOT_FOUND" });
    await expect(
      ImmudbClient.connect({ port: server.port, auth: "bogus" as "token" }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    const c = await ImmudbClient.connect(server.url);
    try {
      expect(c.authMode).toBe("session");
      await expect(c.login()).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(c.logout()).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await c.close();
    }
  });
});

describe("session expiry (--session-timeout 3s --sessions-guard-check-interval 1s)", () => {
  let short: ImmudbServer;
  beforeAll(async () => {
    short = await startImmudb({ args: ["--session-timeout", "3s", "--sessions-guard-check-interval", "1s"] });
  });
  afterAll(async () => {
    await short?.dispose();
  });

  it("without a heartbeat the session expires, and the next call reopens it transparently", async () => {
    const c = await ImmudbClient.connect({ port: short.port, heartbeatIntervalMs: 0 });
    try {
      await c.set("exp", "1");
      const first = (await c.session()).id;
      await delay(5500);
      await c.set("exp", "2"); // a write: safe to resend, the server refused the session before running it
      expect(text.decode((await c.get("exp"))?.value)).toBe("2");
      expect((await c.get("exp"))?.revision).toBe(2n);
      expect((await c.session()).id).not.toBe(first);
    } finally {
      await c.close();
    }
  });

  it("with a 1 s heartbeat the idle session is kept alive", async () => {
    const c = await ImmudbClient.connect({ port: short.port, heartbeatIntervalMs: 1000 });
    try {
      const first = (await c.session()).id;
      const spy = vi.spyOn(GrpcTransport.prototype, "unary");
      await delay(6000);
      expect(spy.mock.calls.filter(([m]) => m.name === "KeepAlive").length).toBeGreaterThanOrEqual(4);
      await c.get("exp");
      expect(spy.mock.calls.some(([m]) => m.name === "OpenSession")).toBe(false);
      expect((await c.session()).id).toBe(first);
    } finally {
      await c.close();
    }
  });
});

describe("server killed and restarted under load", () => {
  it("reads retry and succeed after the restart; writes in flight end in UnknownOutcomeError or ConnectionError, never resent", async () => {
    const s = await startImmudb();
    let again: ImmudbServer | undefined;
    const retry = { maxAttempts: 100, baseDelayMs: 50, maxDelayMs: 400 };
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => ImmudbClient.connect({ port: s.port, retry, timeoutMs: 20_000 })),
    );
    const readers = clients.slice(0, 3);
    const writers = clients.slice(3);
    try {
      await clients[0]?.set("stable", "v");

      // Record every Set and Get attempt as it reaches the transport, and how it ended.
      type Attempt = { rpc: string; key: string; outcome: string };
      const attempts: Attempt[] = [];
      const original = GrpcTransport.prototype.unary;
      vi.spyOn(GrpcTransport.prototype, "unary").mockImplementation(function (
        this: GrpcTransport,
        ...args: Parameters<GrpcTransport["unary"]>
      ) {
        const [method, input] = args;
        const p = original.apply(this, args);
        if (method.name === "Set" || method.name === "Get") {
          const i = input as { key?: Uint8Array; KVs?: { key?: Uint8Array }[] };
          const a: Attempt = {
            rpc: method.name,
            key: text.decode(i.key ?? i.KVs?.[0]?.key),
            outcome: "pending",
          };
          attempts.push(a);
          p.then(
            () => {
              a.outcome = "ok";
            },
            (e: ImmudbError) => {
              a.outcome = e.code;
            },
          );
        }
        return p as never;
      });

      let stop = false;
      let restarted = false;
      const reads = { ok: 0, okAfterRestart: 0, failures: [] as unknown[] };
      const readLoops = readers.map(async (c) => {
        while (!stop) {
          try {
            const e = await c.get("stable");
            expect(text.decode(e?.value)).toBe("v");
            reads.ok++;
            if (restarted) reads.okAfterRestart++;
          } catch (err) {
            reads.failures.push(err);
            await delay(50);
          }
        }
      });
      const writes = new Map<string, unknown>(); // key → "ok" or the error
      const writeLoops = writers.map(async (c, w) => {
        for (let n = 0; !stop; n++) {
          const key = `w${w}-${n}`;
          try {
            await c.set(key, `value ${n}`);
            writes.set(key, "ok");
          } catch (err) {
            writes.set(key, err);
            await delay(50);
          }
        }
      });

      await delay(500);
      await s.kill();
      await delay(700);
      again = await startImmudb({ dataDir: s.dataDir, port: s.port });
      restarted = true;
      const deadline = Date.now() + 20_000;
      while (reads.okAfterRestart < 30 && Date.now() < deadline) await delay(100);
      await delay(300);
      stop = true;
      await Promise.all([...readLoops, ...writeLoops]);
      vi.restoreAllMocks();

      // Reads: none failed; some were retried across the outage and succeeded after the restart.
      expect(reads.failures).toEqual([]);
      expect(reads.okAfterRestart).toBeGreaterThanOrEqual(30);
      expect(attempts.some((a) => a.rpc === "Get" && a.outcome === "CONNECTION")).toBe(true);

      // Writes: each failed one is UnknownOutcomeError (it may have been sent) or ConnectionError (it was not).
      const failed = [...writes].filter(([, r]) => r !== "ok");
      expect(failed.length).toBeGreaterThan(0);
      for (const [, err] of failed) {
        expect(err instanceof UnknownOutcomeError || err instanceof ConnectionError).toBe(true);
        if (err instanceof UnknownOutcomeError) expect(err.cause).toBeInstanceOf(ConnectionError);
      }
      expect([...writes.values()].filter((r) => r === "ok").length).toBeGreaterThan(0);
      // Never resent: per key, at most one Set attempt the server did not refuse up front (lost session).
      for (const key of writes.keys()) {
        const sent = attempts.filter(
          (a) => a.rpc === "Set" && a.key === key && a.outcome !== "SESSION_NOT_FOUND",
        );
        expect(sent.length, key).toBeLessThanOrEqual(1);
      }

      // Every acknowledged write is there exactly once (revision 1); an unknown one is there at most once.
      const check = await ImmudbClient.connect({ port: s.port });
      try {
        for (const [key, r] of writes) {
          const e = await check.get(key);
          if (r === "ok") expect(e?.revision, key).toBe(1n);
          else if (r instanceof UnknownOutcomeError)
            expect(e === undefined || e.revision === 1n, key).toBe(true);
          else expect(e, key).toBeUndefined();
        }
      } finally {
        await check.close();
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await again?.stop();
      await s.dispose();
    }
  });
});
