/**
 * The StateStore contract, run against every store: compare-and-set, never regress, fork refusal, pinning.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, StateError } from "../../../src/errors.js";
import {
  FileStateStore,
  MemoryStateStore,
  type StateStore,
  type TrustedState,
} from "../../../src/state/index.js";
import { DB, hashFor, show, st, tempDir, UUID, UUID2 } from "./helpers.js";

interface Fixture {
  store: StateStore;
  /** A second store on the same data (same file), or the same instance for the memory store. */
  reopen: () => StateStore;
  cleanup: () => Promise<void>;
}

const stores: [string, () => Promise<Fixture>][] = [
  [
    "MemoryStateStore",
    async () => {
      const store = new MemoryStateStore();
      return { store, reopen: () => store, cleanup: async () => {} };
    },
  ],
  [
    "FileStateStore",
    async () => {
      const { dir, cleanup } = await tempDir();
      const path = join(dir, "nested", "dirs", "state.json");
      return { store: new FileStateStore({ path }), reopen: () => new FileStateStore({ path }), cleanup };
    },
  ],
];

const SIG = new Uint8Array([0x30, 0x44, 0x02, 0x20, 1, 2, 3, 4]);
const MAX = 0xffff_ffff_ffff_ffffn;

type Outcome = true | false | typeof StateError | typeof InvalidArgumentError;

interface Case {
  name: string;
  /** Stored first (through compareAndSet(undefined, stored)). */
  stored?: TrustedState;
  expected: TrustedState | undefined;
  next: TrustedState;
  outcome: Outcome;
  /** The stored state afterwards; default: `next` when the outcome is true, else `stored`. */
  after?: TrustedState;
}

/** The compare-and-set table. */
const cases: Case[] = [
  { name: "first contact stores", expected: undefined, next: st(7), outcome: true },
  { name: "first contact with txId 0 (empty database)", expected: undefined, next: st(0), outcome: true },
  {
    name: "first contact with a signature keeps it",
    expected: undefined,
    next: st(3, { signature: SIG }),
    outcome: true,
  },
  { name: "advance", stored: st(5), expected: st(5), next: st(9), outcome: true },
  { name: "advance by one", stored: st(0), expected: st(0), next: st(1), outcome: true },
  { name: "advance to 2^64-1", stored: st(5), expected: st(5), next: st(MAX), outcome: true },
  {
    name: "advance from a signed state to an unsigned one",
    stored: st(5, { signature: SIG }),
    expected: st(5),
    next: st(6),
    outcome: true,
  },
  {
    name: "same state: true, nothing written",
    stored: st(5, { signature: SIG }),
    expected: st(5),
    next: st(5),
    outcome: true,
    after: st(5, { signature: SIG }),
  },
  { name: "stale expected (older)", stored: st(9), expected: st(5), next: st(12), outcome: false },
  {
    name: "stale expected, next older than stored: false, not an error",
    stored: st(9),
    expected: st(5),
    next: st(7),
    outcome: false,
  },
  {
    name: "stale expected, next equal to stored",
    stored: st(9),
    expected: st(5),
    next: st(9),
    outcome: false,
  },
  {
    name: "expected nothing but a state is stored",
    stored: st(5),
    expected: undefined,
    next: st(6),
    outcome: false,
  },
  {
    name: "expected nothing, next older than stored",
    stored: st(5),
    expected: undefined,
    next: st(2),
    outcome: false,
  },
  { name: "expected a state but nothing is stored", expected: st(5), next: st(6), outcome: false },
  {
    name: "expected has the stored txId but another hash",
    stored: st(5),
    expected: st(5, { tag: "b" }),
    next: st(6),
    outcome: false,
  },
  { name: "regression refused", stored: st(9), expected: st(9), next: st(5), outcome: StateError },
  { name: "regression to 0 refused", stored: st(1), expected: st(1), next: st(0), outcome: StateError },
  {
    name: "same txId, different hash refused (fork)",
    stored: st(9),
    expected: st(9),
    next: st(9, { tag: "b" }),
    outcome: StateError,
  },
  {
    name: "fork refused even with a stale expected",
    stored: st(9),
    expected: st(5),
    next: st(9, { tag: "b" }),
    outcome: StateError,
  },
  {
    name: "fork refused at first-contact CAS",
    stored: st(9),
    expected: undefined,
    next: st(9, { tag: "b" }),
    outcome: StateError,
  },
  {
    name: "31-byte hash",
    expected: undefined,
    next: { ...st(1), txHash: new Uint8Array(31) },
    outcome: InvalidArgumentError,
  },
  {
    name: "33-byte hash",
    stored: st(1),
    expected: st(1),
    next: { ...st(2), txHash: new Uint8Array(33) },
    outcome: InvalidArgumentError,
  },
  {
    name: "negative txId",
    expected: undefined,
    next: { ...st(1), txId: -1n },
    outcome: InvalidArgumentError,
  },
  {
    name: "txId 2^64",
    expected: undefined,
    next: { ...st(1), txId: MAX + 1n },
    outcome: InvalidArgumentError,
  },
  {
    name: "txId as a number",
    expected: undefined,
    next: { ...st(1), txId: 1 as unknown as bigint },
    outcome: InvalidArgumentError,
  },
  {
    name: "empty signature",
    expected: undefined,
    next: st(1, { signature: new Uint8Array(0) }),
    outcome: InvalidArgumentError,
  },
  {
    name: "empty database",
    expected: undefined,
    next: st(1, { database: "" }),
    outcome: InvalidArgumentError,
  },
  {
    name: "expected names another database",
    stored: st(5),
    expected: st(5, { database: "other" }),
    next: st(6),
    outcome: InvalidArgumentError,
  },
  {
    name: "expected names another server",
    stored: st(5),
    expected: st(5, { serverUuid: UUID2 }),
    next: st(6),
    outcome: InvalidArgumentError,
  },
];

