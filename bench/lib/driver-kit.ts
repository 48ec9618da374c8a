/**
 * The measuring loop shared by the Node drivers (immudb-ts and immudb-node): the same code times both, and
 * bench/go-sdk/main.go mirrors it line for line. A driver supplies a {@link Client} per client object; the kit
 * runs the warm-up, the measured phase, the retry policy and the accounting, and prints one {@link Result}.
 *
 * @module
 */
import { performance } from "node:perf_hooks";
import { RETRYABLE_MESSAGE, type Result, type Spec, type Status } from "./protocol.js";

/** Thrown by a driver for a workload its client cannot do at all; reported as status `n/a`. */
export class NotAvailable extends Error {}

/** One client object, as the workloads need it. Keys and values are strings (every client takes them). */
export interface Client {
  set(key: string): Promise<void>;
  verifiedSet(key: string): Promise<void>;
  /** Resolves with the value's length in bytes. */
  get(key: string): Promise<number>;
  verifiedGet(key: string): Promise<number>;
  setAll(keys: readonly string[]): Promise<void>;
  /** Scans keys with the prefix, `pageSize` per RPC, stopping after `max`; resolves with the number read. */
  scan(prefix: string, pageSize: number, max: number): Promise<number>;
  /** INSERT statement with `@iN`, `@nN`, `@aN` parameters (INTEGER, VARCHAR, INTEGER). */
  sqlExec(sql: string, params: Readonly<Record<string, number | string>>): Promise<void>;
  /** Runs a query and reads every row; resolves with the number of rows (each must have `columns` values). */
  sqlQuery(sql: string, columns: number): Promise<number>;
  close(): Promise<void>;
}

export interface Driver {
  readonly client: string;
  readonly version: string;
  /** Opens one client object (its own connection, its own trusted state under `stateDir`). */
  open(spec: Spec, stateDir: string): Promise<Client>;
}

interface Measurement {
  ops: number;
  units: number;
  durationMs: number;
  latencies: Float64Array;
  cpuUserMs: number;
  cpuSysMs: number;
}

class Fatal extends Error {}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (err === undefined) return "rejected with no reason";
  return String(err);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Growable array of latencies (ms). */
class Latencies {
  #buf = new Float64Array(1024);
  #n = 0;
  push(x: number): void {
    if (this.#n === this.#buf.length) {
      const next = new Float64Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#n++] = x;
  }
  get length(): number {
    return this.#n;
  }
  sorted(): Float64Array {
    return this.#buf.slice(0, this.#n).sort();
  }
}

class Runner {
  retries = 0;
  errors = 0;
  readonly value: string;

  constructor(
    readonly spec: Spec,
    readonly clients: readonly Client[],
  ) {
    this.value = "v".repeat(Math.max(spec.valueSize, 1));
  }

