/**
 * FileStateStore specifics: the file format, corruption handling, atomic writes, permissions, the lock file.
 */
import { chmod, mkdir, open, readdir, readFile, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidArgumentError, StateError } from "../../../src/errors.js";
import { FileStateStore } from "../../../src/state/index.js";
import { DB, deadPid, hashFor, hex, show, st, tempDir, UUID, UUID2 } from "./helpers.js";

let dir: string;
let cleanup: () => Promise<void>;
let path: string;
let lockPath: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  path = join(dir, "state.json");
  lockPath = `${path}.lock`;
});
afterEach(async () => {
  await cleanup();
});

const H5 = hex(hashFor(5n));

/** A valid file with one state and one pin, as an object to break in various ways. */
function validDoc(): Record<string, unknown> {
  return {
    version: 1,
    servers: { [UUID]: { [DB]: { txId: "5", txHash: H5 } } },
    identities: { "127.0.0.1:3322": UUID },
  };
}

function withEntry(entry: unknown): Record<string, unknown> {
  return { ...validDoc(), servers: { [UUID]: { [DB]: entry } } };
}

const validText = `${JSON.stringify(validDoc(), null, 2)}\n`;

/** Files that must never be used, and never be read as "nothing stored". */
const corrupt: [string, string | Uint8Array][] = [
  ["empty file", ""],
  ["truncated (half of a valid file)", validText.slice(0, validText.length / 2)],
  ["truncated by one byte before the closing brace", validText.slice(0, validText.lastIndexOf("}"))],
  ["not JSON", "hello world"],
  ["binary garbage", new Uint8Array([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x13, 0x37])],
  ["invalid UTF-8 inside a name", Buffer.from(validText.replace(DB, "d\u00ffb"), "latin1")],
  ["NUL bytes (zeroed by a crash)", new Uint8Array(64)],
  ["JSON null", "null"],
  ["JSON array", "[]"],
  ["JSON string", '"state"'],
  ["empty object (no version)", "{}"],
  ["version 2", JSON.stringify({ ...validDoc(), version: 2 })],
  ['version "1"', JSON.stringify({ ...validDoc(), version: "1" })],
  ["missing servers", JSON.stringify({ version: 1, identities: {} })],
  ["missing identities", JSON.stringify({ version: 1, servers: {} })],
  ["servers is an array", JSON.stringify({ ...validDoc(), servers: [] })],
  ["unknown top-level field", JSON.stringify({ ...validDoc(), extra: 1 })],
  ["server is not an object", JSON.stringify({ ...validDoc(), servers: { [UUID]: "x" } })],
  ["empty server UUID", JSON.stringify({ ...validDoc(), servers: { "": {} } })],
  [
    "empty database name",
    JSON.stringify({ ...validDoc(), servers: { [UUID]: { "": { txId: "1", txHash: H5 } } } }),
  ],
  ["entry is null", JSON.stringify(withEntry(null))],
  ["txId as a number", JSON.stringify(withEntry({ txId: 5, txHash: H5 }))],
  ["txId missing", JSON.stringify(withEntry({ txHash: H5 }))],
  ["txId not decimal", JSON.stringify(withEntry({ txId: "0x5", txHash: H5 }))],
  ["txId negative", JSON.stringify(withEntry({ txId: "-5", txHash: H5 }))],
  ["txId with a leading zero", JSON.stringify(withEntry({ txId: "05", txHash: H5 }))],
  ["txId with spaces", JSON.stringify(withEntry({ txId: " 5", txHash: H5 }))],
  ["txId 2^64", JSON.stringify(withEntry({ txId: "18446744073709551616", txHash: H5 }))],
  ["txId empty", JSON.stringify(withEntry({ txId: "", txHash: H5 }))],
  ["txHash 31 bytes", JSON.stringify(withEntry({ txId: "5", txHash: H5.slice(2) }))],
  ["txHash 33 bytes", JSON.stringify(withEntry({ txId: "5", txHash: `${H5}00` }))],
  ["txHash not hex", JSON.stringify(withEntry({ txId: "5", txHash: `zz${H5.slice(2)}` }))],
  ["txHash missing", JSON.stringify(withEntry({ txId: "5" }))],
  ["signature odd length", JSON.stringify(withEntry({ txId: "5", txHash: H5, signature: "abc" }))],
  ["signature empty", JSON.stringify(withEntry({ txId: "5", txHash: H5, signature: "" }))],
  ["signature null", JSON.stringify(withEntry({ txId: "5", txHash: H5, signature: null }))],
  ["unknown entry field", JSON.stringify(withEntry({ txId: "5", txHash: H5, precommitted: "6" }))],
  ["identity not a string", JSON.stringify({ ...validDoc(), identities: { "a:1": 5 } })],
  ["identity empty", JSON.stringify({ ...validDoc(), identities: { "a:1": "" } })],
  ["identity with empty address", JSON.stringify({ ...validDoc(), identities: { "": UUID } })],
];

