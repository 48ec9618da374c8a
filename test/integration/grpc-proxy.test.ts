/**
 * The gRPC proxy of test/harness/grpc-proxy.ts against real immudb servers: exact pass-through (messages,
 * headers, errors with their details, streams), response hooks, and routing one session over two servers.
 * Uses the transport directly, not the client facade.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImmudbError, ServerError } from "../../src/errors.js";
import {
  type Chunk,
  ChunkSchema,
  ExportTxRequestSchema,
  HealthResponseSchema,
  ImmuService,
} from "../../src/gen/schema_pb.js";
import { GrpcTransport } from "../../src/transport/grpc.js";
import { type GrpcProxy, startGrpcProxy } from "../harness/grpc-proxy.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";
import { startTcpProxy, type TcpProxy } from "../harness/tcp-proxy.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const GrpcStatus = grpc.status;

function transport(address: string): GrpcTransport {
  return new GrpcTransport({ address, maxReceiveMessageBytes: 32 << 20, maxSendMessageBytes: 32 << 20 });
}

async function openSession(t: GrpcTransport): Promise<Record<string, string>> {
  const res = await t.unary(ImmuService.method.openSession, {
    username: utf8.encode("immudb"),
    password: utf8.encode("immudb"),
    databaseName: "defaultdb",
  });
  return { sessionid: res.sessionID };
}

async function failure(p: Promise<unknown>): Promise<ServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServerError);
  return err as ServerError;
}

/** Any transport error (e.g. AuthenticationError for a missing session). */
async function anyFailure(p: Promise<unknown>): Promise<ImmudbError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImmudbError);
  return err as ImmudbError;
}

/** The raw gRPC error under a transport error. */
function grpcCause(err: Error): grpc.ServiceError {
  return err.cause as grpc.ServiceError;
}

/** One immudb stream message ("delimited" chunks: 8-byte big-endian length, then the bytes) as one chunk. */
function streamMessage(bytes: Uint8Array): { content: Uint8Array } {
  const content = new Uint8Array(8 + bytes.length);
  new DataView(content.buffer).setBigUint64(0, BigInt(bytes.length));
  content.set(bytes, 8);
  return { content };
}

/** Runs streamExportTx (bidi) with raw grpc-js: sends the requests, half-closes, collects chunks and status. */
function exportTxs(
  address: string,
  sessionId: string,
  txs: readonly bigint[],
): Promise<{ chunks: Chunk[]; status: grpc.StatusObject }> {
  const c = new grpc.Client(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set("sessionid", sessionId);
  const call = c.makeBidiStreamRequest(
    "/immudb.schema.ImmuService/streamExportTx",
    (tx: bigint) => Buffer.from(toBinary(ExportTxRequestSchema, create(ExportTxRequestSchema, { tx }))),
    (b: Buffer) => fromBinary(ChunkSchema, new Uint8Array(b)),
    md,
  );
  const chunks: Chunk[] = [];
  call.on("data", (chunk: Chunk) => chunks.push(chunk));
  call.on("error", () => undefined);
  for (const tx of txs) call.write(tx);
  call.end();
  return new Promise((resolve) =>
    call.on("status", (status: grpc.StatusObject) => {
      c.close();
      resolve({ chunks, status });
    }),
  );
}

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

let a: ImmudbServer;
let b: ImmudbServer;
const disposers: Array<() => unknown> = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startImmudb(), startImmudb()]);
});

afterAll(async () => {
  for (const d of disposers.reverse()) await d();
  await Promise.all([a?.dispose(), b?.dispose()]);
});

