/**
 * The `immudb-ts` command-line tool, run as a subprocess against real immudb servers: every command with `--json`
 * parsed, exit codes, a 100,000-key import, export round trips, and an audit that catches a forked server (same
 * identity, rewritten history) and calls its webhook.
 *
 * The CLI's sources (src/cli/main.ts and the library) are compiled once by esbuild, the compiler tsx itself uses,
 * into one ES module whose npm dependencies stay external (so they load from node_modules as in production): ~70
 * runs then start in a third of the CPU time of `node --import tsx src/cli/main.ts`, which is used when esbuild
 * cannot be loaded.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImmudbClient } from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TSX = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const MAIN = join(root, "src", "cli", "main.ts");

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const cleanup: Array<() => Promise<void> | void> = [];
let work: string;
/** `node` arguments that start the CLI. */
let entry: string[] = ["--import", TSX, MAIN];

/** Bundles the CLI (see the header); keeps the tsx entry if esbuild is not available. */
async function bundleCli(): Promise<void> {
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch {
    return;
  }
  const dir = mkdtempSync(join(root, "node_modules", ".cache", "immudb-ts-cli-test-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, "cli", "main.mjs");
  await esbuild.build({
    entryPoints: [MAIN],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "error",
  });
  entry = [outfile];
}

/** Runs the CLI with an isolated environment (no IMMUDB_* from the caller, HOME in a temp dir). */
function cli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...entry, ...args], {
      cwd: work,
      env: { PATH: process.env.PATH ?? "", HOME: work, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The single JSON document a `--json` run printed. */
function parsed<T = Record<string, unknown>>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

function expectOk(r: Run): void {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "immudb-ts-cli-"));
  cleanup.push(() => rmSync(work, { recursive: true, force: true }));
  mkdirSync(join(root, "node_modules", ".cache"), { recursive: true });
  await bundleCli();
});

