import { Readable } from "node:stream";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Entry as EntryProto,
  EntrySchema,
  InclusionProofSchema,
  VerifiableTxSchema,
  VerifiableTxSchema as VtxSchema,
} from "../../src/gen/schema_pb.js";
import {
  ImmudbClient,
  InvalidArgumentError,
  MAX_STREAM_SET_VALUE_BYTES,
  ServerError,
  VerificationError,
} from "../../src/index.js";
import { concat, encodeMessage, getU64 } from "../../src/ops/stream-framing.js";
import { createDatabase } from "../harness/create-database.js";
import { type GrpcProxy, startGrpcProxy } from "../harness/grpc-proxy.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const text = new TextDecoder();
const utf8 = (s: string) => new TextEncoder().encode(s);
const MiB = 1024 * 1024;

/** Deterministic non-repeating-looking bytes (so a misplaced chunk cannot go unnoticed). */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Pieces of `bytes` of uneven sizes, as an async iterable. */
async function* piecesOf(bytes: Uint8Array, size = 100_003): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

let server: ImmudbServer;
let client: ImmudbClient;

beforeAll(async () => {
  server = await startImmudb();
  client = await ImmudbClient.connect(server.url);
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
});

describe("unverified streams", () => {
  it("streamSet / streamGet round-trip bytes and strings", async () => {
    const h = await client.streamSet("s:1", "hello stream");
    expect(h.id).toBeGreaterThan(0n);
    expect(h.nEntries).toBe(1);
    const e = await client.streamGet("s:1");
    expect(text.decode(e?.key)).toBe("s:1");
    expect(text.decode(e?.value)).toBe("hello stream");
    // written by streamSet, readable by the unary API too
    expect(text.decode((await client.get("s:1"))?.value)).toBe("hello stream");
    const bytes = pattern(200_000, 1);
    await client.streamSet(utf8("s:2"), bytes, { chunkSize: 4096 });
    expect(same((await client.streamGet("s:2"))?.value, bytes)).toBe(true);
    expect(await client.streamGet("s:missing")).toBeUndefined();
  });

  it("streamSet takes a value in pieces (async iterable, Node Readable) with its declared size", async () => {
    const bytes = pattern(1 * MiB + 17, 2);
    await client.streamSet("s:pieces", piecesOf(bytes), { size: bytes.length });
    expect(same((await client.streamGet("s:pieces"))?.value, bytes)).toBe(true);
    await client.streamSet("s:readable", Readable.from(piecesOf(bytes, 65_536)), { size: bytes.length });
    expect(same((await client.streamGet("s:readable"))?.value, bytes)).toBe(true);
    await client.streamSet("s:array", [bytes.subarray(0, 10), bytes.subarray(10)], { size: bytes.length });
    expect(same((await client.streamGet("s:array"))?.value, bytes)).toBe(true);
  });

  it("rejects bad sizes and values; a failing value source writes nothing", async () => {
    await expect(client.streamSet("s:bad", piecesOf(pattern(10, 3)))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(client.streamSet("s:bad", "abc", { size: 4 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.streamSet("s:bad", 42 as unknown as Uint8Array)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const before = await client.currentState();
    const err = await client
      .streamSet("s:short", piecesOf(pattern(500_000, 4)), { size: 600_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/before its declared size/);
    const longer = await client
      .streamSet("s:long", piecesOf(pattern(500_000, 4)), { size: 400_000 })
      .catch((e: unknown) => e);
    expect(longer).toBeInstanceOf(InvalidArgumentError);
    async function* failing() {
      yield pattern(200_000, 4);
      throw new Error("disk on fire");
    }
    const thrown = await client
      .streamSet("s:thrown", failing(), { size: 1_000_000 })
      .catch((e: unknown) => e);
    expect((thrown as Error).message).toBe("disk on fire");
    const execAll = await client
      .streamExecAll([{ type: "set", key: "s:thrown2", value: failing(), size: 1_000_000 }])
      .catch((e: unknown) => e);
    expect((execAll as Error).message).toBe("disk on fire");
    const verified = await client
      .streamVerifiedSet("s:thrown3", failing(), { size: 1_000_000 })
      .catch((e: unknown) => e);
    expect((verified as Error).message).toBe("disk on fire");
    // immudb would commit a cut-off stream write with a truncated value: the client never cuts one off
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.currentState()).txId).toBe(before.txId);
    for (const k of ["s:short", "s:long", "s:thrown", "s:thrown2", "s:thrown3"]) {
      expect(await client.streamGet(k)).toBeUndefined();
    }
  });

  it("streamSetAll writes several entries in one transaction; an empty value only as the last one", async () => {
    const h = await client.streamSetAll([
      { key: "all:1", value: "one" },
      { key: "all:2", value: piecesOf(pattern(300_000, 5)), size: 300_000 },
      { key: "all:3", value: new Uint8Array(0) },
    ]);
    expect(h.nEntries).toBe(3);
    expect(text.decode((await client.streamGet("all:1"))?.value)).toBe("one");
    expect(same((await client.streamGet("all:2"))?.value, pattern(300_000, 5))).toBe(true);
    expect((await client.streamGet("all:3"))?.value.length).toBe(0);
    // immudb's stream reader stops at an empty value and would silently drop what follows
    await expect(
      client.streamSetAll([
        { key: "all:4", value: "" },
        { key: "all:5", value: "x" },
      ]),
    ).rejects.toThrow(/only as the last entry/);
    await expect(
      client.streamSetAll([
        { key: "dup", value: "a" },
        { key: "dup", value: "b" },
      ]),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("streamGetReader yields the value in pieces without buffering it; breaking out cancels", async () => {
    const bytes = pattern(3 * MiB, 6);
    await client.streamSet("r:big", bytes);
    const reader = await client.streamGetReader("r:big");
    expect(reader?.size).toBe(bytes.length);
    expect(text.decode(reader?.key)).toBe("r:big");
    const pieces = await collect(reader!);
    expect(pieces.length).toBeGreaterThan(10);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(64 * 1024);
    expect(same(concat(pieces), bytes)).toBe(true);
    await expect(collect(reader!)).rejects.toBeInstanceOf(InvalidArgumentError); // single use

    const partial = await client.streamGetReader("r:big");
    let got = 0;
    for await (const p of partial!) {
      got += p.length;
      if (got > 100_000) break;
    }
    expect(got).toBeLessThan(bytes.length);
    const cancelled = await client.streamGetReader("r:big");
    await cancelled?.cancel();
    expect(await client.streamGetReader("r:missing")).toBeUndefined();
    // the client is still fine
    expect(same((await client.streamGet("r:big"))?.value, bytes)).toBe(true);
  });

  it("streamScan and streamHistory return keys with values", async () => {
    for (let i = 0; i < 5; i++) await client.streamSet(`scan:${i}`, `v${i}`);
    const all = await collect(client.streamScan({ prefix: "scan:" }));
    expect(all.map((e) => text.decode(e.key))).toEqual(["scan:0", "scan:1", "scan:2", "scan:3", "scan:4"]);
    expect(all.map((e) => text.decode(e.value))).toEqual(["v0", "v1", "v2", "v3", "v4"]);
    const desc = await collect(client.streamScan({ prefix: "scan:", desc: true, limit: 2 }));
    expect(desc.map((e) => text.decode(e.key))).toEqual(["scan:4", "scan:3"]);
    const seek = await collect(
      client.streamScan({ seekKey: "scan:1", endKey: "scan:3", inclusiveEnd: true }),
    );
    expect(seek.map((e) => text.decode(e.key))).toEqual(["scan:2", "scan:3"]);
    expect(() => client.streamScan({ limit: 3000 })).toThrow(InvalidArgumentError);

    await client.streamSet("hist", "a");
    await client.streamSet("hist", "b");
    await client.streamSet("hist", "c");
    const hist = await collect(client.streamHistory("hist"));
    expect(hist.map((e) => text.decode(e.value))).toEqual(["a", "b", "c"]);
    const newest = await collect(client.streamHistory("hist", { desc: true, limit: 1 }));
    expect(newest.map((e) => text.decode(e.value))).toEqual(["c"]);
  });

  it("streamExecAll writes key-values and sorted-set members atomically; streamZScan reads them", async () => {
    const h = await client.streamExecAll([
      { type: "set", key: "ex:a", value: "A" },
      { type: "set", key: "ex:b", value: piecesOf(pattern(70_000, 7)), size: 70_000 },
      { type: "zAdd", set: "zs", score: 2.5, key: "ex:a" },
      { type: "zAdd", set: "zs", score: -1, key: "ex:b" },
    ]);
    expect(h.nEntries).toBe(4);
    // immudb orders members by the bits of their IEEE-754 score: negative scores come after positive ones
    const z = await collect(client.streamZScan("zs"));
    expect(z.map((e) => [text.decode(e.key), e.score, e.atTx])).toEqual([
      ["ex:a", 2.5, 0n],
      ["ex:b", -1, 0n],
    ]);
    expect(text.decode(z[0]?.value)).toBe("A");
    expect(same(z[1]?.value, pattern(70_000, 7))).toBe(true);
    expect(text.decode(z[0]?.set)).toBe("zs");
    const bound = await client.streamExecAll([
      { type: "zAdd", set: "zs2", score: 1, key: "ex:a", atTx: h.id },
    ]);
    expect((await collect(client.streamZScan("zs2", { minScore: 0 })))[0]?.atTx).toBe(h.id);
    expect(bound.id).toBeGreaterThan(h.id);
    // references are not part of immudb's stream protocol; empty values cannot be carried
    await expect(
      client.streamExecAll([{ type: "ref", key: "r", referencedKey: "ex:a" } as never]),
    ).rejects.toThrow(/no reference operation/);
    await expect(client.streamExecAll([{ type: "set", key: "e", value: "" }])).rejects.toThrow(/empty value/);
  });

  it("breaking out of streamScan cancels the call (the server stops sending)", async () => {
    const proxy = await startGrpcProxy([{ port: server.port }]);
    const viaProxy = await ImmudbClient.connect(proxy.url);
    try {
      const big = pattern(512 * 1024, 8);
      await viaProxy.streamSetAll(Array.from({ length: 40 }, (_, i) => ({ key: `cancel:${i}`, value: big })));
      let chunks = 0;
      proxy.onResponse("streamScan", () => {
        chunks++;
        return undefined;
      });
      let seen = 0;
      for await (const e of viaProxy.streamScan({ prefix: "cancel:" })) {
        expect(same(e.value, big)).toBe(true);
        if (++seen === 2) break;
      }
      const total = (40 * big.length) / (64 * 1024);
      await waitFor(() => proxy.inFlight === 0);
      const after = chunks;
      await new Promise((r) => setTimeout(r, 200));
      expect(chunks).toBe(after); // nothing more was sent
      expect(chunks).toBeLessThan(total / 2);
      // a full scan still works on the same client
      proxy.onResponse("streamScan", undefined);
      expect((await collect(viaProxy.streamScan({ prefix: "cancel:" }))).length).toBe(40);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("verified streams", () => {
  it("streamVerifiedSet proves the write and advances the trusted state to it", async () => {
    const h = await client.streamVerifiedSet("vs:1", "proven");
    const state = await client.trustedState();
    expect(state?.txId).toBe(h.id);
    const server = await client.currentState();
    expect(state?.txHash).toEqual(server.txHash);
    const e = await client.streamVerifiedGet("vs:1");
    expect(text.decode(e.value)).toBe("proven");
    expect(e.tx).toBe(h.id);
  });

  it("streamVerifiedGet proves old and new values forward and backward from the trusted state", async () => {
    const a = await client.streamVerifiedSet("vs:2", piecesOf(pattern(400_000, 9)), { size: 400_000 });
    await client.set("vs:2", "second"); // unverified write: proven on read with a forward dual proof
    const latest = await client.streamVerifiedGet("vs:2");
    expect(text.decode(latest.value)).toBe("second");
    const trusted = await client.trustedState();
    expect(trusted?.txId).toBe(latest.tx);
    const old = await client.streamVerifiedGet("vs:2", { atTx: a.id }); // backward from the trusted state
    expect(same(old.value, pattern(400_000, 9))).toBe(true);
    expect((await client.trustedState())?.txId).toBe(trusted?.txId);
    const first = await client.streamVerifiedGet("vs:2", { atRevision: 1n });
    expect(first.tx).toBe(a.id);
    expect(same(first.value, pattern(400_000, 9))).toBe(true);
  });

  it("streamVerifiedSetAll proves every entry", async () => {
    const h = await client.streamVerifiedSetAll([
      { key: "vsa:1", value: "x" },
      { key: "vsa:2", value: pattern(100_000, 10) },
    ]);
    expect(h.nEntries).toBe(2);
    expect(same((await client.streamVerifiedGet("vsa:2")).value, pattern(100_000, 10))).toBe(true);
  });

  it("proves entries with metadata, which the stream leaves out, with the metadata of their transaction", async () => {
    const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 3600);
    await client.verifiedSet("md:1", "expiring", { expiresAt });
    const e = await client.streamVerifiedGet("md:1");
    expect(text.decode(e.value)).toBe("expiring");
    expect(e.metadata?.expiresAt).toBe(expiresAt);
  });

  it("proves references down to the referenced value", async () => {
    const t1 = await client.streamVerifiedSet("ref:target", "t1");
    await client.streamVerifiedSet("ref:target", "t2");
    await client.verifiedSetReference("ref:alias", "ref:target");
    await client.verifiedSetReference("ref:bound", "ref:target", { atTx: t1.id });
    const e = await client.streamVerifiedGet("ref:alias");
    expect(text.decode(e.value)).toBe("t2");
    expect(text.decode(e.key)).toBe("ref:target");
    expect(text.decode(e.referencedBy?.key)).toBe("ref:alias");
    const b = await client.streamVerifiedGet("ref:bound");
    expect(text.decode(b.value)).toBe("t1");
    expect(b.referencedBy?.atTx).toBe(t1.id);
  });

  it("a missing key is KEY_NOT_FOUND", async () => {
    const err = await client.streamVerifiedGet("vs:missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe("KEY_NOT_FOUND");
  });
});

describe("tampered streams", () => {
  let proxy: GrpcProxy;
  let victim: ImmudbClient;
  const value = pattern(200_000, 11); // chunks: entry, verifiable tx, inclusion proof, then 4 value chunks

  beforeAll(async () => {
    proxy = await startGrpcProxy([{ port: server.port }]);
    victim = await ImmudbClient.connect(proxy.url);
    await victim.streamVerifiedSet("tamper:1", value);
    await victim.set("tamper:other", "moves the state on");
  });

  afterAll(async () => {
    await victim?.close();
    await proxy?.close();
  });

  /** Rewrites the logical message held in one chunk (messages here are small enough to fit one chunk). */
  function rewrite(content: Uint8Array, f: (payload: Uint8Array) => Uint8Array): Uint8Array {
    const len = Number(getU64(content));
    expect(content.length).toBe(8 + len);
    return concat([...encodeMessage(f(content.subarray(8)))]);
  }

  const cases: [string, (content: Uint8Array, index: number) => Uint8Array | undefined][] = [
    [
      "one byte of the value flipped",
      (c, i) => {
        if (i !== 5) return undefined;
        const out = c.slice();
        out[1234] = (out[1234] ?? 0) ^ 0x01;
        return out;
      },
    ],
    [
      "the inclusion proof altered",
      (c, i) =>
        i !== 2
          ? undefined
          : rewrite(c, (p) => {
              const ip = fromBinary(InclusionProofSchema, p);
              const t = ip.terms[0] ?? new Uint8Array(32);
              t[0] = (t[0] ?? 0) ^ 0x80;
              ip.terms[0] = t;
              return toBinary(InclusionProofSchema, ip);
            }),
    ],
    [
      "the dual proof's target header altered",
      (c, i) =>
        i !== 1
          ? undefined
          : rewrite(c, (p) => {
              const vtx = fromBinary(VtxSchema, p);
              const h = vtx.dualProof?.targetTxHeader;
              if (h) h.eH = h.eH.map((b, k) => (k === 0 ? b ^ 1 : b));
              return toBinary(VerifiableTxSchema, vtx);
            }),
    ],
    [
      "the entry's tx changed",
      (c, i) =>
        i !== 0
          ? undefined
          : rewrite(c, (p) => {
              const e = fromBinary(EntrySchema, p);
              e.tx = e.tx - 1n;
              return toBinary(EntrySchema, e);
            }),
    ],
    ["the value cut short", (c, i) => (i === 6 ? c.subarray(0, c.length - 10) : undefined)],
  ];

  for (const [name, tamper] of cases) {
    it(`rejects a streamVerifiableGet answer with ${name}, leaving the trusted state alone`, async () => {
      const before = await victim.trustedState();
      proxy.onResponse("streamVerifiableGet", (msg, ctx) => {
        const replaced = tamper(msg.content, ctx.messageIndex);
        if (replaced) msg.content = replaced;
        return undefined;
      });
      try {
        const err = await victim.streamVerifiedGet("tamper:1").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(VerificationError);
      } finally {
        proxy.onResponse("streamVerifiableGet", undefined);
      }
      expect(await victim.trustedState()).toEqual(before);
      expect(same((await victim.streamVerifiedGet("tamper:1")).value, value)).toBe(true);
    });
  }

  it("rejects a streamVerifiableSet answer whose transaction does not hold the value sent", async () => {
    const before = await victim.trustedState();
    proxy.onResponse("streamVerifiableSet", (vtx) => {
      const e = vtx.tx?.entries[0];
      if (e) e.hValue = e.hValue.map((b, k) => (k === 0 ? b ^ 1 : b));
      return undefined;
    });
    try {
      const err = await victim.streamVerifiedSet("tamper:2", "v").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerificationError);
    } finally {
      proxy.onResponse("streamVerifiableSet", undefined);
    }
    expect(await victim.trustedState()).toEqual(before);
  });

  it("the entry message on the wire really lacks the value and the metadata (why the fallback exists)", async () => {
    let entry: EntryProto | undefined;
    proxy.onResponse("streamVerifiableGet", (msg, ctx) => {
      if (ctx.messageIndex === 0) entry = fromBinary(EntrySchema, msg.content.subarray(8));
      return undefined;
    });
    try {
      await victim.streamVerifiedGet("tamper:1");
    } finally {
      proxy.onResponse("streamVerifiableGet", undefined);
    }
    expect(entry?.value.length).toBe(0);
    expect(entry?.metadata).toBeUndefined();
    expect(text.decode(entry?.key)).toBe("tamper:1");
  });
});

describe("values larger than one gRPC message", () => {
  let big: ImmudbClient;
  const timings: string[] = [];

  beforeAll(async () => {
    // A database whose maxValueLen leaves room for 33 MiB (it counts immudb's 1-byte value prefix), and a client
    // whose own gRPC limits are 1 MiB each way: only chunking can carry these values.
    await createDatabase(server, "bigdb", { maxValueLen: { value: 64 * MiB } });
    big = await ImmudbClient.connect({
      host: server.host,
      port: server.port,
      database: "bigdb",
      maxReceiveMessageBytes: 1 * MiB,
      maxSendMessageBytes: 1 * MiB,
      timeoutMs: 120_000,
    });
  });

  afterAll(async () => {
    await big?.close();
    if (timings.length > 0) console.log(`stream timings: ${timings.join("; ")}`);
  });

  async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const r = await f();
    timings.push(`${what} ${Math.round(performance.now() - t0)} ms`);
    return r;
  }

  const value33 = pattern(33 * MiB, 33);

  it("a 33 MiB value round-trips byte-exact through streamSet / streamGet / streamGetReader", async () => {
    const h = await timed("streamSet 33 MiB", () => big.streamSet("big:plain", value33));
    expect(h.nEntries).toBe(1);
    const e = await timed("streamGet 33 MiB", () => big.streamGet("big:plain"));
    expect(same(e?.value, value33)).toBe(true);
    const reader = await big.streamGetReader("big:plain");
    let off = 0;
    let ok = reader?.size === value33.length;
    for await (const p of reader!) {
      ok &&= Buffer.from(p).equals(Buffer.from(value33.subarray(off, off + p.length)));
      off += p.length;
    }
    expect(ok && off === value33.length).toBe(true);
  });

  it("a 33 MiB value round-trips through streamVerifiedSet / streamVerifiedGet, proven", async () => {
    const h = await timed("streamVerifiedSet 33 MiB", () =>
      big.streamVerifiedSet("big:verified", piecesOf(value33, 1_000_003), { size: value33.length }),
    );
    expect((await big.trustedState())?.txId).toBe(h.id);
    const e = await timed("streamVerifiedGet 33 MiB", () => big.streamVerifiedGet("big:verified"));
    expect(e.tx).toBe(h.id);
    expect(same(e.value, value33)).toBe(true);
    const state = await big.currentState();
    const trusted = await big.trustedState();
    expect(trusted?.txId).toBe(state.txId);
    expect(trusted?.txHash).toEqual(state.txHash);
  });

  it("32 MiB through the plain streamSet RPC, which a unary Set cannot carry", async () => {
    const v = value33.subarray(0, MAX_STREAM_SET_VALUE_BYTES);
    await timed("streamSet 32 MiB", () => big.streamSet("big:32", v));
    expect(same((await big.streamVerifiedGet("big:32")).value, v)).toBe(true);
    // the same value in one unary message exceeds gRPC limits (the client's 1 MiB here; the server's 32 MiB too)
    await expect(client.set("big:unary", v)).rejects.toBeInstanceOf(Error);
  });

  it("a default database refuses values of 32 MiB and more; the error is the server's", async () => {
    const err = await client
      .streamSet("big:toolarge", value33.subarray(0, 32 * MiB))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as Error).message).toMatch(/max value length exceeded/);
    const almost = value33.subarray(0, 32 * MiB - 1);
    await client.streamSet("big:almost", almost);
    expect(same((await client.streamGet("big:almost"))?.value, almost)).toBe(true);
  });
});
