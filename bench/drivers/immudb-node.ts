/**
 * immudb-node 1.1.1 driver of the comparative benchmark (bench/run.ts bundles it with esbuild, immudb-node left
 * external, and runs it with plain `node`, one process per workload cell: immudb-node installs SIGINT, exit and
 * uncaughtException handlers and its `shutdown()` calls `process.exit`, so it gets a process of its own).
 *
 * It speaks immudb's legacy token auth (Login + UseDatabase). Its `getInstance` is a process-wide singleton and
 * switches to `defaultdb` when the requested database already exists, so this driver builds clients with the
 * constructor, `initClient(…, autoDatabase = false)` and an explicit `useDatabase`. It logs on stdout: console
 * output is silenced (the result line is written through the saved `process.stdout.write`).
 *
 * immudb-node's proofs predate immudb 1.2's transaction format: verified calls against 1.11.1 are expected to
 * fail, and are reported as `fails` with the error, not hidden.
 *
 * @module
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as ImmudbNode from "immudb-node";
import { type Client, main } from "../lib/driver-kit.js";
import type { Spec } from "../lib/protocol.js";

const require = createRequire(import.meta.url);
const ImmudbClient = (require("immudb-node") as typeof ImmudbNode.default).default;

/** immudb-node's last console.error line: it often rejects with `null` and says what failed only there. */
let lastError = "";
for (const k of ["log", "info", "warn", "debug"] as const) console[k] = () => undefined;
console.error = (...args: unknown[]) => {
  lastError = args
    .map((a) => (a instanceof Error ? a.message : String(a)))
    .join(" ")
    .slice(0, 300);
};

/** Runs a call, turning immudb-node's reasonless rejections into errors that say what it logged. */
async function call<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  let x: T | undefined;
  try {
    x = await fn();
  } catch (err) {
    if (err instanceof Error) throw err;
    if (err !== null && typeof err === "object" && "message" in err) throw new Error(String(err.message));
    if (typeof err === "string" && err) throw new Error(err);
    throw new Error(`immudb-node ${what} rejected with ${String(err)}; it logged: ${lastError || "nothing"}`);
  }
  if (x === undefined)
    throw new Error(`immudb-node ${what} returned undefined; it logged: ${lastError || "nothing"}`);
  return x;
}

function version(): string {
  try {
    const path = require.resolve("immudb-node/package.json");
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

async function open(spec: Spec, stateDir: string): Promise<Client> {
  mkdirSync(stateDir, { recursive: true }); // immudb-node writes its state file there but creates no directory
  const client = new ImmudbClient({ host: spec.host, port: spec.port, rootPath: join(stateDir, "root") });
  await client.initClient(spec.user, spec.password, spec.database, true, false);
  await client.useDatabase({ databasename: spec.database });
  const value = "v".repeat(spec.valueSize);
  return {
    async set(key) {
      await call("set", () => client.set({ key, value }));
    },
    async verifiedSet(key) {
      await call("verifiedSet", () => client.verifiedSet({ key, value }));
    },
    async get(key) {
      return (await call("get", () => client.get({ key }))).value.length;
    },
    async verifiedGet(key) {
      return (await call("verifiedGet", () => client.verifiedGet({ key }))).value.length;
    },
    async setAll(keys) {
      await call("setAll", () => client.setAll({ kvsList: keys.map((key) => ({ key, value })) }));
    },
    async scan(prefix, pageSize, max) {
      // Pages continue after the last key (immudb-node has no inclusiveSeek option; the seek key is excluded).
      let n = 0;
      let seekkey: string | undefined;
      while (n < max) {
        const page = await call("scan", () =>
          client.scan({ prefix, limit: pageSize, ...(seekkey === undefined ? {} : { seekkey }) }),
        );
        const entries = page.entriesList;
        n += entries.length;
        if (entries.length < pageSize) break;
        seekkey = entries[entries.length - 1]!.key as unknown as string;
      }
      return n;
    },
    async sqlExec(sql, params) {
      await call("SQLExec", () => client.SQLExec({ sql, params }));
    },
    async sqlQuery(sql, columns) {
      const rows = await call("SQLQuery", () => client.SQLQuery({ sql }));
      for (const row of rows) {
        if (Object.keys(row).length !== columns)
          throw new Error(`row has ${Object.keys(row).length} columns`);
      }
      return rows.length;
    },
    async close() {
      // Not shutdown(): it calls process.exit. Logout is fire-and-forget in immudb-node too.
      await client.logout().catch(() => undefined);
    },
  };
}

main({ client: "immudb-node", version: version(), open });
