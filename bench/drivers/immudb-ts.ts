/**
 * immudb-ts driver of the comparative benchmark (bench/run.ts bundles it with esbuild and runs it with plain
 * `node`, one process per workload cell). Trusted state: a FileStateStore per client object, as the Go SDK keeps
 * its state in a file under its `WithDir`; with `spec.stateStore === "memory"`, its default in-memory store.
 *
 * Methods other engineers may still be adding (`setAll`, `scan`, `sqlExec`, `sqlQueryIterable`) are looked up
 * at run time: a missing one makes its cells `n/a (not implemented yet)` rather than failing the build.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FileStateStore, ImmudbClient } from "../../src/index.js";
import { type Client, main, NotAvailable } from "../lib/driver-kit.js";
import type { Spec } from "../lib/protocol.js";

/** The optional parts of the client's API, as this driver uses them. */
interface Optional {
  setAll?(entries: readonly { key: string; value: Uint8Array }[]): Promise<unknown>;
  scan?(options: { prefix: string; pageSize: number; limit: number }): AsyncIterable<unknown>;
  sqlExec?(sql: string, params?: Readonly<Record<string, bigint | string>>): Promise<unknown>;
  sqlQueryIterable?(sql: string): AsyncIterable<{ readonly values: readonly unknown[] }>;
}

function need<K extends keyof Optional>(c: Optional, name: K): NonNullable<Optional[K]> {
  const fn = c[name];
  if (typeof fn !== "function") throw new NotAvailable(`n/a (not implemented yet): ImmudbClient.${name}`);
  return fn.bind(c) as NonNullable<Optional[K]>;
}

function version(): string {
  // The bundle sits in the cache; IMMUDB_TS_ROOT (set by bench/run.ts) points at the repository.
  const root = process.env.IMMUDB_TS_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  try {
    return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

async function open(spec: Spec, stateDir: string): Promise<Client> {
  const client = await ImmudbClient.connect({
    host: spec.host,
    port: spec.port,
    user: spec.user,
    password: spec.password,
    database: spec.database,
    // immudb-ts retries immudb's busy refusals of plain writes itself (50 ms base backoff, 3 attempts, silently):
    // off, so that the benchmark's one retry policy (bench/lib/driver-kit.ts) applies to every client, counted.
    retry: false,
    ...(spec.stateStore === "memory"
      ? {}
      : { stateStore: new FileStateStore({ path: join(stateDir, "state.json") }) }),
  });
  const opt = client as unknown as Optional;
  const value = new Uint8Array(spec.valueSize).fill(0x76); // "v" repeated, as the other drivers send
  return {
    async set(key) {
      await client.set(key, value);
    },
    async verifiedSet(key) {
      await client.verifiedSet(key, value);
    },
    async get(key) {
      const e = await client.get(key);
      return e?.value.length ?? -1;
    },
    async verifiedGet(key) {
      return (await client.verifiedGet(key)).value.length;
    },
    async setAll(keys) {
      await need(opt, "setAll")(keys.map((key) => ({ key, value })));
    },
    async scan(prefix, pageSize, max) {
      let n = 0;
      for await (const _ of need(opt, "scan")({ prefix, pageSize, limit: max })) n++;
      return n;
    },
    async sqlExec(sql, params) {
      const p: Record<string, bigint | string> = {};
      for (const [k, v] of Object.entries(params)) p[k] = typeof v === "number" ? BigInt(v) : v;
      await need(opt, "sqlExec")(sql, p);
    },
    async sqlQuery(sql, columns) {
      let n = 0;
      for await (const row of need(opt, "sqlQueryIterable")(sql)) {
        if (row.values.length !== columns) throw new Error(`row has ${row.values.length} columns`);
        n++;
      }
      return n;
    },
    close: () => client.close(),
  };
}

main({ client: "immudb-ts", version: version(), open });
