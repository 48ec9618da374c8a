/**
 * Trusted state across runs, forks and tampering at rest — each against real immudb servers.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileStateStore, ImmudbClient, StateError, VerificationError } from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const text = new TextDecoder();
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "immudb-ts-hist-"));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(options: Parameters<typeof startImmudb>[0] = {}): Promise<ImmudbServer> {
  const s = await startImmudb(options);
  cleanup.push(() => (options.dataDir ? s.stop() : s.dispose()));
  return s;
}

async function connect(s: ImmudbServer, statePath?: string): Promise<ImmudbClient> {
  const c = await ImmudbClient.connect({
    port: s.port,
    ...(statePath ? { stateStore: new FileStateStore({ path: statePath }) } : {}),
  });
  cleanup.push(() => c.close());
  return c;
}

describe("file-backed trusted state", () => {
  it("survives the client: a new client proves its reads from the stored state", async () => {
    const s = await server();
    const statePath = join(tempDir(), "state.json");
    const a = await connect(s, statePath);
    const h = await a.verifiedSet("persist", "v1");
    await a.close();
    const stored = JSON.parse(readFileSync(statePath, "utf8")) as Record<string, unknown>;
    expect(JSON.stringify(stored)).toContain(h.id.toString());

    const plain = await connect(s);
    const h2 = await plain.set("persist", "v2");
    const b = await connect(s, statePath);
    expect((await b.trustedState())?.txId).toBe(h.id); // loaded, not re-trusted
    expect(text.decode((await b.verifiedGet("persist")).value)).toBe("v2");
    expect((await b.trustedState())?.txId).toBe(h2.id);
  });

  it("refuses a different server answering on a pinned address", async () => {
    const statePath = join(tempDir(), "state.json");
    const first = await server();
    const port = first.port;
    const a = await connect(first, statePath);
    await a.verifiedSet("k", "v");
    await a.close();
    await first.stop();
    const other = await server({ port }); // fresh data dir: a new server identity
    const err = await connect(other, statePath)
      .then((c) => c.verifiedGet("k"))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(String(err)).toMatch(/identity|UUID/i);
  });

  it("catches a server with the same identity but a rewritten history", async () => {
    const statePath = join(tempDir(), "state.json");
    const original = await server();
    const port = original.port;
    const w = await connect(original);
    for (let i = 0; i < 3; i++) await w.set(`shared:${i}`, `v${i}`);
    await w.close();
    await original.stop();
    // The fork shares txs 1-3 (and the server identity file), then diverges.
    const forkDir = join(tempDir(), "fork");
    cpSync(original.dataDir, forkDir, { recursive: true });

    const honest = await server({ dataDir: original.dataDir, port });
    const trusting = await connect(honest, statePath);
    for (let i = 0; i < 3; i++) await trusting.verifiedSet(`honest:${i}`, `h${i}`);
    const trustedBefore = await trusting.trustedState();
    expect(trustedBefore?.txId).toBe(6n);
    await trusting.close();
    await honest.stop();

    const forked = await server({ dataDir: forkDir, port });
    const rewriter = await connect(forked);
    for (let i = 0; i < 4; i++) await rewriter.set(`forged:${i}`, `f${i}`);
    expect((await rewriter.currentState()).txId).toBe(7n);

    const victim = await connect(forked, statePath);
    expect((await victim.session()).serverUuid).toBe((await rewriter.session()).serverUuid);
    const err = await victim.verifiedGet("forged:0").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    const after = await victim.trustedState();
    expect(after?.txId).toBe(trustedBefore?.txId);
    expect(after?.txHash).toEqual(trustedBefore?.txHash);
  });

  it("a corrupt state file is a StateError, never a silent re-trust", async () => {
    const s = await server();
    const statePath = join(tempDir(), "state.json");
    const a = await connect(s, statePath);
    await a.verifiedSet("k", "v");
    await a.close();
    writeFileSync(statePath, readFileSync(statePath, "utf8").slice(0, 20));
    const b = await connect(s, statePath);
    await expect(b.verifiedGet("k")).rejects.toBeInstanceOf(StateError);
  });
});

describe("tampering at rest", () => {
  it("get returns bytes altered on disk; verifiedGet refuses them", async () => {
    const s = await server();
    const c = await connect(s);
    const marker = "untouched-value-0123456789-abcdefghij";
    await c.verifiedSet("at-rest", marker);
    await c.close();
    await s.stop();

    // A careful attacker: rewrite the value in the value log and its digest in the key index, then re-seal the
    // index's own checksums so the server neither notices nor rebuilds the index from the tx log. The server
    // then serves the new value as its own. Only the tx log, which the proofs come from, still says otherwise.
    const altered = `U${marker.slice(1)}`;
    const oldDigest = createHash("sha256")
      .update(Buffer.from(`\0${marker}`))
      .digest();
    const newDigest = createHash("sha256")
      .update(Buffer.from(`\0${altered}`))
      .digest();
    const db = join(s.dataDir, "defaultdb");
    let patched = replaceAll(join(db, "val_0", "00000000.val"), Buffer.from(marker), Buffer.from(altered));
    const nodesFile = join(db, "index_00", "nodes", "00000000.n");
    const original = readFileSync(nodesFile);
    patched += replaceAll(nodesFile, oldDigest, newDigest);
    resealIndexCommits(join(db, "index_00", "commit", "00000000.ri"), original, readFileSync(nodesFile));
    expect(patched).toBeGreaterThanOrEqual(2);

    const again = await server({ dataDir: s.dataDir, port: s.port });
    const d = await connect(again);
    const plain = await d.get("at-rest");
    expect(text.decode(plain?.value)).toBe(altered);
    const err = await d.verifiedGet("at-rest").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect(await d.trustedState()).toBeUndefined();
    await again.stop();
  });
});

/** Replaces every occurrence of `from` by `to` (same length) in a file; returns how many. */
function replaceAll(file: string, from: Uint8Array, to: Uint8Array): number {
  const buf = readFileSync(file);
  let n = 0;
  for (let at = buf.indexOf(from); at >= 0; at = buf.indexOf(from, at + 1)) {
    buf.set(to, at);
    n++;
  }
  writeFileSync(file, buf);
  return n;
}

/**
 * immudb's index commit log holds, per snapshot, the SHA-256 of the nodes-log section it covers (100-byte
 * entries: u64 initial size, u64 final size, u32 root size, 32-byte checksum, ...). Files start with a
 * u32-length-prefixed metadata header. Recomputes the checksums that matched the original nodes log.
 */
function resealIndexCommits(commitFile: string, originalNodes: Buffer, patchedNodes: Buffer): void {
  const header = (b: Buffer) => 4 + b.readUInt32BE(0);
  const commit = readFileSync(commitFile);
  const nodesStart = header(originalNodes);
  let resealed = 0;
  for (let at = header(commit); at + 100 <= commit.length; at += 100) {
    const initial = Number(commit.readBigUInt64BE(at) & 0x7fff_ffff_ffff_ffffn);
    const final = Number(commit.readBigUInt64BE(at + 8));
    const section = (b: Buffer) => b.subarray(nodesStart + initial, nodesStart + final);
    const stored = commit.subarray(at + 20, at + 52);
    if (!createHash("sha256").update(section(originalNodes)).digest().equals(stored)) continue;
    createHash("sha256")
      .update(section(patchedNodes))
      .digest()
      .copy(commit, at + 20);
    resealed++;
  }
  if (resealed === 0) throw new Error("no index commit entry matched the nodes log");
  writeFileSync(commitFile, commit);
}