afterAll(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe("immudb-ts CLI against one server", () => {
  let server: ImmudbServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startImmudb();
    cleanup.push(() => server.dispose());
    env = { IMMUDB_URL: server.url, IMMUDB_TS_STATE: join(work, "state.json") };
  });

  it("help for the program and every command; bad usage exits 2", async () => {
    const [top, get, sqlGroup, noCommand, unknown, unknownOpt, missing] = await Promise.all([
      cli(["--help"]),
      cli(["get", "--help"]),
      cli(["sql"]),
      cli([]),
      cli(["frobnicate", "--json"]),
      cli(["get", "k", "--bogus", "--json"], env),
      cli(["get"], env),
    ]);
    expectOk(top);
    for (const c of [
      "set",
      "get",
      "scan",
      "history",
      "tx",
      "sql exec",
      "databases list",
      "users create",
      "state",
    ]) {
      expect(top.stdout).toContain(c);
    }
    for (const c of ["import", "export", "audit", "info"]) expect(top.stdout).toContain(c);
    expect(top.stdout).toMatch(/Exit codes:[\s\S]*4 {2}verification failure/);
    expectOk(get);
    expect(get.stdout).toContain("Usage: immudb-ts get <key>");
    expect(get.stdout).toContain("--verified");
    expect(sqlGroup.code).toBe(2);
    expect(sqlGroup.stderr).toContain("sql query");
    expect(noCommand.code).toBe(2);
    expect(unknown.code).toBe(2);
    expect(parsed(unknown)).toMatchObject({ ok: false, exitCode: 2, error: { code: "USAGE" } });
    expect(unknownOpt.code).toBe(2);
    expect(parsed(unknownOpt)).toMatchObject({ ok: false, exitCode: 2 });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing argument");
  });

  it("set/get plain and verified, scan, history, tx; the trusted state advances in the state file", async () => {
    const s1 = await cli(["set", "greeting", "hello", "--json"], env);
    expectOk(s1);
    const tx1 = parsed<{ tx: string; verified: boolean }>(s1);
    expect(tx1.verified).toBe(false);
    const s2 = await cli(["set", "greeting", "world", "--verified", "--json"], env);
    expectOk(s2);
    const tx2 = parsed<{ tx: string; verified: boolean; trusted: { txId: string } }>(s2);
    expect(tx2).toMatchObject({ verified: true, trusted: { txId: tx2.tx } });
    expect(BigInt(tx2.tx)).toBe(BigInt(tx1.tx) + 1n);

    const [plain, verified, missing, human, scan, history, tx, vtx] = await Promise.all([
      cli(["get", "greeting", "--json"], env),
      cli(["get", "greeting", "--verified", "--json"], env),
      cli(["get", "no-such-key", "--json"], env),
      cli(["get", "greeting", "--verified"], env),
      cli(["scan", "--json", "--prefix", "greet"], env),
      cli(["history", "greeting", "--json"], env),
      cli(["tx", tx1.tx, "--json"], env),
      cli(["tx", tx2.tx, "--verified", "--json"], env),
    ]);
    expectOk(plain);
    expect(parsed(plain)).toMatchObject({
      found: true,
      key: "greeting",
      value: "world",
      tx: tx2.tx,
      revision: "2",
    });
    expectOk(verified);
    expect(parsed(verified)).toMatchObject({ value: "world", verified: true, trusted: { txId: tx2.tx } });
    expect(missing.code).toBe(1);
    expect(parsed(missing)).toMatchObject({ found: false });
    expectOk(human);
    expect(human.stdout).toMatch(/value\s+world/);
    expect(human.stdout).toMatch(/verified\s+yes/);
    expectOk(scan);
    expect(parsed(scan)).toMatchObject({ count: 1, entries: [{ key: "greeting", value: "world" }] });
    expectOk(history);
    expect(parsed<{ revisions: { value: string }[] }>(history).revisions.map((r) => r.value)).toEqual([
      "hello",
      "world",
    ]);
    expectOk(tx);
    expect(parsed(tx)).toMatchObject({
      header: { id: tx1.tx, nEntries: 1 },
      entries: [{ kind: "kv", key: "greeting", value: "hello" }],
      verified: false,
    });
    expectOk(vtx);
    expect(parsed(vtx)).toMatchObject({
      header: { id: tx2.tx },
      entries: [{ key: "greeting" }],
      verified: true,
    });

    const state = await cli(["state", "--json"], env);
    expectOk(state);
    const st = parsed<{
      path: string;
      trusted: { txId: string };
      server: { txId: string };
      serverUuid: string;
    }>(state);
    expect(st.path).toBe(join(work, "state.json"));
    expect(st.trusted.txId).toBe(tx2.tx);
    expect(st.server.txId).toBe(tx2.tx);
    const all = await cli(["state", "--all", "--json"], env);
    expectOk(all);
    expect(parsed(all)).toMatchObject({
      exists: true,
      states: [{ serverUuid: st.serverUuid, database: "defaultdb", txId: tx2.tx }],
    });
  });

  it("sql exec and query (tables for people, typed JSON for scripts), tables, describe", async () => {
    expectOk(
      await cli(
        [
          "sql",
          "exec",
          "CREATE TABLE IF NOT EXISTS people (id INTEGER AUTO_INCREMENT, name VARCHAR, age INTEGER, PRIMARY KEY id)",
        ],
        env,
      ),
    );
    const ins = await cli(
      [
        "sql",
        "exec",
        "INSERT INTO people (name, age) VALUES (@name, @age)",
        "-P",
        "name=alice",
        "-P",
        "age=42",
        "--json",
      ],
      env,
    );
    expectOk(ins);
    expect(parsed(ins)).toMatchObject({ txs: [{ updatedRows: 1, lastInsertedPks: { people: "1" } }] });
    expectOk(await cli(["sql", "exec", "INSERT INTO people (name, age) VALUES ('bob', 7)"], env));
    const [q, human, tables, describe] = await Promise.all([
      cli(
        [
          "sql",
          "query",
          "SELECT id, name, age FROM people WHERE age > @min ORDER BY id",
          "-P",
          "min=1",
          "--json",
        ],
        env,
      ),
      cli(["sql", "query", "SELECT id, name FROM people ORDER BY id"], env),
      cli(["sql", "tables", "--json"], env),
      cli(["sql", "describe", "people", "--json"], env),
    ]);
    expectOk(q);
    expect(parsed(q)).toEqual({
      columns: [
        { name: "id", type: "INTEGER" },
        { name: "name", type: "VARCHAR" },
        { name: "age", type: "INTEGER" },
      ],
      rows: [
        { id: "1", name: "alice", age: "42" },
        { id: "2", name: "bob", age: "7" },
      ],
      count: 2,
    });
    expectOk(human);
    expect(human.stdout.split("\n").slice(0, 4)).toEqual(["id  name", "--  -----", "1   alice", "2   bob"]);
    expect(human.stdout).toContain("(2 rows)");
    expectOk(tables);
    expect(parsed<{ tables: string[] }>(tables).tables).toContain("people");
    expectOk(describe);
    expect(parsed<{ columns: { name: string }[] }>(describe).columns.map((c) => c.name)).toEqual([
      "id",
      "name",
      "age",
    ]);
    const bad = await cli(["sql", "query", "SELECT * FROM nowhere", "--json"], env);
    expect(bad.code).toBe(1);
    expect(parsed(bad)).toMatchObject({ ok: false, exitCode: 1 });
  });

  it("databases and users management, info", async () => {
    const created = await cli(["databases", "create", "clidb", "--json"], env);
    expectOk(created);
    expect(parsed(created)).toMatchObject({ database: "clidb", ok: true, alreadyExisted: false });
    const again = await cli(["databases", "create", "clidb", "--if-not-exists", "--json"], env);
    expectOk(again);
    expect(parsed(again)).toMatchObject({ alreadyExisted: true });
    const list = await cli(["databases", "list", "--json"], env);
    expectOk(list);
    expect(parsed<{ databases: { name: string; loaded: boolean }[] }>(list).databases).toContainEqual(
      expect.objectContaining({ name: "clidb", loaded: true }),
    );

    expectOk(await cli(["users", "create", "carol", "Carol-pw-123", "readwrite", "clidb"], env));
    expectOk(await cli(["users", "grant", "carol", "admin", "clidb", "--json"], env));
    const users = await cli(["users", "list", "--json"], env);
    expectOk(users);
    const carol = parsed<{ users: { user: string; active: boolean; permissions: unknown[] }[] }>(
      users,
    ).users.find((u) => u.user === "carol");
    expect(carol).toMatchObject({ active: true, permissions: [{ database: "clidb", permission: "admin" }] });
    // carol can work on clidb with her own credentials
    const carolEnv = {
      ...env,
      IMMUDB_USER: "carol",
      IMMUDB_PASSWORD: "Carol-pw-123",
      IMMUDB_DATABASE: "clidb",
    };
    const carolUrl = `immudb://carol:Carol-pw-123@127.0.0.1:${server.port}/clidb`;
    expectOk(await cli(["set", "owner", "carol", "--url", carolUrl], env));
    expectOk(await cli(["users", "deactivate", "carol"], env));
    const denied = await cli(["get", "owner", "--json"], carolEnv);
    expect(denied.code).toBe(3);
    expect(parsed(denied)).toMatchObject({ error: { name: "AuthenticationError" } });
    expectOk(await cli(["users", "activate", "carol"], env));
    expectOk(await cli(["users", "password", "carol", "Carol-pw-456"], env));
    expectOk(await cli(["get", "owner", "--password", "Carol-pw-456"], carolEnv));
    expectOk(await cli(["users", "revoke", "carol", "clidb"], env));

    expectOk(await cli(["databases", "unload", "clidb"], env));
    expectOk(await cli(["databases", "load", "clidb"], env));
    const info = await cli(["info", "--json"], env);
    expectOk(info);
    expect(parsed(info)).toMatchObject({ healthy: true, version: "1.11.1" });
    expectOk(await cli(["databases", "unload", "clidb"], env));
    const del = await cli(["databases", "delete", "clidb", "--json"], env);
    expectOk(del);
    expect(parsed(del)).toMatchObject({ database: "clidb", action: "delete", ok: true });
  });

  it("connection failures exit 3: unreachable server, wrong password, audit of an unreachable server", async () => {
    const down = {
      IMMUDB_URL: "immudb://immudb:immudb@127.0.0.1:1/defaultdb",
      IMMUDB_TS_STATE: join(work, "x.json"),
    };
    const [get, wrong, audit] = await Promise.all([
      cli(["get", "greeting", "--json"], down),
      cli(["get", "greeting", "--password", "nope"], env),
      cli(["audit", "--once", "--json"], down),
    ]);
    expect(get.code).toBe(3);
    expect(parsed(get)).toMatchObject({ ok: false, exitCode: 3, error: { code: "CONNECTION" } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/password/);
    expect(audit.code).toBe(3);
    expect(parsed(audit)).toMatchObject({
      round: 1,
      ok: false,
      results: [{ database: "defaultdb", status: "unreachable" }],
    });
  });

  it("imports 100,000 keys from JSONL (batched, verified at the end) and round-trips them through export", async () => {
    const file = join(work, "bulk.jsonl");
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++)
      lines.push(JSON.stringify({ key: `bulk:${String(i).padStart(6, "0")}`, value: `v${i}` }));
    writeFileSync(file, `${lines.join("\n")}\n`);
    expectOk(await cli(["databases", "create", "bulk", "--if-not-exists"], env));
    const benv = { ...env, IMMUDB_DATABASE: "bulk" };
    const imp = await cli(["import", file, "--json"], benv);
    expectOk(imp);
    const s = parsed<{
      written: number;
      transactions: number;
      firstTx: string;
      lastTx: string;
      durationMs: number;
      verification: {
        verified: boolean;
        sampledKeys: number;
        provenTransactions: number;
        finalState: { txId: string };
      };
    }>(imp);
    console.log(`import of 100,000 keys: ${s.durationMs} ms (${s.transactions} txs)`);
    expect(imp.stderr).toBe(""); // no progress bar without a TTY
    expect(s.written).toBe(100_000);
    expect(s.transactions).toBe(100);
    expect(BigInt(s.lastTx) - BigInt(s.firstTx)).toBe(99n);
    expect(s.verification).toMatchObject({ verified: true, sampledKeys: 100, provenTransactions: 1 });
    expect(s.verification.finalState.txId).toBe(s.lastTx);

    const c = await ImmudbClient.connect({ port: server.port, database: "bulk" });
    cleanup.push(() => c.close());
    expect(await c.count("bulk:")).toBe(100_000n);
    expect(new TextDecoder().decode((await c.get("bulk:054321"))?.value)).toBe("v54321");

    const out = join(work, "bulk-export.jsonl");
    const exp = await cli(["export", out, "--prefix", "bulk:", "--json"], benv);
    expectOk(exp);
    expect(parsed(exp)).toMatchObject({ kind: "keys", lines: 100_000 });
    const exported = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(exported).toHaveLength(100_000);
    expect(JSON.parse(exported[54_321] as string)).toMatchObject({ key: "bulk:054321", value: "v54321" });
  });

  it("export → import → export round trip, CSV import, binary keys, and the verified tx-log export", async () => {
    const src = { ...env, IMMUDB_DATABASE: "rtsrc" };
    const dst = { ...env, IMMUDB_DATABASE: "rtdst" };
    expectOk(await cli(["databases", "create", "rtsrc"], env));
    expectOk(await cli(["databases", "create", "rtdst"], env));
    const csv = join(work, "in.csv");
    writeFileSync(csv, 'key,value\nplain,hello\n"comma,key","a ""quoted"" value"\nmulti,"line1\nline2"\n');
    const ci = await cli(["import", csv, "--json"], src);
    expectOk(ci);
    expect(parsed(ci)).toMatchObject({ format: "csv", written: 3, transactions: 1 });
    const c = await ImmudbClient.connect({ port: server.port, database: "rtsrc" });
    cleanup.push(() => c.close());
    await c.set(new Uint8Array([0xff, 0x00, 0x01]), new Uint8Array([0xc3, 0x28]));

    const a = join(work, "rt-a.jsonl");
    const b = join(work, "rt-b.jsonl");
    expectOk(await cli(["export", a], src));
    const lines = readFileSync(a, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines).toContainEqual(expect.objectContaining({ key: "comma,key", value: 'a "quoted" value' }));
    expect(lines).toContainEqual(expect.objectContaining({ key: "multi", value: "line1\nline2" }));
    expect(lines).toContainEqual(expect.objectContaining({ keyBase64: "/wAB", valueBase64: "wyg=" }));
    expectOk(await cli(["import", a], dst));
    expectOk(await cli(["export", b], dst));
    const strip = (f: string) =>
      readFileSync(f, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => {
          const { tx: _tx, revision: _rev, ...kv } = JSON.parse(l) as Record<string, string>;
          return kv;
        });
    expect(strip(b)).toEqual(strip(a));

    const txlog = join(work, "txlog.jsonl");
    const te = await cli(["export", txlog, "--txs", "--json"], src);
    expectOk(te);
    expect(parsed(te)).toMatchObject({
      kind: "txs",
      lines: 2,
      fromTx: "1",
      toTx: "2",
      verified: true,
      finalState: { txId: "2" },
    });
    const txs = readFileSync(txlog, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { tx: string; entries: unknown[] });
    expect(txs.map((t) => t.tx)).toEqual(["1", "2"]);
    expect(txs[0]?.entries).toHaveLength(3);
    // to stdout: the data on stdout, the summary on stderr
    const toStdout = await cli(["export", "-", "--txs", "--from-tx", "2"], src);
    expectOk(toStdout);
    expect(toStdout.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(toStdout.stderr).toContain("exported 1 transactions");
  });

  it("audit: refuses a silent first use (exit 2), then trusts explicitly and proves each round", async () => {
    const aenv = { ...env, IMMUDB_TS_STATE: join(work, "audit-state.json") };
    const refused = await cli(["audit", "--once", "--json"], aenv);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      round: 1,
      ok: false,
      results: [{ status: "untrusted" }],
    });
    const first = await cli(
      ["audit", "--once", "--accept-initial-state", "--databases", "all", "--json"],
      aenv,
    );
    expectOk(first);
    const r1 = JSON.parse(first.stdout) as { results: { database: string; status: string }[] };
    expect(r1.results.find((r) => r.database === "defaultdb")?.status).toBe("initialized");
    expect(r1.results.map((r) => r.database)).toEqual(expect.arrayContaining(["defaultdb", "bulk", "rtsrc"]));
    expectOk(await cli(["set", "after-audit", "x"], env));
    const rounds = await cli(["audit", "--rounds", "2", "--interval", "100ms"], aenv);
    expectOk(rounds);
    expect(rounds.stdout).toMatch(/round 1: ok\n\s+defaultdb\s+ok\s+tx \d+ -> \d+/);
    expect(rounds.stdout).toMatch(/round 2: ok/);
  });
});

