import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  copyTransactions,
  decodeExportedTx,
  ImmudbClient,
  InvalidArgumentError,
  ServerError,
  VerificationError,
} from "../../src/index.js";
import { concat, encodeMessage, getU64 } from "../../src/ops/stream-framing.js";
import { alh } from "../../src/verify/index.js";
import { createDatabase } from "../harness/create-database.js";
import { startGrpcProxy } from "../harness/grpc-proxy.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const text = new TextDecoder();
const MiB = 1024 * 1024;

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

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

let primary: ImmudbServer;
let secondary: ImmudbServer;
let source: ImmudbClient;
let copy: ImmudbClient;

beforeAll(async () => {
  [primary, secondary] = await Promise.all([startImmudb(), startImmudb()]);
  await createDatabase(primary, "ledger");
  // A replica database with no primary configured: it replicates nothing by itself, and accepts replicateTx.
  await createDatabase(secondary, "ledgercopy", { replicationSettings: { replica: { value: true } } });
  await createDatabase(secondary, "plaincopy");
  source = await ImmudbClient.connect({ host: primary.host, port: primary.port, database: "ledger" });
  copy = await ImmudbClient.connect({ host: secondary.host, port: secondary.port, database: "ledgercopy" });

  // A history with every kind of entry a key-value user makes.
  await source.set("k1", "v1");
  await source.verifiedSet("k2", "v2", { expiresAt: BigInt(Math.floor(Date.now() / 1000) + 3600) });
  await source.setAll([
    { key: "k3", value: "v3" },
    { key: "k4", value: "v4", nonIndexable: true },
  ]);
  await source.verifiedSetReference("alias", "k1");
  await source.verifiedZAdd("set", 1.5, "k3");
  await source.streamSet("big", pattern(5 * MiB, 1));
  await source.streamExecAll([
    { type: "set", key: "k5", value: "v5" },
    { type: "zAdd", set: "set", score: 3, key: "k5" },
  ]);
});

afterAll(async () => {
  await copy?.close();
  await source?.close();
  await Promise.all([primary?.dispose(), secondary?.dispose()]);
});

