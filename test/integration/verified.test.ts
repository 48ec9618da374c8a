import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImmudbClient, ServerError, VerificationError } from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const text = new TextDecoder();
const utf8 = (s: string) => new TextEncoder().encode(s);

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

describe("verified key-value operations", () => {
  it("verifiedSet proves the write and advances the trusted state to it", async () => {
    const h = await client.verifiedSet("vk1", "value one");
    expect(h.id).toBeGreaterThan(0n);
    const state = await client.trustedState();
    expect(state?.txId).toBe(h.id);
    const server = await client.currentState();
    expect(state?.txId).toBe(server.txId);
    expect(state?.txHash).toEqual(server.txHash);
  });

  it("verifiedGet proves a value written earlier, and a later one", async () => {
    const h1 = await client.verifiedSet("vk2", "first");
    await client.set("filler", "x");
    await client.set("filler", "y");
    const e = await client.verifiedGet("vk2");
    expect(text.decode(e.value)).toBe("first");
    expect(e.tx).toBe(h1.id);
    // written without verification, proven on read: forward dual proof from the trusted state
    const h2 = await client.set("vk2", "second");
    const e2 = await client.verifiedGet("vk2");
    expect(text.decode(e2.value)).toBe("second");
    expect((await client.trustedState())?.txId).toBe(h2.id);
  });

  it("verifiedGet supports atTx, sinceTx and atRevision", async () => {
    const a = await client.verifiedSet("vk3", "a");
    await client.verifiedSet("vk3", "b");
    const c = await client.verifiedSet("vk3", "c");
    expect(text.decode((await client.verifiedGet("vk3", { atTx: a.id })).value)).toBe("a");
    expect(text.decode((await client.verifiedGet("vk3", { atRevision: 2n })).value)).toBe("b");
    expect(text.decode((await client.verifiedGet("vk3", { atRevision: -1n })).value)).toBe("b");
    expect(text.decode((await client.verifiedGet("vk3", { sinceTx: c.id })).value)).toBe("c");
    // reading an old tx leaves the trusted state where it was
    expect((await client.trustedState())?.txId).toBe(c.id);
  });

  it("verifiedGet of a missing key rejects with KEY_NOT_FOUND", async () => {
    const err = await client.verifiedGet("vk-missing").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).code).toBe("KEY_NOT_FOUND");
  });

  it("verifiedSetAll writes several entries atomically with metadata, each proven", async () => {
    const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const h = await client.verifiedSetAll(
      [
        { key: "multi:1", value: "one" },
        { key: "multi:2", value: "two", expiresAt },
        { key: "multi:3", value: "three", nonIndexable: true },
      ],
      {},
    );
    expect(h.nEntries).toBe(3);
    const e2 = await client.verifiedGet("multi:2");
    expect(e2.metadata?.expiresAt).toBe(expiresAt);
    expect(await client.get("multi:3")).toBeUndefined(); // not indexed
    const tx = await client.verifiedTxById(h.id);
    expect(tx.entries.map((e) => text.decode(e.key)).sort()).toEqual(["multi:1", "multi:2", "multi:3"]);
    expect(tx.entries.find((e) => text.decode(e.key) === "multi:3")?.metadata?.nonIndexable).toBe(true);
  });

  it("checks preconditions on the server and leaves the trusted state alone when they fail", async () => {
    await client.verifiedSet("pre:1", "v");
    const before = await client.trustedState();
    const err = await client
      .verifiedSet("pre:1", "w", { preconditions: [{ type: "mustNotExist", key: "pre:1" }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PRECONDITION_FAILED" });
    expect(await client.trustedState()).toEqual(before);
    const h = await client.verifiedSet("pre:2", "v", {
      preconditions: [{ type: "mustNotExist", key: "pre:2" }],
    });
    expect(h.id).toBeGreaterThan(before?.txId ?? 0n);
  });

  it("verifiedTxById re-hashes the entries against the proven header", async () => {
    const h = await client.verifiedSet("tx:1", "payload");
    const tx = await client.verifiedTxById(h.id);
    expect(tx.header.id).toBe(h.id);
    expect(tx.header.eh).toEqual(h.eh);
    expect(tx.entries).toHaveLength(1);
    expect(text.decode(tx.entries[0]?.key)).toBe("tx:1");
    expect(tx.entries[0]?.storedKey[0]).toBe(0);
  });

  it("proves references down to the referenced value, unbound and bound", async () => {
    const v1 = await client.verifiedSet("target", "t1");
    await client.verifiedSet("target", "t2");
    await client.verifiedSetReference("alias", "target");
    const e = await client.verifiedGet("alias");
    expect(text.decode(e.value)).toBe("t2");
    expect(text.decode(e.key)).toBe("target");
    expect(text.decode(e.referencedBy?.key)).toBe("alias");

    await client.verifiedSetReference("alias-bound", "target", { atTx: v1.id });
    const b = await client.verifiedGet("alias-bound");
    expect(text.decode(b.value)).toBe("t1");
    expect(b.referencedBy?.atTx).toBe(v1.id);
  });

  it("verifiedZAdd writes sorted-set members, unbound and bound (the Go SDK cannot bind)", async () => {
    const k = await client.verifiedSet("member", "m");
    const h1 = await client.verifiedZAdd("board", 1.5, "member");
    const h2 = await client.verifiedZAdd("board", -0.25, "member", { atTx: k.id });
    expect(h2.id).toBeGreaterThan(h1.id);
    const tx = await client.verifiedTxById(h2.id);
    expect(tx.entries[0]?.storedKey[0]).toBe(1); // sorted-set key prefix
  });

  it("many concurrent verified calls on one client all succeed and end on the server's state", async () => {
    const ops = Array.from({ length: 64 }, (_, i) =>
      i % 2 === 0 ? client.verifiedSet(`conc:${i}`, `v${i}`) : client.verifiedGet("vk1"),
    );
    const results = await Promise.all(ops);
    expect(results).toHaveLength(64);
    const state = await client.trustedState();
    const current = await client.currentState();
    expect(state?.txId).toBe(current.txId);
    expect(state?.txHash).toEqual(current.txHash);
    for (let i = 0; i < 64; i += 2) {
      expect(text.decode((await client.verifiedGet(`conc:${i}`)).value)).toBe(`v${i}`);
    }
  });
});

describe("state signatures", () => {
  let signing: ImmudbServer;
  beforeAll(async () => {
    signing = await startImmudb({ signing: true });
  });
  afterAll(async () => {
    await signing?.dispose();
  });

  it("accepts signed states with the right key, including the first one", async () => {
    const c = await ImmudbClient.connect({
      port: signing.port,
      serverSigningKey: signing.signingPublicKeyPem!,
    });
    try {
      await c.verifiedSet("signed", "yes");
      expect(text.decode((await c.verifiedGet("signed")).value)).toBe("yes");
      const st = await c.currentState();
      expect(st.signature?.length).toBeGreaterThan(60);
      expect((await c.trustedState())?.signature).toBeDefined();
    } finally {
      await c.close();
    }
  });

  it("rejects every state with a wrong key, and stores nothing", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const wrong = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    const c = await ImmudbClient.connect({ port: signing.port, serverSigningKey: wrong.toString() });
    try {
      const err = await c.verifiedSet("signed", "no").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).reason).toBe("signature");
      await expect(c.currentState()).rejects.toBeInstanceOf(VerificationError);
      expect(await c.trustedState()).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it("rejects an unsigned server when a key is configured", async () => {
    const c = await ImmudbClient.connect({
      port: server.port,
      serverSigningKey: signing.signingPublicKeyPem!,
    });
    try {
      const err = await c.verifiedGet("vk1").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).reason).toBe("signature");
    } finally {
      await c.close();
    }
  });
});

describe("input checks before any RPC", () => {
  it("rejects bad verified arguments", async () => {
    await expect(client.verifiedSet("", "v")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(client.verifiedZAdd("s", Number.NaN, "k")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(client.verifiedTxById(0n)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(
      client.verifiedSetAll([
        { key: "dup", value: "1" },
        { key: utf8("dup"), value: "2" },
      ]),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});
