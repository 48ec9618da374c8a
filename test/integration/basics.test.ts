import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  ImmudbClient,
  InvalidArgumentError,
  TimeoutError,
} from "../../src/index.js";
import { freePort, type ImmudbServer, startImmudb } from "../harness/immudb-server.js";
import { startTcpProxy } from "../harness/tcp-proxy.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const text = new TextDecoder();

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

describe("connection", () => {
  it("reports the server version through health", async () => {
    const h = await client.health();
    expect(h.status).toBe(true);
    expect(h.version).toMatch(/^1\.11\.1-37ebcefe/);
  });

  it("opens a session and exposes the server identity", async () => {
    const s = await client.session();
    expect(s.database).toBe("defaultdb");
    expect(s.serverUuid).toMatch(/^[0-9a-v]{20}$/);
    expect(s.id.length).toBeGreaterThan(20);
  });

  it("accepts an options object as well as a URL", async () => {
    const c = await ImmudbClient.connect({
      host: "127.0.0.1",
      port: server.port,
      user: "immudb",
      password: "immudb",
    });
    try {
      expect(c.address).toBe(`127.0.0.1:${server.port}`);
      expect((await c.set("from-options", "x")).id).toBeGreaterThan(0n);
    } finally {
      await c.close();
    }
  });

  it("rejects wrong credentials with AuthenticationError and never shows the password", async () => {
    const secret = "s3cret-Passw0rd!";
    const err = await ImmudbClient.connect(
      `immudb://immudb:${secret}@127.0.0.1:${server.port}/defaultdb`,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe("AUTHENTICATION");
    expect(String(err)).not.toContain(secret);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(secret);
  });

  it("rejects an unknown database with a typed server error", async () => {
    const err = await ImmudbClient.connect({ port: server.port, database: "nosuchdb" }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: "ServerError", code: "DATABASE_NOT_FOUND" });
  });

  it("rejects an unreachable server with ConnectionError", async () => {
    const port = await freePort();
    const err = await ImmudbClient.connect({ port, timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
  });

  it("rejects invalid options before connecting", async () => {
    await expect(ImmudbClient.connect("http://localhost:3322")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(ImmudbClient.connect({ port: 70000 })).rejects.toBeInstanceOf(InvalidArgumentError);
    const err = await ImmudbClient.connect("immudb://u:pa ss@[bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(String(err)).not.toContain("pa ss");
  });
});

describe("set and get", () => {
  it("round-trips a value and counts revisions", async () => {
    const h1 = await client.set("greeting", "hello");
    expect(h1.id).toBeGreaterThan(0n);
    expect(h1.nEntries).toBe(1);
    const e1 = await client.get("greeting");
    expect(e1).toBeDefined();
    expect(text.decode(e1?.value)).toBe("hello");
    expect(e1?.tx).toBe(h1.id);
    expect(e1?.revision).toBe(1n);

    const h2 = await client.set(new TextEncoder().encode("greeting"), new Uint8Array([0, 255, 1]));
    expect(h2.id).toBeGreaterThan(h1.id);
    const e2 = await client.get("greeting");
    expect(e2?.value).toEqual(new Uint8Array([0, 255, 1]));
    expect(e2?.revision).toBe(2n);

    const old = await client.get("greeting", { atTx: h1.id });
    expect(text.decode(old?.value)).toBe("hello");
    const first = await client.get("greeting", { atRevision: 1n });
    expect(text.decode(first?.value)).toBe("hello");
  });

  it("returns undefined for a missing key", async () => {
    expect(await client.get("no-such-key")).toBeUndefined();
  });

  it("rejects bad input before any RPC", async () => {
    await expect(client.set("", "v")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.set("k".repeat(1024), "v")).rejects.toBeInstanceOf(InvalidArgumentError);
    // @ts-expect-error a number is not a key
    await expect(client.set(42, "v")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.get("k", { atTx: 1n, sinceTx: 1n })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.get("k", { atTx: -1n })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("honours an already aborted signal without sending anything", async () => {
    const before = (await client.get("greeting"))?.revision;
    const err = await client
      .set("greeting", "never", { signal: AbortSignal.abort() })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((await client.get("greeting"))?.revision).toBe(before);
  });
});

describe("deadlines and cancellation", () => {
  it("ends a call to a peer that never answers with TimeoutError at its deadline", async () => {
    const sockets: Socket[] = [];
    const blackHole: Server = createServer((s) => sockets.push(s));
    const port = await new Promise<number>((resolve) =>
      blackHole.listen(0, "127.0.0.1", () => resolve((blackHole.address() as { port: number }).port)),
    );
    try {
      const started = Date.now();
      const err = await ImmudbClient.connect({ port, timeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackHole.close(r));
    }
  });

  it("times out or cancels calls on a connection that hangs mid-session", async () => {
    const proxy = await startTcpProxy(server.port);
    const c = await ImmudbClient.connect({ port: proxy.port });
    try {
      await c.set("hang", "1");
      proxy.freeze();
      const t = await c.get("hang", { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(t).toBeInstanceOf(TimeoutError);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const a = await c.get("hang", { signal: ac.signal, timeoutMs: 0 }).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(AbortError);
      proxy.thaw();
      expect(text.decode((await c.get("hang"))?.value)).toBe("1");
    } finally {
      proxy.thaw();
      await c.close();
      await proxy.close();
    }
  });
});

describe("sessions", () => {
  it("reopens the session after a server restart", async () => {
    const s = await startImmudb();
    const c = await ImmudbClient.connect(s.url);
    try {
      await c.set("k", "before");
      const firstSession = (await c.session()).id;
      await s.stop();
      const again = await startImmudb({ dataDir: s.dataDir, port: s.port });
      try {
        const e = await c.get("k");
        expect(text.decode(e?.value)).toBe("before");
        expect((await c.session()).id).not.toBe(firstSession);
      } finally {
        await c.close();
        await again.stop();
      }
    } finally {
      await s.dispose();
    }
  });

  it("close is idempotent and later calls fail with a closed-client error", async () => {
    const c = await ImmudbClient.connect(server.url);
    await c.close();
    await c.close();
    const err = await c.get("greeting").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe("CLOSED");
  });

  it("does not keep the process alive: a script that never closes its client exits by itself", async () => {
    const script = `
      import { ImmudbClient } from ${JSON.stringify(join(root, "src", "index.ts"))};
      const c = await ImmudbClient.connect(${JSON.stringify(server.url)});
      await c.set("exit-test", "1");
      console.log("done");
    `;
    const dir = mkdtempSync(join(tmpdir(), "immudb-ts-exit-"));
    const file = join(dir, "script.mts");
    writeFileSync(file, script);
    const { stdout } = await promisify(execFile)(join(root, "node_modules", ".bin", "tsx"), [file], {
      timeout: 30_000,
    });
    rmSync(dir, { recursive: true });
    expect(stdout.trim()).toBe("done");
  });
});