  /** Retries immudb's "max concurrency limit exceeded" (30 write transactions in flight) with full jitter. */
  async withRetry(op: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await op();
        return;
      } catch (err) {
        if (err instanceof NotAvailable) throw err;
        if (!message(err).includes(RETRYABLE_MESSAGE) || attempt >= 1000) {
          this.errors++;
          throw new Fatal(message(err), { cause: err });
        }
        this.retries++;
        const cap = Math.min(this.spec.retry.capMs, this.spec.retry.baseMs * 2 ** Math.min(attempt, 20));
        await sleep(Math.random() * cap);
      }
    }
  }

  /** Runs fn between two CPU readings. */
  async timed(fn: () => Promise<{ ops: number; units: number; latencies: Latencies }>): Promise<Measurement> {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await fn();
    const durationMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      ops: r.ops,
      units: r.units,
      durationMs,
      latencies: r.latencies.sorted(),
      cpuUserMs: cpu.user / 1000,
      cpuSysMs: cpu.system / 1000,
    };
  }

  readKey(i: number): string {
    return `${this.spec.readPrefix}${String(i).padStart(8, "0")}`;
  }

  /** Closed-loop workers for set/get/verifiedSet/verifiedGet: a warm-up phase, then the measured phase. */
  async kv(): Promise<Measurement> {
    const { spec } = this;
    const conc = Math.max(spec.concurrency, 1);
    const seqs = new Array<number>(conc).fill(0);
    const op = async (c: Client, w: number): Promise<void> => {
      if (spec.workload === "set" || spec.workload === "verifiedSet") {
        const key = `${spec.keyPrefix}${w}:${++seqs[w]!}`;
        await this.withRetry(() => (spec.workload === "set" ? c.set(key) : c.verifiedSet(key)));
      } else {
        const key = this.readKey(Math.floor(Math.random() * spec.readCount));
        await this.withRetry(async () => {
          const n = await (spec.workload === "get" ? c.get(key) : c.verifiedGet(key));
          if (n !== spec.valueSize) throw new Error(`got a value of ${n} bytes, want ${spec.valueSize}`);
        });
      }
    };
    const phase = async (ms: number, lat: Latencies | undefined): Promise<number> => {
      const end = performance.now() + ms;
      let stop = false;
      let done = 0;
      const worker = async (w: number) => {
        const c = this.clients[w % this.clients.length]!;
        while (!stop && performance.now() < end) {
          const t = performance.now();
          try {
            await op(c, w);
          } catch (err) {
            stop = true;
            throw err;
          }
          lat?.push(performance.now() - t);
          done++;
        }
      };
      await Promise.all(Array.from({ length: conc }, (_, w) => worker(w)));
      return done;
    };
    await phase(spec.warmupMs, undefined);
    return this.timed(async () => {
      const latencies = new Latencies();
      const ops = await phase(spec.durationMs, latencies);
      return { ops, units: ops, latencies };
    });
  }

  /** Runs warm() during the warm-up, then one() repeatedly (at least once) during the measured phase. */
  async repeat(
    warm: () => Promise<void>,
    one: () => Promise<void>,
    unitsPerOp: number,
  ): Promise<Measurement> {
    for (const end = performance.now() + this.spec.warmupMs; performance.now() < end; ) await warm();
    return this.timed(async () => {
      const latencies = new Latencies();
      const end = performance.now() + this.spec.durationMs;
      while (latencies.length === 0 || performance.now() < end) {
        const t = performance.now();
        await one();
        latencies.push(performance.now() - t);
      }
      return { ops: latencies.length, units: latencies.length * unitsPerOp, latencies };
    });
  }

  /** Batches of `batchSize` new keys, one transaction each, one after the other. */
  setAll(): Promise<Measurement> {
    const c = this.clients[0]!;
    let batch = 0;
    const one = async () => {
      batch++;
      const keys = Array.from(
        { length: this.spec.batchSize },
        (_, i) => `${this.spec.keyPrefix}${batch}:${i}`,
      );
      await this.withRetry(() => c.setAll(keys));
    };
    return this.repeat(one, one, this.spec.batchSize);
  }

  /** Reads every key under `readPrefix` (pages of `pageSize`) and checks the count; warm-up: the first page. */
  scan(): Promise<Measurement> {
    const c = this.clients[0]!;
    const { readPrefix, pageSize, total } = this.spec;
    const scanAll = async (want: number) => {
      const n = await c.scan(readPrefix, pageSize, want);
      if (n !== want) throw new Error(`scan returned ${n} keys, want ${want}`);
    };
    return this.repeat(
      () => scanAll(pageSize),
      () => scanAll(total),
      total,
    );
  }

  /** Creates the table (and a warm-up table), then inserts `total` rows, `batchSize` per parameterised INSERT. */
  async sqlInsert(): Promise<Measurement> {
    const c = this.clients[0]!;
    const { table, batchSize, total } = this.spec;
    for (const t of [table, `${table}_warmup`]) await c.sqlExec(createTableSql(t), {});
    const stmt = insertSql(table, batchSize);
    const warmStmt = insertSql(`${table}_warmup`, batchSize);
    const insert = async (sql: string, first: number) => {
      const params: Record<string, number | string> = {};
      for (let i = 0; i < batchSize; i++) {
        const id = first + i;
        params[`i${i}`] = id;
        params[`n${i}`] = `name-${id}`;
        params[`a${i}`] = id * 7;
      }
      await this.withRetry(() => c.sqlExec(sql, params));
    };
    for (let i = 0, end = performance.now() + this.spec.warmupMs; performance.now() < end; i++) {
      await insert(warmStmt, i * batchSize);
    }
    return this.timed(async () => {
      const latencies = new Latencies();
      for (let first = 0; first < total; first += batchSize) {
        const t = performance.now();
        await insert(stmt, first);
        latencies.push(performance.now() - t);
      }
      return { ops: latencies.length, units: latencies.length * batchSize, latencies };
    });
  }

  /** Streams every row of the table and checks the count; warm-up: the first 1,000 rows. */
  sqlSelect(): Promise<Measurement> {
    const c = this.clients[0]!;
    const sql = `SELECT id, name, amount FROM ${this.spec.table}`;
    const query = async (q: string, want: number) => {
      const n = await c.sqlQuery(q, 3);
      if (n !== want) throw new Error(`select returned ${n} rows, want ${want}`);
    };
    return this.repeat(
      () => query(`${sql} LIMIT 1000`, 1000),
      () => query(sql, this.spec.total),
      this.spec.total,
    );
  }
}