describe("exportTx / replicateTx", () => {
  it("exportTx returns a transaction that decodes and hashes to the source's proven header", async () => {
    const bytes = await source.exportTx(1n);
    const tx = decodeExportedTx(bytes);
    expect(tx.header.id).toBe(1n);
    expect(tx.entries).toHaveLength(1);
    expect(text.decode(tx.entries[0]?.key.subarray(1))).toBe("k1");
    expect(text.decode(tx.entries[0]?.value.subarray(1))).toBe("v1"); // stored value: prefix byte 0, then v1
    const proven = await source.verifiedTxById(1n);
    expect(tx.alh).toEqual(alh(proven.header));
    const md = decodeExportedTx(await source.exportTx(2n));
    expect(md.entries[0]?.metadata?.expiresAt).toBeGreaterThan(0n);
  });

  it("decodeExportedTx rejects a transaction whose entries were altered", async () => {
    const bytes = await source.exportTx(3n);
    // the format ends with u16(1) ‖ truncated flag: flip the last byte of the last value, then the flag
    for (const at of [bytes.length - 4, bytes.length - 1]) {
      const altered = bytes.slice();
      altered[at] = (altered[at] ?? 0) ^ 1;
      expect(() => decodeExportedTx(altered)).toThrow(VerificationError);
    }
    expect(() => decodeExportedTx(bytes.subarray(0, 20))).toThrow(VerificationError);
    expect(() => decodeExportedTx(concat([bytes, Uint8Array.of(0)]))).toThrow(VerificationError);
  });

  it("replicateTx applies the next transaction to a replica database; other databases refuse it", async () => {
    const bytes = await source.exportTx(1n);
    const header = await copy.replicateTx(bytes, { waitForIndexing: true });
    expect(header.id).toBe(1n);
    expect(alh(header)).toEqual(decodeExportedTx(bytes).alh);
    expect(text.decode((await copy.get("k1"))?.value)).toBe("v1");

    const plain = await ImmudbClient.connect({
      host: secondary.host,
      port: secondary.port,
      database: "plaincopy",
    });
    try {
      const err = await plain.replicateTx(bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServerError);
      expect((err as Error).message).toMatch(/not a replica/i);
    } finally {
      await plain.close();
    }
    // a transaction the replica already has (one further ahead would wait on the server for the missing ones)
    await expect(copy.replicateTx(bytes)).rejects.toThrow(/already committed/);
    // a replica is read-only for everything else
    await expect(copy.set("x", "y")).rejects.toThrow(/replica/);
    await expect(copy.replicateTx(new Uint8Array(0))).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("exportTx of a transaction the source does not have fails at once", async () => {
    const last = (await source.currentState()).txId;
    const err = await source.exportTx(last + 10n).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as Error).message).toMatch(/no new transactions/);
    await expect(source.exportTx(0n)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("streamExportTx (bidirectional)", () => {
  it("exports a range in one call, in order, byte-identical to exportTx", async () => {
    const last = (await source.currentState()).txId;
    const ids = Array.from({ length: Number(last) }, (_, i) => BigInt(i + 1));
    const got = await collect(source.streamExportTx(ids, { window: 3 }));
    expect(got.map((t) => t.tx)).toEqual(ids);
    for (const t of got) {
      expect(Buffer.from(t.bytes).equals(Buffer.from(await source.exportTx(t.tx)))).toBe(true);
      expect(decodeExportedTx(t.bytes).header.id).toBe(t.tx);
    }
  });

  it("takes ids from an async source, and leaving the loop early ends the call", async () => {
    async function* ids() {
      for (let i = 1n; i <= 4n; i++) yield i;
    }
    let n = 0;
    for await (const t of source.streamExportTx(ids())) {
      expect(t.tx).toBe(BigInt(++n));
      if (n === 2) break;
    }
    expect(n).toBe(2);
    const last = (await source.currentState()).txId;
    await expect(collect(source.streamExportTx([1n, last + 5n]))).rejects.toThrow(/no new transactions/);
    expect(() => source.streamExportTx([1n], { window: 0 })).toThrow(InvalidArgumentError);
    await expect(collect(source.streamExportTx([0n]))).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("copyTransactions", () => {
  it("refuses to apply a tampered export, and applies nothing of the batch", async () => {
    const proxy = await startGrpcProxy([{ port: primary.port }]);
    const lying = await ImmudbClient.connect({ host: "127.0.0.1", port: proxy.port, database: "ledger" });
    try {
      const before = await copy.currentState();
      proxy.onResponse("streamExportTx", (chunk) => {
        // alter one byte of the last value of every exported transaction (one chunk each: small txs)
        const len = Number(getU64(chunk.content));
        if (chunk.content.length !== 8 + len) return undefined;
        const payload = chunk.content.slice(8);
        payload[payload.length - 4] = (payload[payload.length - 4] ?? 0) ^ 1; // before u16(1) ‖ flag
        chunk.content = concat([...encodeMessage(payload)]);
        return undefined;
      });
      const err = await copyTransactions(lying, copy).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerificationError);
      const after = await copy.currentState();
      expect(after.txId).toBe(before.txId);
      expect(after.txHash).toEqual(before.txHash);
    } finally {
      await lying.close();
      await proxy.close();
    }
  });

  it("copies the rest of the history and the copy's state matches the source's, verifiably", async () => {
    await expect(copyTransactions(source, copy, { fromTx: 5n })).rejects.toBeInstanceOf(InvalidArgumentError);
    const progress: bigint[] = [];
    const result = await copyTransactions(source, copy, {
      batchSize: 3,
      onProgress: (tx) => progress.push(tx),
    });
    const src = await source.currentState();
    const dst = await copy.currentState();
    expect(result.copied).toBe(Number(src.txId) - 1); // tx 1 was replicated by hand above
    expect(progress).toEqual(Array.from({ length: result.copied }, (_, i) => BigInt(i + 2)));
    expect(dst.txId).toBe(src.txId);
    expect(dst.txHash).toEqual(src.txHash);
    expect(result.txHash).toEqual(src.txHash);

    // The copy answers verified reads with proofs that check out.
    expect(text.decode((await copy.verifiedGet("k3")).value)).toBe("v3");
    const ref = await copy.verifiedGet("alias");
    expect(text.decode(ref.value)).toBe("v1");
    expect(text.decode(ref.referencedBy?.key)).toBe("alias");
    const big = await copy.streamVerifiedGet("big");
    expect(Buffer.from(big.value).equals(Buffer.from(pattern(5 * MiB, 1)))).toBe(true); // (toEqual is slow here)
    const k2 = await copy.verifiedGet("k2");
    expect(k2.metadata?.expiresAt).toBeGreaterThan(0n);
    const tx = await copy.verifiedTxById(src.txId);
    expect(alh(tx.header)).toEqual(src.txHash);
    expect((await copy.trustedState())?.txHash).toEqual(src.txHash);
  });

  it("resumes: later source transactions are copied on the next call, and nothing when up to date", async () => {
    await source.set("later", "1");
    await source.streamVerifiedSet("later2", pattern(100_000, 2));
    const result = await copyTransactions(source, copy);
    expect(result.copied).toBe(2);
    expect((await copy.currentState()).txHash).toEqual((await source.currentState()).txHash);
    expect((await copyTransactions(source, copy)).copied).toBe(0);
    expect(text.decode((await copy.verifiedGet("later")).value)).toBe("1");
  });
});