describe("immudb-ts CLI over TLS", () => {
  it("connects with --tls-ca (or ?tlsCaFile= in the URL); a wrong trust or plaintext exits 3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "immudb-ts-cli-tls-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // A self-signed certificate for 127.0.0.1, trusted as its own CA.
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "server.key",
        "-out",
        "server.pem",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      ],
      { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
    );
    const ca = join(dir, "server.pem");
    const server = await startImmudb({
      args: ["--certificate", ca, "--pkey", join(dir, "server.key")],
      tls: { ca: readFileSync(ca, "utf8") },
    });
    cleanup.push(() => server.dispose());
    const env = { IMMUDB_URL: server.url, IMMUDB_TS_STATE: join(dir, "state.json") };
    const [viaFlag, viaUrl, plaintext, untrusted] = await Promise.all([
      cli(["set", "secure", "yes", "--verified", "--tls-ca", ca, "--json"], env),
      cli(
        [
          "info",
          "--json",
          "--url",
          `immudb://immudb:immudb@127.0.0.1:${server.port}/defaultdb?tlsCaFile=${ca}`,
        ],
        env,
      ),
      cli(["get", "secure", "--json"], env),
      cli(["get", "secure", "--tls", "--json"], env),
    ]);
    expectOk(viaFlag);
    expect(parsed(viaFlag)).toMatchObject({ key: "secure", verified: true });
    expectOk(viaUrl);
    expect(parsed(viaUrl)).toMatchObject({ healthy: true });
    expect(plaintext.code).toBe(3);
    expect(untrusted.code).toBe(3);
    expect(parsed<{ error: { message: string } }>(untrusted).error.message).toMatch(/TLS handshake failed/);
  });
});