export function createTableSql(table: string): string {
  return `CREATE TABLE ${table} (id INTEGER, name VARCHAR[64], amount INTEGER, PRIMARY KEY id)`;
}

export function insertSql(table: string, rows: number): string {
  const values = Array.from({ length: rows }, (_, i) => `(@i${i}, @n${i}, @a${i})`);
  return `INSERT INTO ${table} (id, name, amount) VALUES ${values.join(", ")}`;
}

async function run(driver: Driver, spec: Spec): Promise<Result> {
  const base = { client: driver.client, version: driver.version, workload: spec.workload };
  const clients: Client[] = [];
  let runner: Runner | undefined;
  const failed = (status: Status, err: unknown): Result => ({
    ...base,
    status,
    error: message(err),
    ops: 0,
    units: 0,
    durationMs: 0,
    p50Ms: 0,
    p99Ms: 0,
    cpuUserMs: 0,
    cpuSysMs: 0,
    maxRssKiB: process.resourceUsage().maxRSS,
    retries: runner?.retries ?? 0,
    errors: runner?.errors ?? 0,
    clients: clients.length,
  });
  try {
    const n = spec.mode === "perWorker" ? Math.max(spec.concurrency, 1) : 1;
    for (let i = 0; i < n; i++) clients.push(await driver.open(spec, `${spec.stateDir}/c${i}`));
    runner = new Runner(spec, clients);
    let m: Measurement;
    switch (spec.workload) {
      case "set":
      case "get":
      case "verifiedSet":
      case "verifiedGet":
        m = await runner.kv();
        break;
      case "setAll":
        m = await runner.setAll();
        break;
      case "scan":
        m = await runner.scan();
        break;
      case "sqlInsert":
        m = await runner.sqlInsert();
        break;
      case "sqlSelect":
        m = await runner.sqlSelect();
        break;
      default:
        throw new Error(`unknown workload ${JSON.stringify(spec.workload)}`);
    }
    return {
      ...base,
      status: "ok",
      ops: m.ops,
      units: m.units,
      durationMs: m.durationMs,
      p50Ms: quantile(m.latencies, 0.5),
      p99Ms: quantile(m.latencies, 0.99),
      cpuUserMs: m.cpuUserMs,
      cpuSysMs: m.cpuSysMs,
      maxRssKiB: process.resourceUsage().maxRSS,
      retries: runner.retries,
      errors: runner.errors,
      clients: clients.length,
    };
  } catch (err) {
    if (runner && !(err instanceof Fatal) && !(err instanceof NotAvailable)) runner.errors++;
    return failed(err instanceof NotAvailable ? "n/a" : "fails", err);
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/** Entry point of a Node driver: reads the spec from argv, prints the result line, exits. */
export function main(driver: Driver): void {
  const arg = process.argv[2];
  if (!arg) {
    process.stderr.write("usage: driver '<spec JSON>'\n");
    process.exit(2);
  }
  const spec = JSON.parse(arg) as Spec;
  // The result goes through this handle: drivers may silence console.log (immudb-node logs on stdout).
  const write = process.stdout.write.bind(process.stdout);
  run(driver, spec).then(
    (result) => write(`${JSON.stringify(result)}\n`, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