describe("grpc proxy, one backend", () => {
  let proxy: GrpcProxy;
  let direct: GrpcTransport;
  let viaProxy: GrpcTransport;
  let md: Record<string, string>;

  beforeAll(async () => {
    proxy = await startGrpcProxy([a]);
    disposers.push(() => proxy.close());
    direct = transport(`127.0.0.1:${a.port}`);
    viaProxy = transport(`127.0.0.1:${proxy.port}`);
    disposers.push(
      () => direct.close(),
      () => viaProxy.close(),
    );
    md = await openSession(viaProxy);
  });

  it("has the documented url", () => {
    expect(proxy.url).toBe(`immudb://immudb:immudb@127.0.0.1:${proxy.port}/defaultdb`);
  });

  it("forwards OpenSession, Set and Get, answering as the server does", async () => {
    const directMd = await openSession(direct);
    const set = await viaProxy.unary(
      ImmuService.method.set,
      { KVs: [{ key: utf8.encode("proxy-k1"), value: utf8.encode("v1") }] },
      { metadata: md },
    );
    expect(set.id).toBeGreaterThan(0n);
    const got = await viaProxy.unary(
      ImmuService.method.get,
      { key: utf8.encode("proxy-k1") },
      { metadata: md },
    );
    const gotDirect = await direct.unary(
      ImmuService.method.get,
      { key: utf8.encode("proxy-k1") },
      { metadata: directMd },
    );
    expect(text.decode(got.value)).toBe("v1");
    expect(got.tx).toBe(set.id);
    expect(got).toEqual(gotDirect);
    expect(got.value).not.toBeInstanceOf(Buffer);
    expect(proxy.calls.get("openSession")).toBe(1);
    expect(proxy.calls.get("set")).toBe(1);
    expect(proxy.calls.get("get")).toBe(1);
    expect(proxy.callsByBackend[0]?.get("get")).toBe(1);
  });

  it("passes the immudb-uuid response header through", async () => {
    let directHeaders: ReadonlyMap<string, string> | undefined;
    let proxyHeaders: ReadonlyMap<string, string> | undefined;
    await direct.unary(ImmuService.method.health, {}, { onHeader: (h) => (directHeaders = h) });
    await viaProxy.unary(ImmuService.method.health, {}, { onHeader: (h) => (proxyHeaders = h) });
    const uuid = directHeaders?.get("immudb-uuid");
    expect(uuid).toMatch(/^[0-9a-v]{20}$/);
    expect(proxyHeaders?.get("immudb-uuid")).toBe(uuid);
  });

  it("passes errors through with their code and message (Get of a missing key)", async () => {
    const directMd = await openSession(direct);
    const key = { key: utf8.encode("proxy-no-such-key") };
    const viaErr = await failure(viaProxy.unary(ImmuService.method.get, key, { metadata: md }));
    const directErr = await failure(direct.unary(ImmuService.method.get, key, { metadata: directMd }));
    expect(viaErr.code).toBe("KEY_NOT_FOUND");
    expect(viaErr.details.message).toContain("key not found");
    expect(viaErr.details).toEqual(directErr.details);
    const viaCause = grpcCause(viaErr);
    const directCause = grpcCause(directErr);
    expect(viaCause.code).toBe(directCause.code);
    expect(viaCause.details).toBe(directCause.details);
    // immudb attaches no status details to this one; the next tests cover errors that have them.
    expect(viaCause.metadata.get("grpc-status-details-bin")).toEqual(
      directCause.metadata.get("grpc-status-details-bin"),
    );
  });

  it("passes errors with grpc-status-details-bin through (no session, unknown session, bad password)", async () => {
    const cases: Array<(t: GrpcTransport) => Promise<unknown>> = [
      (t) => t.unary(ImmuService.method.get, { key: utf8.encode("x") }),
      (t) => t.unary(ImmuService.method.get, { key: utf8.encode("x") }, { metadata: { sessionid: "nope" } }),
      (t) =>
        t.unary(ImmuService.method.openSession, {
          username: utf8.encode("immudb"),
          password: utf8.encode("wrong"),
          databaseName: "defaultdb",
        }),
    ];
    const serverCodes: Array<string | undefined> = [];
    for (const call of cases) {
      const err = await anyFailure(call(viaProxy));
      const directErr = await anyFailure(call(direct));
      expect(err.name).toBe(directErr.name);
      expect(err.code).toBe(directErr.code);
      expect(err.message).toBe(directErr.message);
      const cause = grpcCause(err);
      const directCause = grpcCause(directErr);
      expect(cause.code).toBe(directCause.code);
      const details = directCause.metadata.get("grpc-status-details-bin");
      expect(details).toHaveLength(1);
      expect(cause.metadata.get("grpc-status-details-bin")).toEqual(details);
      const errDetails = (err as { details?: { serverCode?: string } }).details;
      expect(errDetails).toEqual((directErr as { details?: unknown }).details);
      serverCodes.push(errDetails?.serverCode);
    }
    expect(serverCodes).toEqual(["28000", "08001", "08004"]);
  });

  it("lets a hook change the value the client sees, and only while installed", async () => {
    await viaProxy.unary(
      ImmuService.method.set,
      { KVs: [{ key: utf8.encode("proxy-hooked"), value: utf8.encode("genuine") }] },
      { metadata: md },
    );
    const seen: string[] = [];
    proxy.onResponse("get", (m, ctx) => {
      seen.push(text.decode(ctx.request.key));
      m.value = utf8.encode("tampered");
    });
    try {
      const got = await viaProxy.unary(
        ImmuService.method.get,
        { key: utf8.encode("proxy-hooked") },
        { metadata: md },
      );
      expect(text.decode(got.value)).toBe("tampered");
      expect(seen).toEqual(["proxy-hooked"]);
    } finally {
      proxy.onResponse("get", undefined);
    }
    const got = await viaProxy.unary(
      ImmuService.method.get,
      { key: utf8.encode("proxy-hooked") },
      { metadata: md },
    );
    expect(text.decode(got.value)).toBe("genuine");
  });

  it("lets a hook return a replacement message", async () => {
    proxy.onResponse("health", () => create(HealthResponseSchema, { status: true, version: "forged" }));
    try {
      const h = await viaProxy.unary(ImmuService.method.health, {});
      expect(h.version).toBe("forged");
      // An init object works too.
      proxy.onResponse("health", (m) => ({ status: m.status, version: "forged-too" }));
      expect((await viaProxy.unary(ImmuService.method.health, {})).version).toBe("forged-too");
    } finally {
      proxy.onResponse("health", undefined);
    }
  });

  it("fails the call with INTERNAL when a hook throws", async () => {
    proxy.onResponse("health", () => {
      throw new Error("boom");
    });
    try {
      const err = await failure(viaProxy.unary(ImmuService.method.health, {}));
      expect(grpcCause(err).code).toBe(GrpcStatus.INTERNAL);
      expect(err.details.message).toContain("boom");
    } finally {
      proxy.onResponse("health", undefined);
    }
  });

  it("passes server-streaming calls through (streamGet), and hooks see each message", async () => {
    const directMd = await openSession(direct);
    const value = utf8.encode("streamed-value-".repeat(1000));
    await viaProxy.unary(
      ImmuService.method.set,
      { KVs: [{ key: utf8.encode("proxy-stream"), value }] },
      { metadata: md },
    );
    const req = { key: utf8.encode("proxy-stream") };
    const viaChunks = await collect(
      viaProxy.serverStream(ImmuService.method.streamGet, req, { metadata: md }),
    );
    const directChunks = await collect(
      direct.serverStream(ImmuService.method.streamGet, req, { metadata: directMd }),
    );
    expect(viaChunks.length).toBeGreaterThan(0);
    expect(viaChunks).toEqual(directChunks);

    const indexes: number[] = [];
    proxy.onResponse("streamGet", (chunk, ctx) => {
      indexes.push(ctx.messageIndex);
      chunk.content = new Uint8Array(chunk.content.length);
    });
    try {
      const zeroed = await collect(
        viaProxy.serverStream(ImmuService.method.streamGet, req, { metadata: md }),
      );
      expect(zeroed.length).toBe(directChunks.length);
      expect(indexes).toEqual(directChunks.map((_, i) => i));
      for (const c of zeroed) expect(c.content.every((x) => x === 0)).toBe(true);
    } finally {
      proxy.onResponse("streamGet", undefined);
    }
  });

  it("passes server-streaming errors through (streamGet of a missing key)", async () => {
    const req = { key: utf8.encode("proxy-stream-missing") };
    const err = await failure(
      collect(viaProxy.serverStream(ImmuService.method.streamGet, req, { metadata: md })),
    );
    expect(err.code).toBe("KEY_NOT_FOUND");
  });

  it("passes SQL (server-streaming SQLQuery) through", async () => {
    await viaProxy.unary(
      ImmuService.method.sQLExec,
      { sql: "CREATE TABLE IF NOT EXISTS proxied (id INTEGER, name VARCHAR, PRIMARY KEY id)" },
      { metadata: md },
    );
    await viaProxy.unary(
      ImmuService.method.sQLExec,
      { sql: "UPSERT INTO proxied (id, name) VALUES (1, 'one'), (2, 'two')" },
      { metadata: md },
    );
    const results = await collect(
      viaProxy.serverStream(
        ImmuService.method.sQLQuery,
        { sql: "SELECT id, name FROM proxied ORDER BY id", acceptStream: true },
        { metadata: md },
      ),
    );
    const rows = results.flatMap((r) => r.rows);
    expect(
      rows.map((r) => r.values.map((v) => (v.value.case === "s" ? v.value.value : v.value.value))),
    ).toEqual([
      [1n, "one"],
      [2n, "two"],
    ]);
  });

  it("passes client-streaming calls through (streamSet), and hooks see the requests", async () => {
    const chunks = [streamMessage(utf8.encode("proxy-streamset")), streamMessage(utf8.encode("via-stream"))];
    const requests: number[] = [];
    proxy.onResponse("streamSet", (hdr, ctx) => {
      requests.push(ctx.requests.length);
      hdr.nentries = 99;
    });
    try {
      const hdr = await viaProxy.clientStream(ImmuService.method.streamSet, chunks, { metadata: md });
      expect(hdr.nentries).toBe(99);
      expect(requests).toEqual([2]);
    } finally {
      proxy.onResponse("streamSet", undefined);
    }
    const got = await viaProxy.unary(
      ImmuService.method.get,
      { key: utf8.encode("proxy-streamset") },
      { metadata: md },
    );
    expect(text.decode(got.value)).toBe("via-stream");
    // A malformed stream fails the same way through the proxy as directly.
    const directMd = await openSession(direct);
    const bad = [{ content: new Uint8Array([1, 2, 3]) }];
    const viaErr = await anyFailure(
      viaProxy.clientStream(ImmuService.method.streamSet, bad, { metadata: md }),
    );
    const directErr = await anyFailure(
      direct.clientStream(ImmuService.method.streamSet, bad, { metadata: directMd }),
    );
    expect(viaErr.message).toBe(directErr.message);
    expect(grpcCause(viaErr).code).toBe(grpcCause(directErr).code);
  });

  it("passes bidi-streaming calls through (streamExportTx)", async () => {
    const directMd = await openSession(direct);
    const set = await viaProxy.unary(
      ImmuService.method.set,
      { KVs: [{ key: utf8.encode("proxy-bidi"), value: utf8.encode("x") }] },
      { metadata: md },
    );
    const via = await exportTxs(proxy.address, md.sessionid!, [set.id, set.id]);
    const straight = await exportTxs(`127.0.0.1:${a.port}`, directMd.sessionid!, [set.id, set.id]);
    expect(via.chunks.length).toBeGreaterThan(0);
    expect(via.chunks).toEqual(straight.chunks);
    expect(via.status.code).toBe(straight.status.code);
    expect(via.status.details).toBe(straight.status.details);
    expect(proxy.calls.get("streamExportTx")).toBe(1);
  });
});