describe("immudb-ts audit against a forked server", () => {
  it("catches a server with the same identity and a rewritten history: evidence, webhook, exit 4", async () => {
    const dir = mkdtempSync(join(tmpdir(), "immudb-ts-cli-fork-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, "state.json");
    const original = await startImmudb();
    cleanup.push(() => original.dispose());
    const port = original.port;
    const env = { IMMUDB_URL: original.url, IMMUDB_TS_STATE: stateFile };
    const w = await ImmudbClient.connect({ port });
    for (let i = 0; i < 3; i++) await w.set(`shared:${i}`, `v${i}`);
    await w.close();
    await original.stop();
    // The fork shares txs 1-3 and the server identity, then diverges.
    const forkDir = join(dir, "fork");
    cpSync(original.dataDir, forkDir, { recursive: true });

    const honest = await startImmudb({ dataDir: original.dataDir, port });
    cleanup.push(() => honest.stop());
    expectOk(await cli(["audit", "--once", "--accept-initial-state"], env));
    const h = await ImmudbClient.connect({ port });
    for (let i = 0; i < 3; i++) await h.set(`honest:${i}`, `h${i}`);
    await h.close();
    const ok = await cli(["audit", "--once", "--json"], env);
    expectOk(ok);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      results: [{ status: "ok", previous: { txId: "3" }, current: { txId: "6" } }],
    });
    const trusted = JSON.parse(ok.stdout).results[0].current.txHash as string;
    await honest.stop();

    const forked = await startImmudb({ dataDir: forkDir, port });
    cleanup.push(() => forked.stop());
    const f = await ImmudbClient.connect({ port });
    for (let i = 0; i < 4; i++) await f.set(`forged:${i}`, `f${i}`);
    await f.close();

    const hooks: { headers: IncomingMessage["headers"]; body: string }[] = [];
    const hook: Server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (d: string) => {
        body += d;
      });
      req.on("end", () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise<void>((resolve) => hook.close(() => resolve())));
    const hookPort = (hook.address() as { port: number }).port;

    // Runs rounds until the failure (no --once): the first round catches it.
    const caught = await cli(
      [
        "audit",
        "--interval",
        "200ms",
        "--webhook",
        `http://127.0.0.1:${hookPort}/immudb`,
        "--webhook-header",
        "Authorization: Bearer hook-token",
        "--webhook-secret",
        "s3cret",
      ],
      env,
    );
    expect(caught.code).toBe(4);
    expect(caught.stdout).toContain("TAMPERING DETECTED (tampered)");
    expect(caught.stdout).toMatch(new RegExp(`trusted state\\s+tx 6\\s+${trusted}`));
    expect(caught.stdout).toMatch(/server claims\s+tx 7\s+[0-9a-f]{64}/);
    expect(caught.stdout).toMatch(/reason\s+alh-mismatch/); // the proof's source tx 6 is not the trusted tx 6
    expect(caught.stdout).toMatch(/webhook\s+delivered \(HTTP 204/);

    expect(hooks).toHaveLength(1);
    const [call] = hooks;
    expect(call?.headers.authorization).toBe("Bearer hook-token");
    expect(call?.headers["content-type"]).toBe("application/json");
    expect(call?.headers["x-immudb-ts-signature"]).toBe(
      `sha256=${createHmac("sha256", "s3cret")
        .update(call?.body ?? "")
        .digest("hex")}`,
    );
    const payload = JSON.parse(call?.body ?? "{}");
    expect(payload).toMatchObject({
      source: "immudb-ts",
      event: "audit.tampering",
      tampered: true,
      database: "defaultdb",
      status: "tampered",
      evidence: {
        database: "defaultdb",
        address: `127.0.0.1:${port}`,
        trusted: { txId: "6", txHash: trusted },
        claimed: { txId: "7" },
        reason: "alh-mismatch",
      },
    });
    expect(call?.body).not.toMatch(/immudb:immudb|password/i);

    // The trusted state did not move; a JSON run reports the same evidence, and verified reads fail with exit 4.
    const again = await cli(["audit", "--once", "--json"], env);
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: false,
      results: [
        { status: "tampered", evidence: { trusted: { txId: "6", txHash: trusted }, claimed: { txId: "7" } } },
      ],
    });
    const read = await cli(["get", "forged:0", "--verified", "--json"], env);
    expect(read.code).toBe(4);
    expect(parsed(read)).toMatchObject({ ok: false, exitCode: 4, error: { code: "VERIFICATION" } });
    const state = await cli(["state", "--all", "--json"], env);
    expect(parsed(state)).toMatchObject({ states: [{ txId: "6", txHash: trusted }] });
  });
});