describe.each(stores)("%s", (_name, make) => {
  let fx: Fixture;
  beforeEach(async () => {
    fx = await make();
  });
  afterEach(async () => {
    await fx.store.close();
    await fx.cleanup();
  });

  describe("compareAndSet", () => {
    it.each(cases)("$name", async (c) => {
      const { store } = fx;
      if (c.stored) expect(await store.compareAndSet(undefined, c.stored)).toBe(true);
      const run = store.compareAndSet(c.expected, c.next);
      if (typeof c.outcome === "boolean") {
        expect(await run).toBe(c.outcome);
      } else {
        await expect(run).rejects.toBeInstanceOf(c.outcome);
      }
      const after = c.after ?? (c.outcome === true ? c.next : c.stored);
      const key = c.outcome === InvalidArgumentError ? (c.stored ?? st(0)) : c.next;
      expect(show(await store.get(key.serverUuid, key.database))).toEqual(show(after));
      // And as another process (or a later run) sees it.
      const other = fx.reopen();
      expect(show(await other.get(key.serverUuid, key.database))).toEqual(show(after));
    });

    it("error messages say what was refused", async () => {
      const { store } = fx;
      await store.compareAndSet(undefined, st(9));
      await expect(store.compareAndSet(st(9), st(5))).rejects.toThrow(/backwards, from tx 9 to tx 5/);
      await expect(store.compareAndSet(st(9), st(9, { tag: "b" }))).rejects.toThrow(
        new RegExp(`fork.*tx 9 has hash ${Buffer.from(hashFor(9n, "b")).toString("hex")}`),
      );
      const err = await store.compareAndSet(st(9), st(1)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "STATE", name: "StateError" });
    });
  });

  describe("get", () => {
    it("is undefined on first contact", async () => {
      expect(await fx.store.get(UUID, DB)).toBeUndefined();
    });

    it("keys states by (server UUID, database)", async () => {
      const { store } = fx;
      expect(await store.compareAndSet(undefined, st(5))).toBe(true);
      expect(await store.compareAndSet(undefined, st(2, { database: "other" }))).toBe(true);
      expect(await store.compareAndSet(undefined, st(100, { serverUuid: UUID2, tag: "x" }))).toBe(true);
      expect((await store.get(UUID, DB))?.txId).toBe(5n);
      expect((await store.get(UUID, "other"))?.txId).toBe(2n);
      expect(show(await store.get(UUID2, DB))).toEqual(show(st(100, { serverUuid: UUID2, tag: "x" })));
      expect(await store.get(UUID2, "other")).toBeUndefined();
      // Regression is judged per key: tx 2 on UUID2 is not "behind" tx 5 on UUID.
      expect(await store.compareAndSet(undefined, st(1, { serverUuid: UUID2, database: "other" }))).toBe(
        true,
      );
    });

    it("treats no name as special", async () => {
      const { store } = fx;
      const names = ["__proto__", "constructor", "hasOwnProperty", "db:with/odd\\chars", "données-été", "ok"];
      for (const [i, name] of names.entries()) {
        expect(await store.compareAndSet(undefined, st(i, { database: name, serverUuid: name }))).toBe(true);
        await store.pinServerIdentity(name, name);
      }
      const other = fx.reopen();
      for (const [i, name] of names.entries()) {
        expect(show(await other.get(name, name))).toEqual(show(st(i, { database: name, serverUuid: name })));
        await other.pinServerIdentity(name, name);
        await expect(other.pinServerIdentity(name, "x")).rejects.toBeInstanceOf(StateError);
      }
      expect(await other.get("toString", "toString")).toBeUndefined();
      expect(({} as Record<string, unknown>).txId).toBeUndefined();
    });

    it("rejects empty keys", async () => {
      await expect(fx.store.get("", DB)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(fx.store.get(UUID, "")).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    it("hands out copies: changing bytes afterwards changes nothing stored", async () => {
      const { store } = fx;
      const next = st(5, { signature: SIG.slice() });
      await store.compareAndSet(undefined, next);
      next.txHash.fill(0);
      next.signature?.fill(0);
      const got = await store.get(UUID, DB);
      expect(show(got)).toEqual(show(st(5, { signature: SIG })));
      got?.txHash.fill(1);
      expect(show(await store.get(UUID, DB))).toEqual(show(st(5, { signature: SIG })));
    });
  });

  describe("pinServerIdentity", () => {
    it("pins on first use, accepts the same UUID again, refuses another", async () => {
      const { store } = fx;
      await store.pinServerIdentity("127.0.0.1:3322", UUID);
      await store.pinServerIdentity("127.0.0.1:3322", UUID);
      const err = await store.pinServerIdentity("127.0.0.1:3322", UUID2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateError);
      expect((err as Error).message).toContain(UUID);
      expect((err as Error).message).toContain(UUID2);
      expect((err as Error).message).toContain("127.0.0.1:3322");
      // The pin was not replaced, here or as seen from another store on the same data.
      await store.pinServerIdentity("127.0.0.1:3322", UUID);
      await fx.reopen().pinServerIdentity("127.0.0.1:3322", UUID);
      await expect(fx.reopen().pinServerIdentity("127.0.0.1:3322", UUID2)).rejects.toBeInstanceOf(StateError);
    });

    it("pins each address independently", async () => {
      const { store } = fx;
      await store.pinServerIdentity("a:3322", UUID);
      await store.pinServerIdentity("b:3322", UUID2);
      await store.pinServerIdentity("a:3323", UUID2);
      await expect(store.pinServerIdentity("b:3322", UUID)).rejects.toBeInstanceOf(StateError);
    });

    it("rejects empty arguments", async () => {
      await expect(fx.store.pinServerIdentity("", UUID)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(fx.store.pinServerIdentity("a:1", "")).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  });

  describe("concurrency within one process", () => {
    it("lets exactly one of many racing CAS from the same state win", async () => {
      const { store } = fx;
      await store.compareAndSet(undefined, st(0));
      const results = await Promise.all(
        // Same next state (a different hash would be a fork); the signature tells the racers apart.
        Array.from({ length: 30 }, (_, i) =>
          store.compareAndSet(st(0), st(1, { signature: Uint8Array.of(i) })),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(show(await store.get(UUID, DB))).toEqual(show(st(1, { signature: Uint8Array.of(winner) })));
    });

    it("loses no increment among concurrent read-CAS-retry loops", async () => {
      const { store } = fx;
      await store.compareAndSet(undefined, st(0));
      const tasks = 8;
      const each = 15;
      let retries = 0;
      await Promise.all(
        Array.from({ length: tasks }, async () => {
          for (let i = 0; i < each; i++) {
            for (;;) {
              const cur = await store.get(UUID, DB);
              if (cur === undefined) throw new Error("state vanished");
              if (await store.compareAndSet(cur, st(cur.txId + 1n))) break;
              retries++;
            }
          }
        }),
      );
      expect(show(await store.get(UUID, DB))).toEqual(show(st(tasks * each)));
      expect(retries).toBeGreaterThan(0);
    });
  });

  describe("close", () => {
    it("is idempotent and later operations reject with StateError", async () => {
      const { store } = fx;
      await store.compareAndSet(undefined, st(1));
      await store.close();
      await store.close();
      await expect(store.get(UUID, DB)).rejects.toBeInstanceOf(StateError);
      await expect(store.compareAndSet(st(1), st(2))).rejects.toBeInstanceOf(StateError);
      await expect(store.pinServerIdentity("a:1", UUID)).rejects.toBeInstanceOf(StateError);
    });
  });
});