describe("grpc proxy, two backends (fork)", () => {
  let proxy: GrpcProxy;
  let viaProxy: GrpcTransport;
  let directA: GrpcTransport;
  let directB: GrpcTransport;

  beforeAll(async () => {
    proxy = await startGrpcProxy([a, b]);
    disposers.push(() => proxy.close());
    viaProxy = transport(proxy.address);
    directA = transport(`127.0.0.1:${a.port}`);
    directB = transport(`127.0.0.1:${b.port}`);
    disposers.push(
      () => viaProxy.close(),
      () => directA.close(),
      () => directB.close(),
    );
  });

  it("without a router, sends everything to backend 0", async () => {
    const md = await openSession(viaProxy);
    await viaProxy.unary(ImmuService.method.health, {}, { metadata: md });
    expect(proxy.callsByBackend[1]?.size).toBe(0);
    await viaProxy.unary(ImmuService.method.closeSession, {}, { metadata: md });
  });

  it("spreads one client session over both servers with an alternating router", async () => {
    const uuids = new Set<string>();
    for (const t of [directA, directB]) {
      await t.unary(
        ImmuService.method.health,
        {},
        { onHeader: (h) => uuids.add(h.get("immudb-uuid") ?? "") },
      );
    }
    expect(uuids.size).toBe(2);
    const [uuidA, uuidB] = [...uuids];

    const md = await openSession(viaProxy); // no router yet: opened on backend 0
    proxy.setRouter((ctx) => (ctx.method === "get" ? ctx.callIndex % 2 : undefined));
    try {
      const before = proxy.calls.get("get") ?? 0;
      expect(before % 2).toBe(0);
      // Set: default route, i.e. the session's own backend 0.
      await viaProxy.unary(
        ImmuService.method.set,
        { KVs: [{ key: utf8.encode("fork-key"), value: utf8.encode("only-on-a") }] },
        { metadata: md },
      );
      const seenUuids: string[] = [];
      const onHeader = (h: ReadonlyMap<string, string>) => seenUuids.push(h.get("immudb-uuid") ?? "");
      const key = { key: utf8.encode("fork-key") };
      const first = await viaProxy.unary(ImmuService.method.get, key, { metadata: md, onHeader });
      expect(text.decode(first.value)).toBe("only-on-a");
      // The second get lands on backend 1 under a session the proxy opened there: the key does not exist.
      const err = await failure(viaProxy.unary(ImmuService.method.get, key, { metadata: md, onHeader }));
      expect(err.code).toBe("KEY_NOT_FOUND");
      const third = await viaProxy.unary(ImmuService.method.get, key, { metadata: md, onHeader });
      expect(text.decode(third.value)).toBe("only-on-a");

      expect(proxy.calls.get("get")).toBe(before + 3);
      expect(proxy.callsByBackend[0]?.get("get")).toBe(before / 2 + 2);
      expect(proxy.callsByBackend[1]?.get("get")).toBe(before / 2 + 1);
      expect(proxy.callsByBackend[0]?.get("set")).toBe(1);
      expect(proxy.callsByBackend[1]?.get("set")).toBeUndefined();
      // immudb sends its headers before the error, so the failed get shows it was b that answered.
      expect(seenUuids).toEqual([uuidA, uuidB, uuidA]);

      // Checked directly: the key is on a only.
      const mdA = await openSession(directA);
      const mdB = await openSession(directB);
      const onA = await directA.unary(ImmuService.method.get, key, { metadata: mdA });
      expect(text.decode(onA.value)).toBe("only-on-a");
      expect((await failure(directB.unary(ImmuService.method.get, key, { metadata: mdB }))).code).toBe(
        "KEY_NOT_FOUND",
      );

      // Writes can be steered too: the same client session now writes to b.
      proxy.setRouter((ctx) => (ctx.method === "set" ? 1 : undefined));
      await viaProxy.unary(
        ImmuService.method.set,
        { KVs: [{ key: utf8.encode("fork-key-b"), value: utf8.encode("only-on-b") }] },
        { metadata: md },
      );
      const onB = await directB.unary(
        ImmuService.method.get,
        { key: utf8.encode("fork-key-b") },
        { metadata: mdB },
      );
      expect(text.decode(onB.value)).toBe("only-on-b");
      expect(
        (
          await failure(
            directA.unary(ImmuService.method.get, { key: utf8.encode("fork-key-b") }, { metadata: mdA }),
          )
        ).code,
      ).toBe("KEY_NOT_FOUND");

      // Answers come from both servers: immudb-uuid alternates with an alternating router.
      proxy.setRouter((ctx) => (ctx.method === "health" ? ctx.callIndex % 2 : undefined));
      const healthUuids: string[] = [];
      const base = proxy.calls.get("health") ?? 0;
      for (let i = 0; i < 4; i++) {
        await viaProxy.unary(
          ImmuService.method.health,
          {},
          { metadata: md, onHeader: (h) => healthUuids.push(h.get("immudb-uuid") ?? "") },
        );
      }
      expect(healthUuids).toEqual([0, 1, 2, 3].map((i) => ((base + i) % 2 === 0 ? uuidA : uuidB)));
      // The proxy's own OpenSession on b is not counted as a call.
      expect(proxy.calls.get("openSession")).toBe(2);

      // KeepAlive and CloseSession of the client session reach both servers.
      await viaProxy.unary(ImmuService.method.keepAlive, {}, { metadata: md });
      await viaProxy.unary(ImmuService.method.closeSession, {}, { metadata: md });
    } finally {
      proxy.setRouter(undefined);
    }
    const closed = await failure(
      viaProxy.unary(ImmuService.method.get, { key: utf8.encode("fork-key") }, { metadata: md }),
    );
    expect(closed.code).toBe("SESSION_NOT_FOUND");
  });

  it("rejects a router that picks a backend that does not exist", async () => {
    proxy.setRouter(() => 7);
    try {
      const err = await failure(viaProxy.unary(ImmuService.method.health, {}));
      expect(grpcCause(err).code).toBe(GrpcStatus.INTERNAL);
      expect(err.details.message).toContain("backend 7");
    } finally {
      proxy.setRouter(undefined);
    }
  });
});

