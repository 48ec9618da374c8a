/**
 * Key-value API against a real immudb: every method and option of src/ops/kv.ts. Options the server does not
 * act on observably (`noWait`, deprecated fields) are checked on the request actually sent, through a spy on
 * `ClientContext.prototype.unary`; the same spy counts RPCs to show that paging stops when the loop does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ClientContext } from "../../src/context.js";
import { ImmuService } from "../../src/gen/schema_pb.js";
import {
  type Entry,
  ImmudbClient,
  InvalidArgumentError,
  type PagedIterable,
  ServerError,
  type ZScanEntry,
} from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const str = (b: Uint8Array | undefined) => (b === undefined ? undefined : dec.decode(b));

let server: ImmudbServer;
let client: ImmudbClient;
let seq = 0;
/** A fresh key namespace per test (one server is shared). */
const ns = () => `t${++seq}:`;

beforeAll(async () => {
  server = await startImmudb();
  client = await ImmudbClient.connect(server.url);
});

afterAll(async () => {
  await client?.close();
  await server?.dispose();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Records the unary RPCs sent from now on: `sent("scan")` returns the requests of that method. */
function spyRpcs() {
  const spy = vi.spyOn(ClientContext.prototype, "unary");
  const sent = (method: string): Record<string, unknown>[] =>
    spy.mock.calls
      .filter((c) => (c[0] as { localName: string }).localName === method)
      .map((c) => c[1] as Record<string, unknown>);
  return { sent, total: () => spy.mock.calls.length };
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

/** Writes `n` keys `${prefix}00000`… with value = key, in setAll batches of 1000. */
async function writeKeys(prefix: string, n: number): Promise<string[]> {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, "0")}`);
  for (let i = 0; i < n; i += 1000) {
    await client.setAll(keys.slice(i, i + 1000).map((k) => ({ key: k, value: k })));
  }
  return keys;
}

const keysOf = (es: readonly Entry[]) => es.map((e) => str(e.key));

describe("set and setAll with write options", () => {
  it("setAll writes every entry in one transaction", async () => {
    const p = ns();
    const h = await client.setAll([
      { key: `${p}a`, value: "1" },
      { key: enc.encode(`${p}b`), value: new Uint8Array([0, 1, 2]) },
    ]);
    expect(h.nEntries).toBe(2);
    expect(str((await client.get(`${p}a`))?.value)).toBe("1");
    const b = await client.get(`${p}b`);
    expect(b?.value).toEqual(new Uint8Array([0, 1, 2]));
    expect(b?.tx).toBe(h.id);
  });

  it("expiresAt: an expired entry reads as missing but stays in history; a future one carries its expiry", async () => {
    const p = ns();
    const future = new Date(Date.now() + 3600_000);
    await client.setAll([
      { key: `${p}gone`, value: "x", expiresAt: new Date(Date.now() - 60_000) },
      { key: `${p}later`, value: "y" },
    ]);
    await client.set(`${p}soon`, "z", { expiresAt: future });
    expect(await client.get(`${p}gone`)).toBeUndefined();
    const later = await client.get(`${p}soon`);
    expect(later?.metadata?.expiresAt).toBe(BigInt(Math.floor(future.getTime() / 1000)));
    expect(str(later?.value)).toBe("z");
    // Unix seconds as bigint, too
    await client.set(`${p}secs`, "s", { expiresAt: 1n });
    expect(await client.get(`${p}secs`)).toBeUndefined();
    expect(keysOf(await client.scan({ prefix: p }).toArray(10))).toEqual([`${p}later`, `${p}soon`]);
    expect((await client.getAll([`${p}gone`, `${p}later`])).map((e) => str(e?.key))).toEqual([
      undefined,
      `${p}later`,
    ]);
    const h = await client.history(`${p}gone`).toArray(10);
    expect(h).toHaveLength(1);
    expect(h[0]?.expired).toBe(true);
    expect(h[0]?.value).toHaveLength(0);
  });

  it("per-entry expiresAt/nonIndexable override the call's", async () => {
    const p = ns();
    await client.setAll(
      [
        { key: `${p}a`, value: "1" },
        { key: `${p}b`, value: "2", expiresAt: new Date(Date.now() + 3600_000) },
      ],
      { expiresAt: 1n },
    );
    expect(await client.get(`${p}a`)).toBeUndefined();
    expect(str((await client.get(`${p}b`))?.value)).toBe("2");
    await client.setAll(
      [
        { key: `${p}c`, value: "3" },
        { key: `${p}d`, value: "4", nonIndexable: false },
      ],
      { nonIndexable: true },
    );
    expect(await client.get(`${p}c`)).toBeUndefined();
    expect(str((await client.get(`${p}d`))?.value)).toBe("4");
  });

  it("nonIndexable: the entry is only readable through its transaction", async () => {
    const p = ns();
    const h = await client.set(`${p}hidden`, "v", { nonIndexable: true });
    expect(await client.get(`${p}hidden`)).toBeUndefined();
    expect(await client.scan({ prefix: p }).toArray(10)).toEqual([]);
    const tx = await client.txById(h.id, { entries: "raw" });
    expect(tx.entries[0]?.metadata?.nonIndexable).toBe(true);
    expect(str(tx.entries[0]?.key)).toBe(`${p}hidden`);
  });

  it("preconditions: a failed one writes nothing; the others pass", async () => {
    const p = ns();
    const h1 = await client.set(`${p}k`, "1", { preconditions: [{ type: "mustNotExist", key: `${p}k` }] });
    const err = await rejects(
      client.setAll(
        [
          { key: `${p}k`, value: "2" },
          { key: `${p}other`, value: "x" },
        ],
        { preconditions: [{ type: "mustNotExist", key: `${p}k` }] },
      ),
    );
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe("PRECONDITION_FAILED");
    expect((err as ServerError).details.message).toBe("precondition failed: KeyMustNotExist");
    expect(await client.get(`${p}other`)).toBeUndefined();
    const missing = await rejects(
      client.set(`${p}n`, "x", { preconditions: [{ type: "mustExist", key: `${p}nope` }] }),
    );
    expect((missing as ServerError).details.message).toBe("precondition failed: KeyMustExist");
    expect(await client.get(`${p}n`)).toBeUndefined();
    await client.set(`${p}k`, "2", {
      preconditions: [{ type: "notModifiedAfterTx", key: `${p}k`, txId: h1.id }],
    });
    const stale = await rejects(
      client.set(`${p}k`, "3", {
        preconditions: [{ type: "notModifiedAfterTx", key: `${p}k`, txId: h1.id }],
      }),
    );
    expect((stale as ServerError).code).toBe("PRECONDITION_FAILED");
    expect(str((await client.get(`${p}k`))?.value)).toBe("2");
  });

  it("noWait is sent (and the write still commits)", async () => {
    const p = ns();
    const rpc = spyRpcs();
    const h = await client.setAll([{ key: `${p}a`, value: "1" }], { noWait: true });
    await client.set(`${p}b`, "2");
    expect(rpc.sent("set").map((r) => r.noWait)).toEqual([true, false]);
    expect(str((await client.get(`${p}a`, { sinceTx: h.id }))?.value)).toBe("1");
  });

  it("get options: atTx, atRevision, sinceTx (a future one is refused by the server), noWait", async () => {
    const p = ns();
    const h1 = await client.set(`${p}k`, "1");
    await client.set(`${p}k`, "2");
    expect(str((await client.get(`${p}k`, { atTx: h1.id }))?.value)).toBe("1");
    expect(str((await client.get(`${p}k`, { atRevision: -1n }))?.value)).toBe("1");
    const err = await rejects(client.get(`${p}k`, { sinceTx: 1n << 40n }));
    // immudb wraps "illegal arguments" here, so it comes as UNKNOWN (code SERVER), not INVALID_ARGUMENT
    expect((err as ServerError).details.message).toBe(
      "illegal arguments: SinceTx must not be greater than the current transaction ID",
    );
    const rpc = spyRpcs();
    await client.get(`${p}k`, { noWait: true });
    expect(rpc.sent("get")[0]?.noWait).toBe(true);
  });

  it("checks arguments before any RPC", async () => {
    const rpc = spyRpcs();
    const bad: Array<() => Promise<unknown>> = [
      () => client.setAll([]),
      () => client.setAll([{ key: "", value: "v" }]),
      () => client.setAll([{ key: "k".repeat(1024), value: "v" }]),
      () =>
        client.setAll([
          { key: "dup", value: "1" },
          { key: enc.encode("dup"), value: "2" },
        ]),
      () => client.setAll(Array.from({ length: 1025 }, (_, i) => ({ key: `k${i}`, value: "v" }))),
      // @ts-expect-error a number is not a value
      () => client.setAll([{ key: "k", value: 5 }]),
      // @ts-expect-error noWait must be a boolean
      () => client.setAll([{ key: "k", value: "v" }], { noWait: "yes" }),
    ];
    for (const f of bad) await expect(f()).rejects.toBeInstanceOf(InvalidArgumentError);
    const tooMany = await rejects(
      client.setAll(Array.from({ length: 1025 }, (_, i) => ({ key: `k${i}`, value: "v" }))),
    );
    expect(String(tooMany)).toContain("immudb's default maxTxEntries");
    expect(rpc.total()).toBe(0);
    // 1024 is fine
    const h = await client.setAll(
      Array.from({ length: 1024 }, (_, i) => ({ key: `max1024:${i}`, value: "v" })),
    );
    expect(h.nEntries).toBe(1024);
  });
});

describe("getAll", () => {
  it("returns one slot per key in request order, undefined where the server returned nothing", async () => {
    const p = ns();
    await client.setAll([
      { key: `${p}a`, value: "A" },
      { key: `${p}b`, value: "B" },
      { key: `${p}d`, value: "D" },
    ]);
    await client.setReference(`${p}ref`, `${p}a`);
    await client.delete(`${p}d`);
    const got = await client.getAll([`${p}b`, `${p}missing`, `${p}a`, `${p}d`, `${p}ref`, `${p}b`]);
    expect(got).toHaveLength(6);
    expect(got.map((e) => str(e?.value))).toEqual(["B", undefined, "A", undefined, "A", "B"]);
    expect(str(got[4]?.referencedBy?.key)).toBe(`${p}ref`);
    expect(str(got[4]?.key)).toBe(`${p}a`);
  });

  it("sends sinceTx (a future one is refused) and nothing at all for no keys", async () => {
    const rpc = spyRpcs();
    expect(await client.getAll([])).toEqual([]);
    expect(rpc.total()).toBe(0);
    const err = await rejects(client.getAll(["x"], { sinceTx: 1n << 40n }));
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(client.getAll(["ok", ""])).rejects.toBeInstanceOf(InvalidArgumentError);
    // @ts-expect-error not an array
    await expect(client.getAll("k")).rejects.toBeInstanceOf(InvalidArgumentError);
    // @ts-expect-error sinceTx is a bigint
    await expect(client.getAll(["k"], { sinceTx: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(rpc.sent("getAll")).toHaveLength(1);
  });
});

describe("delete", () => {
  it("removes keys from get/getAll/scan but keeps them in history", async () => {
    const p = ns();
    await client.setAll([
      { key: `${p}a`, value: "1" },
      { key: `${p}b`, value: "2" },
      { key: `${p}c`, value: "3" },
    ]);
    const h = await client.delete([`${p}a`, `${p}c`]);
    expect(h.nEntries).toBe(2);
    expect(await client.get(`${p}a`)).toBeUndefined();
    expect(keysOf(await client.scan({ prefix: p }).toArray(10))).toEqual([`${p}b`]);
    const hist = await client.history(`${p}a`).toArray(10);
    expect(hist.map((e) => [str(e.value), e.metadata?.deleted ?? false])).toEqual([
      ["1", false],
      ["", true],
    ]);
    expect(hist[1]?.tx).toBe(h.id);
    // single key form; a key can be written again after deletion
    await client.set(`${p}a`, "again");
    await client.delete(enc.encode(`${p}a`));
    expect(await client.get(`${p}a`)).toBeUndefined();
    expect(await client.history(`${p}a`).toArray(10)).toHaveLength(4);
  });

  it("rejects missing keys (nothing deleted), bad arguments, and sends sinceTx/noWait", async () => {
    const p = ns();
    await client.set(`${p}a`, "1");
    const err = await rejects(client.delete([`${p}a`, `${p}never`]));
    expect(err).toMatchObject({ code: "KEY_NOT_FOUND" });
    expect((err as ServerError).details.message).toBe("tbtree: key not found");
    expect(str((await client.get(`${p}a`))?.value)).toBe("1");
    const rpc = spyRpcs();
    await expect(client.delete([])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.delete([`${p}a`, `${p}a`])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.delete("")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.delete(Array.from({ length: 1025 }, (_, i) => `${p}${i}`))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(rpc.total()).toBe(0);
    expect(await rejects(client.delete(`${p}a`, { sinceTx: 1n << 40n }))).toMatchObject({
      code: "TX_NOT_FOUND",
    });
    await client.delete(`${p}a`, { noWait: true });
    expect(rpc.sent("delete").map((r) => [r.sinceTx, r.noWait])).toEqual([
      [1n << 40n, false],
      [0n, true],
    ]);
  });
});

describe("history", () => {
  it("lists revisions with offset, limit, desc, and pages by offset", async () => {
    const p = ns();
    const key = `${p}k`;
    for (let i = 1; i <= 23; i++) await client.set(key, `v${i}`);
    const values = async (it: PagedIterable<Entry>, max = 100) =>
      (await it.toArray(max)).map((e) => str(e.value));
    const all = Array.from({ length: 23 }, (_, i) => `v${i + 1}`);
    expect(await values(client.history(key))).toEqual(all);
    expect(await values(client.history(key, { desc: true }))).toEqual([...all].reverse());
    expect(await values(client.history(key, { offset: 20 }))).toEqual(["v21", "v22", "v23"]);
    expect(await values(client.history(key, { offset: 20, desc: true }))).toEqual(["v3", "v2", "v1"]);
    expect(await values(client.history(key, { limit: 2 }))).toEqual(["v1", "v2"]);
    expect(await values(client.history(key, { limit: 0 }))).toEqual([]);
    expect((await client.history(key).toArray(100)).map((e) => e.revision)).toEqual(
      Array.from({ length: 23 }, (_, i) => BigInt(i + 1)),
    );

    const rpc = spyRpcs();
    expect(await values(client.history(key, { pageSize: 5, offset: 1 }))).toEqual(all.slice(1));
    expect(rpc.sent("history").map((r) => [r.offset, r.limit])).toEqual([
      [1n, 5],
      [6n, 5],
      [11n, 5],
      [16n, 5],
      [21n, 5],
    ]);
    expect(await values(client.history(key, { pageSize: 4, desc: true, limit: 6 }))).toEqual([
      "v23",
      "v22",
      "v21",
      "v20",
      "v19",
      "v18",
    ]);
  });

  it("desc paging drops revisions seen already when new ones arrive between pages", async () => {
    const p = ns();
    const key = `${p}k`;
    for (let i = 1; i <= 6; i++) await client.set(key, `v${i}`);
    const seen: string[] = [];
    for await (const e of client.history(key, { desc: true, pageSize: 2 })) {
      seen.push(str(e.value) ?? "");
      if (seen.length === 2) await client.set(key, "v7"); // shifts every later offset by one
    }
    expect(seen).toEqual(["v6", "v5", "v4", "v3", "v2", "v1"]);
  });

  it("yields nothing for a key never written; sends sinceTx", async () => {
    expect(await client.history(`${ns()}never`).toArray(10)).toEqual([]);
    const err = await rejects(client.history("x", { sinceTx: 1n << 40n }).toArray(1));
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(() => client.history("")).toThrow(InvalidArgumentError);
    expect(() => client.history("k", { offset: -1 })).toThrow(InvalidArgumentError);
  });
});

describe("scan", () => {
  const p = "scan6k:";
  let keys: string[];
  beforeAll(async () => {
    keys = await writeKeys(p, 6000);
  });

  it("returns all 6,000 keys in order across 2,500-entry pages", async () => {
    const rpc = spyRpcs();
    const got: string[] = [];
    for await (const e of client.scan({ prefix: p })) got.push(str(e.key) ?? "");
    expect(got).toEqual(keys);
    // 2500 + 2500 + 1000, then an empty page ends it
    expect(rpc.sent("scan").map((r) => r.limit)).toEqual([2500n, 2500n, 2500n, 2500n]);
    expect(rpc.sent("scan").map((r) => [str(r.seekKey as Uint8Array), r.inclusiveSeek])).toEqual([
      ["", false],
      [keys[2499], false],
      [keys[4999], false],
      [keys[5999], false],
    ]);
    const desc = await client.scan({ prefix: p, desc: true }).toArray(Number.POSITIVE_INFINITY);
    expect(keysOf(desc)).toEqual([...keys].reverse());
  });

  it("stops fetching when the loop breaks", async () => {
    const rpc = spyRpcs();
    let n = 0;
    for await (const _ of client.scan({ prefix: p, pageSize: 10 })) if (++n === 15) break;
    expect(rpc.sent("scan")).toHaveLength(2);
    n = 0;
    for await (const _ of client.scan({ prefix: p })) if (++n === 3) break;
    expect(rpc.sent("scan")).toHaveLength(3);
  });

  it("toArray(max) and limit ask the server for no more than needed", async () => {
    const rpc = spyRpcs();
    expect(keysOf(await client.scan({ prefix: p }).toArray(3))).toEqual(keys.slice(0, 3));
    expect(keysOf(await client.scan({ prefix: p, limit: 2600 }).toArray(Number.POSITIVE_INFINITY))).toEqual(
      keys.slice(0, 2600),
    );
    expect(await client.scan({ prefix: p }).toArray(0)).toEqual([]);
    expect(await client.scan({ prefix: p, limit: 0 }).toArray(10)).toEqual([]);
    expect(rpc.sent("scan").map((r) => r.limit)).toEqual([3n, 2500n, 100n]);
    await expect(client.scan({ prefix: p }).toArray(-1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.scan({ prefix: p }).toArray(1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("seekKey/inclusiveSeek, endKey/inclusiveEnd, offset, desc", async () => {
    const k = (i: number) => keys[i] as string;
    const scanKeys = async (o: Parameters<ImmudbClient["scan"]>[0]) =>
      keysOf(await client.scan({ prefix: p, ...o }).toArray(100));
    expect(await scanKeys({ seekKey: k(10), limit: 2 })).toEqual([k(11), k(12)]);
    expect(await scanKeys({ seekKey: k(10), inclusiveSeek: true, limit: 2 })).toEqual([k(10), k(11)]);
    expect(await scanKeys({ seekKey: k(10), endKey: k(13) })).toEqual([k(11), k(12)]);
    expect(await scanKeys({ seekKey: k(10), endKey: k(13), inclusiveEnd: true })).toEqual([
      k(11),
      k(12),
      k(13),
    ]);
    expect(await scanKeys({ endKey: k(2) })).toEqual([k(0), k(1)]);
    expect(await scanKeys({ offset: 5990 })).toEqual(keys.slice(5990));
    expect(await scanKeys({ offset: 3, limit: 2 })).toEqual([k(3), k(4)]);
    expect(await scanKeys({ desc: true, seekKey: k(10), limit: 2 })).toEqual([k(9), k(8)]);
    expect(await scanKeys({ desc: true, seekKey: k(10), endKey: k(7) })).toEqual([k(9), k(8)]);
    // offset applies to the first page only, later pages continue after the last key
    expect(await scanKeys({ offset: 2, pageSize: 3, limit: 7 })).toEqual(keys.slice(2, 9));
  });

  it("sends sinceTx and noWait; checks options synchronously", async () => {
    const err = await rejects(client.scan({ prefix: p, sinceTx: 1n << 40n }).toArray(1));
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    const rpc = spyRpcs();
    const st = await client.currentState();
    await client.scan({ prefix: p, noWait: true, sinceTx: st.txId }).toArray(1);
    expect(rpc.sent("scan")[0]).toMatchObject({ noWait: true, sinceTx: st.txId });
    expect(() => client.scan({ limit: -1 })).toThrow(InvalidArgumentError);
    expect(() => client.scan({ pageSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => client.scan({ pageSize: 2501 })).toThrow(InvalidArgumentError);
    expect(() => client.scan({ offset: -3 })).toThrow(InvalidArgumentError);
    expect(() => client.scan({ seekKey: "" })).toThrow(InvalidArgumentError);
    expect(() => client.scan({ prefix: "p".repeat(1024) })).toThrow(InvalidArgumentError);
    // @ts-expect-error sinceTx is a bigint
    expect(() => client.scan({ sinceTx: 5 })).toThrow(InvalidArgumentError);
    expect(rpc.sent("scan")).toHaveLength(1);
  });

  it("applies the call options to each page's RPC", async () => {
    const err = await rejects(client.scan({ prefix: p, signal: AbortSignal.abort() }).toArray(1));
    expect(err).toMatchObject({ name: "AbortError" });
    const ac = new AbortController();
    const got: string[] = [];
    const stopped = await rejects(
      (async () => {
        for await (const e of client.scan({ prefix: p, pageSize: 5, signal: ac.signal })) {
          got.push(str(e.key) ?? "");
          if (got.length === 5) ac.abort();
        }
      })(),
    );
    expect(stopped).toMatchObject({ name: "AbortError" });
    expect(got).toEqual(keys.slice(0, 5));
  });

  it("follows references and pages past them by the reference key", async () => {
    const q = ns();
    await client.setAll([
      { key: `${q}a`, value: "A" },
      { key: `${q}c`, value: "C" },
      { key: `${q}e`, value: "E" },
    ]);
    await client.setReference(`${q}b`, `${q}e`);
    await client.setReference(`${q}d`, `${q}a`);
    const one = await client.scan({ prefix: q, pageSize: 1 }).toArray(100);
    expect(one.map((e) => [str(e.referencedBy?.key ?? e.key), str(e.value)])).toEqual([
      [`${q}a`, "A"],
      [`${q}b`, "E"],
      [`${q}c`, "C"],
      [`${q}d`, "A"],
      [`${q}e`, "E"],
    ]);
    // a reference to a deleted key is skipped by the server but still counted against the page: a short page
    // is not the end
    await client.delete(`${q}e`);
    const rpc = spyRpcs();
    const after = await client.scan({ prefix: q, pageSize: 2 }).toArray(100);
    expect(after.map((e) => str(e.referencedBy?.key ?? e.key))).toEqual([`${q}a`, `${q}c`, `${q}d`]);
    expect(rpc.sent("scan").length).toBeGreaterThanOrEqual(3);
  });
});

describe("count and countAll", () => {
  it("count keys in the index, deleted ones and references included", async () => {
    const p = ns();
    await client.setAll([
      { key: `${p}a`, value: "1" },
      { key: `${p}b`, value: "2" },
      { key: `${p}c`, value: "3" },
    ]);
    expect(await client.count(p)).toBe(3n);
    expect(await client.count(`${p}a`)).toBe(1n);
    expect(await client.count(enc.encode(`${p}zz`))).toBe(0n);
    await client.setReference(`${p}r`, `${p}a`);
    await client.delete(`${p}b`);
    expect(await client.count(p)).toBe(4n);
    const all = await client.countAll();
    expect(all).toBeGreaterThanOrEqual(4n);
    expect(await client.count("")).toBe(all);
    await client.set(`${p}d`, "4");
    expect(await client.countAll()).toBe(all + 1n);
    // @ts-expect-error a prefix is required
    await expect(client.count()).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("setReference", () => {
  it("resolves to the latest value, or to the value at atTx when bound", async () => {
    const p = ns();
    const h1 = await client.set(`${p}target`, "v1");
    await client.set(`${p}target`, "v2");
    const rpc = spyRpcs();
    const hr = await client.setReference(`${p}latest`, `${p}target`);
    await client.setReference(`${p}bound`, `${p}target`, { atTx: h1.id });
    expect(rpc.sent("setReference").map((r) => [r.atTx, r.boundRef])).toEqual([
      [0n, false],
      [h1.id, true],
    ]);
    const latest = await client.get(`${p}latest`);
    expect(str(latest?.value)).toBe("v2");
    expect(str(latest?.key)).toBe(`${p}target`);
    expect(str(latest?.referencedBy?.key)).toBe(`${p}latest`);
    expect(latest?.referencedBy?.tx).toBe(hr.id);
    expect(latest?.referencedBy?.atTx).toBe(0n);
    const bound = await client.get(`${p}bound`);
    expect(str(bound?.value)).toBe("v1");
    expect(bound?.referencedBy?.atTx).toBe(h1.id);
    await client.set(`${p}target`, "v3");
    expect(str((await client.get(`${p}latest`))?.value)).toBe("v3");
    expect(str((await client.get(`${p}bound`))?.value)).toBe("v1");
  });

  it("sends preconditions and noWait; reports the server's refusals", async () => {
    const p = ns();
    await client.set(`${p}t`, "v");
    const failed = await rejects(
      client.setReference(`${p}r`, `${p}t`, { preconditions: [{ type: "mustExist", key: `${p}nope` }] }),
    );
    expect(failed).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await client.get(`${p}r`)).toBeUndefined();
    const rpc = spyRpcs();
    await client.setReference(`${p}r`, `${p}t`, { noWait: true });
    expect(rpc.sent("setReference")[0]?.noWait).toBe(true);
    expect(await rejects(client.setReference(`${p}r2`, `${p}missing`))).toMatchObject({
      code: "KEY_NOT_FOUND",
    });
    const final = await rejects(client.setReference(`${p}r2`, `${p}r`));
    expect((final as ServerError).details.message).toBe("referenced key cannot be a reference");
    await client.set(`${p}plain`, "x");
    const plain = await rejects(client.setReference(`${p}plain`, `${p}t`));
    expect((plain as ServerError).details.message).toBe("final key cannot be converted into a reference");
    // @ts-expect-error atTx is a bigint
    await expect(client.setReference(`${p}r3`, `${p}t`, { atTx: 1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe("zAdd and zScan", () => {
  const scores: Record<string, number> = {
    a: 1,
    b: -1,
    c: -5.5,
    d: 0.25,
    e: 3,
    f: -0.5,
    g: 0,
    h: 1e-9,
    i: -1e-9,
    j: 1e300,
    k: -1e300,
  };
  const ascending = Object.entries(scores)
    .sort((x, y) => x[1] - y[1])
    .map(([k]) => k);
  let set: string;
  let p: string;
  const members = (es: readonly ZScanEntry[]) => es.map((e) => str(e.key)?.slice(p.length));

  beforeAll(async () => {
    p = ns();
    set = `${p}set`;
    await client.setAll(Object.keys(scores).map((k) => ({ key: `${p}${k}`, value: `val-${k}` })));
    for (const [k, s] of Object.entries(scores)) await client.zAdd(set, s, `${p}${k}`);
  });

  it("returns members in numeric score order, negative and fractional scores included", async () => {
    const asc = await client.zScan(set).toArray(100);
    expect(members(asc)).toEqual(ascending);
    expect(asc.map((e) => e.score)).toEqual(ascending.map((k) => scores[k]));
    expect(str(asc[0]?.entry.value)).toBe("val-k");
    expect(str(asc[0]?.set)).toBe(set);
    const desc = await client.zScan(set, { desc: true }).toArray(100);
    expect(members(desc)).toEqual([...ascending].reverse());
    // the same with tiny pages
    expect(members(await client.zScan(set, { pageSize: 1 }).toArray(100))).toEqual(ascending);
    expect(members(await client.zScan(set, { pageSize: 2, desc: true }).toArray(100))).toEqual(
      [...ascending].reverse(),
    );
  });

  it("minScore/maxScore are inclusive numeric bounds; unset bounds are not sent", async () => {
    const between = (lo: number, hi: number) => ascending.filter((k) => scores[k]! >= lo && scores[k]! <= hi);
    const cases: Array<[number | undefined, number | undefined]> = [
      [-1, 1],
      [-1, undefined],
      [undefined, -0.5],
      [0, undefined],
      [undefined, 0],
      [0.25, 3],
      [-5.5, -1],
      [-1e-9, 1e-9],
      [2, 1],
    ];
    for (const [lo, hi] of cases) {
      const o = {
        ...(lo !== undefined ? { minScore: lo } : {}),
        ...(hi !== undefined ? { maxScore: hi } : {}),
      };
      const want = between(lo ?? Number.NEGATIVE_INFINITY, hi ?? Number.POSITIVE_INFINITY);
      expect(members(await client.zScan(set, o).toArray(100)), JSON.stringify(o)).toEqual(want);
      expect(
        members(await client.zScan(set, { ...o, desc: true }).toArray(100)),
        `desc ${JSON.stringify(o)}`,
      ).toEqual([...want].reverse());
    }
    // the caller's bound is sent as given (0 is not dropped as falsy), narrowed to each score range read
    const rpc = spyRpcs();
    await client.zScan(set, { minScore: 0 }).toArray(100);
    expect(rpc.sent("zScan").map((r) => [r.minScore, r.maxScore])).toEqual([
      [{ score: 0 }, { score: -0 }], // members scored -0 (== 0)
      [{ score: 0 }, undefined], // non-negative members
      [{ score: 0 }, undefined], // the empty page that ends them
    ]);
  });

  it("limit, offset, toArray and break bound the RPCs", async () => {
    expect(members(await client.zScan(set, { limit: 3 }).toArray(100))).toEqual(ascending.slice(0, 3));
    expect(members(await client.zScan(set, { offset: 4 }).toArray(100))).toEqual(ascending.slice(4));
    expect(members(await client.zScan(set, { offset: 2, limit: 3, desc: true }).toArray(100))).toEqual(
      [...ascending].reverse().slice(2, 5),
    );
    expect(members(await client.zScan(set, { offset: 99 }).toArray(100))).toEqual([]);
    const rpc = spyRpcs();
    let n = 0;
    for await (const _ of client.zScan(set, { pageSize: 2 })) if (++n === 3) break;
    // one (empty) page for -Infinity members, then two pages of negative scores
    expect(rpc.sent("zScan")).toHaveLength(3);
    n = 0;
    for await (const _ of client.zScan(set, { pageSize: 2, minScore: 0 })) if (++n === 3) break;
    expect(rpc.sent("zScan")).toHaveLength(3 + 3); // -0 members, then two pages
    expect(members(await client.zScan(set).toArray(2))).toEqual(ascending.slice(0, 2));
    expect(rpc.sent("zScan").at(-1)?.limit).toBe(2n);
  });

  it("resumes after a member with seekKey/seekScore/seekAtTx, inclusively or not", async () => {
    const all = await client.zScan(set).toArray(100);
    for (const i of [0, 2, 5, 7, 10]) {
      const m = all[i]!;
      const resume = { seekKey: m.key, seekScore: m.score, seekAtTx: m.atTx };
      expect(members(await client.zScan(set, resume).toArray(100)), `after ${i}`).toEqual(
        ascending.slice(i + 1),
      );
      expect(members(await client.zScan(set, { ...resume, inclusiveSeek: true }).toArray(100))).toEqual(
        ascending.slice(i),
      );
      const rev = [...ascending].reverse();
      const j = rev.indexOf(ascending[i]!);
      expect(
        members(await client.zScan(set, { ...resume, desc: true }).toArray(100)),
        `desc after ${i}`,
      ).toEqual(rev.slice(j + 1));
    }
  });

  it("seekAtTx tells apart members of the same key and score bound at different transactions", async () => {
    const q = ns();
    const h1 = await client.set(`${q}k`, "v1");
    const h2 = await client.set(`${q}k`, "v2");
    const h3 = await client.set(`${q}k`, "v3");
    for (const h of [h1, h2, h3]) await client.zAdd(`${q}set`, 5, `${q}k`, { atTx: h.id });
    const all = await client.zScan(`${q}set`).toArray(10);
    expect(all.map((e) => [e.atTx, str(e.entry.value)])).toEqual([
      [h1.id, "v1"],
      [h2.id, "v2"],
      [h3.id, "v3"],
    ]);
    const after = await client
      .zScan(`${q}set`, { seekKey: `${q}k`, seekScore: 5, seekAtTx: h1.id })
      .toArray(10);
    expect(after.map((e) => e.atTx)).toEqual([h2.id, h3.id]);
    // and through pages of one
    expect((await client.zScan(`${q}set`, { pageSize: 1 }).toArray(10)).map((e) => e.atTx)).toEqual([
      h1.id,
      h2.id,
      h3.id,
    ]);
  });

  it("bound members (atTx) keep the value of that transaction; unbound ones follow the key", async () => {
    const q = ns();
    const h1 = await client.set(`${q}k`, "old");
    await client.set(`${q}k`, "new");
    const rpc = spyRpcs();
    await client.zAdd(`${q}set`, 1, `${q}k`, { atTx: h1.id });
    await client.zAdd(`${q}set`, 2, `${q}k`, { noWait: true });
    expect(rpc.sent("zAdd").map((r) => [r.atTx, r.boundRef, r.noWait])).toEqual([
      [h1.id, true, false],
      [0n, false, true],
    ]);
    const got = await client.zScan(`${q}set`).toArray(10);
    expect(got.map((e) => [e.score, e.atTx, str(e.entry.value)])).toEqual([
      [1, h1.id, "old"],
      [2, 0n, "new"],
    ]);
  });

  it("returns ±Infinity members (written by other clients) at the ends", async () => {
    const q = ns();
    await client.setAll(["pinf", "ninf", "zero", "neg"].map((k) => ({ key: `${q}${k}`, value: k })));
    const ctx = new ClientContext((await import("../../src/options.js")).resolveOptions(server.url));
    try {
      for (const [k, s] of [
        ["pinf", Number.POSITIVE_INFINITY],
        ["ninf", Number.NEGATIVE_INFINITY],
        ["zero", 0],
        ["neg", -2],
      ] as const) {
        await ctx.unary(ImmuService.method.zAdd, {
          set: enc.encode(`${q}set`),
          score: s,
          key: enc.encode(`${q}${k}`),
        });
      }
    } finally {
      await ctx.close();
    }
    const order = async (o: Parameters<ImmudbClient["zScan"]>[1]) =>
      (await client.zScan(`${q}set`, o).toArray(10)).map((e) => str(e.key)?.slice(q.length));
    expect(await order({})).toEqual(["ninf", "neg", "zero", "pinf"]);
    expect(await order({ desc: true })).toEqual(["pinf", "zero", "neg", "ninf"]);
    expect(await order({ minScore: -1 })).toEqual(["zero", "pinf"]);
    expect(await order({ maxScore: -1, desc: true })).toEqual(["neg", "ninf"]);
    expect(await order({ minScore: Number.NEGATIVE_INFINITY, maxScore: Number.NEGATIVE_INFINITY })).toEqual([
      "ninf",
    ]);
    expect(await order({ minScore: Number.POSITIVE_INFINITY, desc: true })).toEqual(["pinf"]);
  });

  it("sends sinceTx and noWait; rejects bad arguments before any RPC", async () => {
    const err = await rejects(client.zScan(set, { sinceTx: 1n << 40n }).toArray(1));
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    const rpc = spyRpcs();
    const st = await client.currentState();
    await client.zScan(set, { noWait: true, sinceTx: st.txId }).toArray(1);
    expect(rpc.sent("zScan")[0]).toMatchObject({ noWait: true, sinceTx: st.txId });
    const before = rpc.total();
    expect(() => client.zScan(set, { seekScore: 1 })).toThrow(InvalidArgumentError);
    expect(() => client.zScan(set, { inclusiveSeek: true })).toThrow(InvalidArgumentError);
    expect(() => client.zScan(set, { minScore: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => client.zScan("")).toThrow(InvalidArgumentError);
    expect(() => client.zScan(set, { limit: -1 })).toThrow(InvalidArgumentError);
    for (const s of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await expect(client.zAdd(set, s, `${p}a`)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    // @ts-expect-error a score is a number
    await expect(client.zAdd(set, 1n, `${p}a`)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(rpc.total()).toBe(before);
    expect(await rejects(client.zAdd(set, 1, `${p}never-set`))).toMatchObject({ code: "KEY_NOT_FOUND" });
  });
});

describe("execAll", () => {
  it("writes set, ref and zAdd operations in one transaction, each Op with exactly one case", async () => {
    const p = ns();
    const h0 = await client.set(`${p}old`, "o1");
    await client.set(`${p}old`, "o2");
    const rpc = spyRpcs();
    const h = await client.execAll([
      { type: "set", key: `${p}k`, value: "v" },
      { type: "set", key: `${p}tmp`, value: "t", expiresAt: 1n },
      { type: "set", key: `${p}hidden`, value: "h", nonIndexable: true },
      { type: "ref", key: `${p}alias`, referencedKey: `${p}k` },
      { type: "ref", key: `${p}pinned`, referencedKey: `${p}old`, atTx: h0.id },
      { type: "zAdd", set: `${p}set`, score: -2.5, key: `${p}k` },
      { type: "zAdd", set: `${p}set`, score: 7, key: `${p}old`, atTx: h0.id },
    ]);
    expect(h.nEntries).toBe(7);
    const req = rpc.sent("execAll")[0] as {
      Operations: Array<{ operation: { case: string; value: object } }>;
    };
    expect(req.Operations.map((o) => o.operation.case)).toEqual([
      "kv",
      "kv",
      "kv",
      "ref",
      "ref",
      "zAdd",
      "zAdd",
    ]);
    expect(req.Operations.map((o) => (o.operation.value as { boundRef?: boolean }).boundRef)).toEqual([
      undefined,
      undefined,
      undefined,
      false,
      true,
      false,
      true,
    ]);
    expect(str((await client.get(`${p}alias`))?.value)).toBe("v");
    expect(str((await client.get(`${p}pinned`))?.value)).toBe("o1");
    expect(await client.get(`${p}tmp`)).toBeUndefined();
    expect(await client.get(`${p}hidden`)).toBeUndefined();
    const raw = await client.txById(h.id, { entries: "raw" });
    expect(raw.entries.find((e) => str(e.key) === `${p}hidden`)?.metadata?.nonIndexable).toBe(true);
    // the server leaves expired entries out of "raw" (their value is gone) but not out of "digest"
    expect(raw.entries.find((e) => str(e.key) === `${p}tmp`)).toBeUndefined();
    const digest = await client.txById(h.id, { entries: "digest" });
    expect(digest.entries).toHaveLength(7);
    expect(digest.entries.find((e) => str(e.key) === `${p}tmp`)?.metadata?.expiresAt).toBe(1n);
    const z = await client.zScan(`${p}set`).toArray(10);
    expect(z.map((e) => [e.score, str(e.entry.value)])).toEqual([
      [-2.5, "v"],
      [7, "o1"],
    ]);
    const tx = await client.txById(h.id);
    // resolved mode: the expired entry is left out, the non-indexable one is not
    expect(tx.kvEntries.map((e) => str(e.referencedBy?.key ?? e.key))).toEqual([
      `${p}k`,
      `${p}hidden`,
      `${p}alias`,
      `${p}pinned`,
    ]);
    expect(tx.zEntries).toHaveLength(2);
  });

  it("is atomic: a failing precondition writes nothing", async () => {
    const p = ns();
    await client.set(`${p}base`, "b");
    const err = await rejects(
      client.execAll(
        [
          { type: "set", key: `${p}k`, value: "v" },
          { type: "ref", key: `${p}alias`, referencedKey: `${p}base` },
          { type: "zAdd", set: `${p}set`, score: 1, key: `${p}base` },
        ],
        { preconditions: [{ type: "mustExist", key: `${p}absent` }] },
      ),
    );
    expect(err).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await client.get(`${p}k`)).toBeUndefined();
    expect(await client.get(`${p}alias`)).toBeUndefined();
    expect(await client.zScan(`${p}set`).toArray(10)).toEqual([]);
    // and a failing operation too (reference to a missing key)
    const bad = await rejects(
      client.execAll([
        { type: "set", key: `${p}k2`, value: "v" },
        { type: "ref", key: `${p}alias2`, referencedKey: `${p}missing` },
      ]),
    );
    expect(bad).toMatchObject({ code: "KEY_NOT_FOUND" });
    expect(await client.get(`${p}k2`)).toBeUndefined();
    // the precondition passing writes everything
    await client.execAll([{ type: "set", key: `${p}k`, value: "v" }], {
      preconditions: [{ type: "mustExist", key: `${p}base` }],
    });
    expect(str((await client.get(`${p}k`))?.value)).toBe("v");
  });

  it("sends noWait; rejects bad operations before any RPC", async () => {
    const p = ns();
    const rpc = spyRpcs();
    await client.execAll([{ type: "set", key: `${p}a`, value: "1" }], { noWait: true });
    expect(rpc.sent("execAll")[0]?.noWait).toBe(true);
    const before = rpc.total();
    const bad: unknown[] = [
      [],
      [{ type: "nope", key: "k", value: "v" }],
      [
        { type: "set", key: "k", value: "1" },
        { type: "ref", key: "k", referencedKey: "x" },
      ],
      [
        { type: "zAdd", set: "s", score: 1, key: "k" },
        { type: "zAdd", set: "s", score: 2, key: "k" },
      ],
      [{ type: "zAdd", set: "s", score: Number.POSITIVE_INFINITY, key: "k" }],
      [{ type: "ref", key: "k", referencedKey: "" }],
      [{ type: "ref", key: "k", referencedKey: "x", atTx: 3 }],
      Array.from({ length: 1025 }, (_, i) => ({ type: "set", key: `k${i}`, value: "v" })),
      "not an array",
    ];
    for (const ops of bad) {
      await expect(client.execAll(ops as never), JSON.stringify(ops).slice(0, 80)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    expect(rpc.total()).toBe(before);
    // the same member in two sets, or bound at two transactions, is fine
    await client.set(`${p}m`, "m");
    const h = await client.execAll([
      { type: "zAdd", set: `${p}s1`, score: 1, key: `${p}m` },
      { type: "zAdd", set: `${p}s2`, score: 1, key: `${p}m` },
    ]);
    expect(h.nEntries).toBe(2);
  });
});

describe("txById and txScan", () => {
  let p: string;
  let hKv: bigint;
  let hRef: bigint;
  let hZ: bigint;
  let hDel: bigint;
  beforeAll(async () => {
    p = ns();
    hKv = (
      await client.setAll([
        { key: `${p}a`, value: "A" },
        { key: `${p}b`, value: "B" },
      ])
    ).id;
    hRef = (await client.setReference(`${p}r`, `${p}a`)).id;
    hZ = (await client.zAdd(`${p}set`, 1.5, `${p}a`)).id;
    hDel = (await client.delete(`${p}b`)).id;
  });

  it("txById resolved (default): key-value entries with values, references followed, members", async () => {
    const tx = await client.txById(hKv);
    expect(tx.header.id).toBe(hKv);
    expect(tx.header.nEntries).toBe(2);
    expect(tx.kvEntries.map((e) => [str(e.key), str(e.value)])).toEqual([
      [`${p}a`, "A"],
      [`${p}b`, "B"],
    ]);
    expect(tx.entries).toEqual([]);
    const ref = await client.txById(hRef);
    expect(str(ref.kvEntries[0]?.value)).toBe("A");
    expect(str(ref.kvEntries[0]?.referencedBy?.key)).toBe(`${p}r`);
    const z = await client.txById(hZ);
    expect(z.zEntries.map((e) => [str(e.set), str(e.key), e.score])).toEqual([[`${p}set`, `${p}a`, 1.5]]);
    expect(str(z.zEntries[0]?.entry?.value)).toBe("A");
    // a deletion is left out by the server in resolved mode, but counted in the header
    const del = await client.txById(hDel);
    expect(del.kvEntries).toEqual([]);
    expect(del.header.nEntries).toBe(1);
  });

  it("keepReferencesUnresolved leaves references and members unresolved", async () => {
    const rpc = spyRpcs();
    const ref = await client.txById(hRef, { keepReferencesUnresolved: true });
    expect(rpc.sent("txById")[0]?.keepReferencesUnresolved).toBe(true);
    expect(ref.kvEntries[0]?.value).toHaveLength(0);
    expect(str(ref.kvEntries[0]?.key)).toBe(`${p}a`);
    expect(str(ref.kvEntries[0]?.referencedBy?.key)).toBe(`${p}r`);
    const z = await client.txById(hZ, { keepReferencesUnresolved: true });
    expect(z.zEntries[0]?.entry).toBeUndefined();
  });

  it("raw, digest and exclude modes", async () => {
    const raw = await client.txById(hKv, { entries: "raw" });
    expect(raw.kvEntries).toEqual([]);
    expect(
      raw.entries.map((e) => [e.kind, str(e.key), e.value?.[0], str(e.value?.subarray(1)), e.valueLength]),
    ).toEqual([
      ["kv", `${p}a`, 0, "A", 2],
      ["kv", `${p}b`, 0, "B", 2],
    ]);
    expect(raw.entries[0]?.storedKey[0]).toBe(0);
    expect(raw.entries[0]?.hValue).toHaveLength(32);
    const del = await client.txById(hDel, { entries: "raw" });
    expect(del.entries[0]?.metadata?.deleted).toBe(true);
    const z = await client.txById(hZ, { entries: "raw" });
    expect(z.entries[0]?.kind).toBe("zset");
    const digest = await client.txById(hKv, { entries: "digest" });
    expect(digest.entries.map((e) => [str(e.key), e.value, e.valueLength])).toEqual([
      [`${p}a`, undefined, 2],
      [`${p}b`, undefined, 2],
    ]);
    expect(digest.entries[0]?.hValue).toEqual(raw.entries[0]?.hValue);
    const none = await client.txById(hKv, { entries: "exclude" });
    expect([none.entries, none.kvEntries, none.zEntries]).toEqual([[], [], []]);
    expect(none.header).toEqual(raw.header);
  });

  it("txById rejects unknown and bad ids, sends sinceTx/noWait", async () => {
    const err = await rejects(client.txById(1n << 40n));
    expect(err).toMatchObject({ code: "TX_NOT_FOUND" });
    expect((err as ServerError).details.message).toBe("tx not found");
    const rpc = spyRpcs();
    await expect(client.txById(0n)).rejects.toBeInstanceOf(InvalidArgumentError);
    // @ts-expect-error a tx id is a bigint
    await expect(client.txById(5)).rejects.toBeInstanceOf(InvalidArgumentError);
    // @ts-expect-error unknown mode
    await expect(client.txById(hKv, { entries: "all" })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(rpc.total()).toBe(0);
    expect(await rejects(client.txById(hKv, { sinceTx: 1n << 40n }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await client.txById(hKv, { noWait: true, sinceTx: hKv });
    expect(rpc.sent("txById").at(-1)).toMatchObject({ noWait: true, sinceTx: hKv });
  });

  it("txScan pages by transaction id, ascending and descending", async () => {
    const rpc = spyRpcs();
    const asc = await client.txScan({ initialTx: hKv, limit: 4, pageSize: 3 }).toArray(100);
    expect(asc.map((t) => t.header.id)).toEqual([hKv, hKv + 1n, hKv + 2n, hKv + 3n]);
    expect(rpc.sent("txScan").map((r) => [r.initialTx, r.limit])).toEqual([
      [hKv, 3],
      [hKv + 3n, 1],
    ]);
    expect(str(asc[0]?.kvEntries[1]?.value)).toBe("B");
    const desc = await client.txScan({ initialTx: hDel, desc: true, limit: 4, pageSize: 2 }).toArray(100);
    expect(desc.map((t) => t.header.id)).toEqual([hDel, hDel - 1n, hDel - 2n, hDel - 3n]);
    // without initialTx, desc starts at the last committed transaction
    const st = await client.currentState();
    const last = await client.txScan({ desc: true }).toArray(1);
    expect(last[0]?.header.id).toBe(st.txId);
    // ascending from 1 covers every transaction, over pages
    const everything = await client
      .txScan({ entries: "exclude", pageSize: 1000 })
      .toArray(Number.POSITIVE_INFINITY);
    expect(everything.length).toBeGreaterThanOrEqual(Number(st.txId));
    expect(everything.map((t) => t.header.id).slice(0, 3)).toEqual([1n, 2n, 3n]);
    // desc down to tx 1 ends without asking for tx 0
    const tail = await client.txScan({ initialTx: 3n, desc: true, pageSize: 2 }).toArray(100);
    expect(tail.map((t) => t.header.id)).toEqual([3n, 2n, 1n]);
  });

  it("txScan entries modes, break, sinceTx/noWait and argument checks", async () => {
    const raw = await client.txScan({ initialTx: hKv, limit: 1, entries: "raw" }).toArray(1);
    expect(str(raw[0]?.entries[0]?.value?.subarray(1))).toBe("A");
    const digest = await client.txScan({ initialTx: hKv, limit: 1, entries: "digest" }).toArray(1);
    expect(digest[0]?.entries[0]?.value).toBeUndefined();
    const none = await client.txScan({ initialTx: hKv, limit: 1, entries: "exclude" }).toArray(1);
    expect(none[0]?.entries).toEqual([]);
    expect(none[0]?.kvEntries).toEqual([]);
    const rpc = spyRpcs();
    let n = 0;
    for await (const _ of client.txScan({ pageSize: 2 })) if (++n === 3) break;
    expect(rpc.sent("txScan")).toHaveLength(2);
    expect(await rejects(client.txScan({ sinceTx: 1n << 40n }).toArray(1))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await client.txScan({ noWait: true, sinceTx: hKv, initialTx: hKv }).toArray(1);
    expect(rpc.sent("txScan").at(-1)).toMatchObject({ noWait: true, sinceTx: hKv });
    expect(() => client.txScan({ initialTx: 0n })).toThrow(InvalidArgumentError);
    // @ts-expect-error a tx id is a bigint
    expect(() => client.txScan({ initialTx: 1 })).toThrow(InvalidArgumentError);
    expect(() => client.txScan({ limit: -2 })).toThrow(InvalidArgumentError);
    // beyond the last transaction: nothing
    expect(await client.txScan({ initialTx: 1n << 40n }).toArray(10)).toEqual([]);
  });
});