describe("FileStateStore: corrupt files", () => {
  it.each(corrupt)("%s → StateError from every operation, file left as it was", async (_name, content) => {
    await writeFile(path, content);
    const before = await readFile(path);
    const store = new FileStateStore({ path, lockTimeoutMs: 1000 });
    const expectStateError = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StateError);
      expect((err as StateError).message).toContain(path);
      expect((err as StateError).message).toMatch(/corrupt/);
    };
    await expectStateError(store.get(UUID, DB));
    await expectStateError(store.get(UUID2, "other"));
    await expectStateError(store.compareAndSet(undefined, st(1)));
    await expectStateError(store.compareAndSet(st(5), st(6)));
    await expectStateError(store.pinServerIdentity("127.0.0.1:3322", UUID));
    await expectStateError(store.pinServerIdentity("10.0.0.1:3322", UUID2));
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir)).toEqual(["state.json"]);
    await store.close();
  });

  it("a state file that is a directory → StateError", async () => {
    await mkdir(path);
    const store = new FileStateStore({ path });
    await expect(store.get(UUID, DB)).rejects.toBeInstanceOf(StateError);
    await expect(store.compareAndSet(undefined, st(1))).rejects.toBeInstanceOf(StateError);
  });

  it("reads a hand-written file (upper-case hex, signature, several servers)", async () => {
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        servers: {
          [UUID]: { [DB]: { txId: "5", txHash: H5.toUpperCase(), signature: "3044AB" } },
          [UUID2]: {},
        },
        identities: {},
      }),
    );
    const store = new FileStateStore({ path });
    expect(show(await store.get(UUID, DB))).toEqual(
      show(st(5, { signature: Uint8Array.of(0x30, 0x44, 0xab) })),
    );
    expect(await store.get(UUID2, DB)).toBeUndefined();
  });
});