describe("grpc proxy, hung backend (deadline and cancellation propagation)", () => {
  let tcp: TcpProxy;
  let proxy: GrpcProxy;
  let viaProxy: GrpcTransport;
  let md: Record<string, string>;

  beforeAll(async () => {
    tcp = await startTcpProxy(a.port);
    disposers.push(() => tcp.close());
    proxy = await startGrpcProxy([{ port: tcp.port }]);
    disposers.push(() => proxy.close());
    viaProxy = transport(proxy.address);
    disposers.push(() => viaProxy.close());
    md = await openSession(viaProxy);
    await viaProxy.unary(
      ImmuService.method.set,
      { KVs: [{ key: utf8.encode("hung-key"), value: utf8.encode("v") }] },
      { metadata: md },
    );
  });

  it("ends the backend call when the caller's deadline passes", async () => {
    tcp.freeze();
    try {
      const started = Date.now();
      const err = await anyFailure(viaProxy.unary(ImmuService.method.health, {}, { timeoutMs: 300 }));
      expect(err.name).toBe("TimeoutError");
      expect(Date.now() - started).toBeLessThan(2000);
      await waitFor(() => proxy.inFlight === 0);
    } finally {
      tcp.thaw();
    }
    expect((await viaProxy.unary(ImmuService.method.health, {})).status).toBe(true);
  });

  it("cancels the backend call when the caller cancels (unary and server-streaming)", async () => {
    tcp.freeze();
    try {
      const controller = new AbortController();
      const unary = anyFailure(
        viaProxy.unary(
          ImmuService.method.get,
          { key: utf8.encode("hung-key") },
          {
            metadata: md,
            signal: controller.signal,
          },
        ),
      );
      const stream = anyFailure(
        collect(
          viaProxy.serverStream(
            ImmuService.method.streamGet,
            { key: utf8.encode("hung-key") },
            {
              metadata: md,
              signal: controller.signal,
            },
          ),
        ),
      );
      await waitFor(() => proxy.inFlight === 2);
      controller.abort();
      expect((await unary).name).toBe("AbortError");
      expect((await stream).name).toBe("AbortError");
      await waitFor(() => proxy.inFlight === 0);
    } finally {
      tcp.thaw();
    }
    const got = await viaProxy.unary(
      ImmuService.method.get,
      { key: utf8.encode("hung-key") },
      { metadata: md },
    );
    expect(text.decode(got.value)).toBe("v");
  });
});