describe("FileStateStore: files", () => {
  it("a missing file (and directory) is empty, and get creates nothing", async () => {
    const deep = join(dir, "a", "b", "state.json");
    const store = new FileStateStore({ path: deep });
    expect(await store.get(UUID, DB)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
    // The first write creates the directories.
    expect(await store.compareAndSet(undefined, st(1))).toBe(true);
    expect(await readdir(join(dir, "a", "b"))).toEqual(["state.json"]);
  });

  it("writes the documented format", async () => {
    const store = new FileStateStore({ path });
    await store.compareAndSet(undefined, st(42, { signature: Uint8Array.of(0x30, 0x45, 0x02) }));
    await store.compareAndSet(undefined, st(0, { database: "empty" }));
    await store.compareAndSet(undefined, st(0xffff_ffff_ffff_ffffn, { serverUuid: UUID2 }));
    await store.pinServerIdentity("127.0.0.1:3322", UUID);
    const text = await readFile(path, "utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(JSON.parse(text)).toEqual({
      version: 1,
      servers: {
        [UUID]: {
          [DB]: { txId: "42", txHash: hex(hashFor(42n)), signature: "304502" },
          empty: { txId: "0", txHash: hex(hashFor(0n)) },
        },
        [UUID2]: { [DB]: { txId: "18446744073709551615", txHash: hex(hashFor(0xffff_ffff_ffff_ffffn)) } },
      },
      identities: { "127.0.0.1:3322": UUID },
    });
  });

  it("creates the file with mode 0600, also when replacing a looser file", async () => {
    if (process.platform === "win32") return;
    const store = new FileStateStore({ path });
    await store.compareAndSet(undefined, st(1));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await chmod(path, 0o644);
    await store.compareAndSet(st(1), st(2));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("replaces the file atomically and leaves no temp or lock file", async () => {
    const store = new FileStateStore({ path });
    await store.compareAndSet(undefined, st(0));
    // Hold the first file open so its inode number cannot be reused by a later file.
    const first = await open(path, "r");
    const ino = (await first.stat()).ino;
    for (let i = 0; i < 30; i++) expect(await store.compareAndSet(st(i), st(i + 1))).toBe(true);
    await store.pinServerIdentity("h:1", UUID);
    await expect(store.compareAndSet(st(30), st(3))).rejects.toBeInstanceOf(StateError);
    expect(await readdir(dir)).toEqual(["state.json"]);
    // Every write was a rename of a new file, never an in-place rewrite.
    expect((await stat(path)).ino).not.toBe(ino);
    await first.close();
    expect((await new FileStateStore({ path }).get(UUID, DB))?.txId).toBe(30n);
  });

  it("does not rewrite the file when nothing changes", async () => {
    const store = new FileStateStore({ path });
    await store.compareAndSet(undefined, st(3));
    await store.pinServerIdentity("h:1", UUID);
    const ino = (await stat(path)).ino;
    expect(await store.compareAndSet(st(3), st(3))).toBe(true);
    expect(await store.compareAndSet(st(1), st(2))).toBe(false);
    await store.pinServerIdentity("h:1", UUID);
    expect((await stat(path)).ino).toBe(ino);
  });

  it("two instances on one file in one process lose no update", async () => {
    const a = new FileStateStore({ path });
    const b = new FileStateStore({ path });
    await a.compareAndSet(undefined, st(0));
    const inc = async (s: FileStateStore, n: number) => {
      for (let i = 0; i < n; i++) {
        for (;;) {
          const cur = await s.get(UUID, DB);
          if (cur && (await s.compareAndSet(cur, st(cur.txId + 1n)))) break;
        }
      }
    };
    await Promise.all([inc(a, 25), inc(b, 25), inc(a, 25), inc(b, 25)]);
    expect((await a.get(UUID, DB))?.txId).toBe(100n);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("close waits for the operations in flight", async () => {
    const store = new FileStateStore({ path });
    const order: string[] = [];
    const pending = [
      store.compareAndSet(undefined, st(1)).then(() => order.push("cas")),
      store.pinServerIdentity("h:1", UUID).then(() => order.push("pin")),
      store.get(UUID, DB).then(() => order.push("get")),
    ];
    await store.close().then(() => order.push("close"));
    await Promise.all(pending);
    expect(order.at(-1)).toBe("close");
    expect(await readdir(dir)).toEqual(["state.json"]);
    const reopened = new FileStateStore({ path });
    expect((await reopened.get(UUID, DB))?.txId).toBe(1n);
    await reopened.pinServerIdentity("h:1", UUID);
  });

  it("rejects bad options", () => {
    expect(() => new FileStateStore({ path: "" })).toThrow(InvalidArgumentError);
    expect(() => new FileStateStore({ path, lockTimeoutMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => new FileStateStore({ path, staleLockMs: Number.NaN })).toThrow(InvalidArgumentError);
    expect(new FileStateStore({ path: "relative.json" }).path).toMatch(/^\/.*relative\.json$|^[A-Z]:\\/);
  });
});

function lockContent(pid: number, host = hostname()): string {
  return JSON.stringify({ pid, hostname: host, acquiredAt: Date.now(), token: "someone-else" });
}

async function age(file: string, ms: number): Promise<void> {
  const t = (Date.now() - ms) / 1000;
  await utimes(file, t, t);
}

describe("FileStateStore: the lock file", () => {
  it("breaks a lock whose holder pid is dead on this host at once", async () => {
    await writeFile(lockPath, lockContent(await deadPid()));
    const store = new FileStateStore({ path, lockTimeoutMs: 5000, staleLockMs: 60_000 });
    const t0 = Date.now();
    expect(await store.compareAndSet(undefined, st(1))).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("times out with StateError on a live lock, and leaves it alone", async () => {
    const content = lockContent(process.pid);
    await writeFile(lockPath, content);
    const store = new FileStateStore({ path, lockTimeoutMs: 300 });
    const t0 = Date.now();
    const err = await store.compareAndSet(undefined, st(1)).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toMatch(/timed out after 300 ms waiting for the lock/);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    await expect(store.pinServerIdentity("h:1", UUID)).rejects.toThrow(/timed out/);
    expect(await readFile(lockPath, "utf8")).toBe(content);
    expect(await readdir(dir)).toEqual(["state.json.lock"]);
    // Reads take no lock.
    expect(await store.get(UUID, DB)).toBeUndefined();
  });

  it("waits for a live lock that is released in time", async () => {
    await writeFile(lockPath, lockContent(process.pid));
    const store = new FileStateStore({ path, lockTimeoutMs: 5000 });
    const released = delay(150).then(() => unlink(lockPath));
    expect(await store.compareAndSet(undefined, st(1))).toBe(true);
    await released;
  });

  it("does not judge a pid from another host: a fresh lock there is waited for", async () => {
    await writeFile(lockPath, lockContent(await deadPid(), `not-${hostname()}`));
    const store = new FileStateStore({ path, lockTimeoutMs: 200 });
    await expect(store.compareAndSet(undefined, st(1))).rejects.toThrow(/timed out/);
  });

  it("breaks a lock older than staleLockMs, even from a live or foreign holder", async () => {
    for (const content of [lockContent(process.pid), lockContent(1, "elsewhere"), "", "{garbage"]) {
      await writeFile(lockPath, content);
      await age(lockPath, 5000);
      const store = new FileStateStore({ path, lockTimeoutMs: 2000, staleLockMs: 1000 });
      const cur = await store.get(UUID, DB);
      expect(await store.compareAndSet(cur, st((cur?.txId ?? 0n) + 1n))).toBe(true);
      expect(await readdir(dir)).toEqual(["state.json"]);
    }
    expect((await new FileStateStore({ path }).get(UUID, DB))?.txId).toBe(4n);
  });

  it("waits for a fresh unreadable lock (its holder may still be writing it)", async () => {
    await writeFile(lockPath, "");
    const store = new FileStateStore({ path, lockTimeoutMs: 200 });
    await expect(store.compareAndSet(undefined, st(1))).rejects.toThrow(/unknown process/);
  });

  it("re-checks under the lock: a state that changed while waiting gives false", async () => {
    const store = new FileStateStore({ path, lockTimeoutMs: 5000 });
    await store.compareAndSet(undefined, st(5));
    await writeFile(lockPath, lockContent(process.pid));
    const pending = store.compareAndSet(st(5), st(6)); // passes the lock-free look, then waits for the lock
    await delay(50);
    await writeFile(path, JSON.stringify(withEntry({ txId: "9", txHash: hex(hashFor(9n)) })));
    await unlink(lockPath);
    expect(await pending).toBe(false);
    expect((await store.get(UUID, DB))?.txId).toBe(9n);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });

  it("releases the lock when the operation fails under it", async () => {
    const store = new FileStateStore({ path, lockTimeoutMs: 5000 });
    await store.compareAndSet(undefined, st(5));
    await writeFile(lockPath, lockContent(process.pid));
    const cas = store.compareAndSet(st(5), st(6));
    const pin = store.pinServerIdentity("h:1", UUID);
    await delay(50);
    await writeFile(path, "{truncat");
    await unlink(lockPath);
    await expect(cas).rejects.toThrow(/corrupt/);
    await expect(pin).rejects.toThrow(/corrupt/);
    expect(await readdir(dir)).toEqual(["state.json"]);
    expect(await readFile(path, "utf8")).toBe("{truncat");
  });
});
