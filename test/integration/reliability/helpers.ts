/**
 * Small helpers shared by the reliability suite (test/integration/reliability/): figures reporting, percentiles,
 * bounded concurrency, and the child-process runner of the multi-process tests.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "..", "..", "..");

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Prints one measured figure as `[reliability] <case>: <json>`, the form docs/reliability.md quotes, so a run's
 * figures can be collected with `grep '\[reliability\]'`.
 */
export function figure(name: string, values: Record<string, unknown>): void {
  const json = JSON.stringify(values, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  console.log(`[reliability] ${name}: ${json}`);
}

/** The p-th percentile (0-100, nearest rank) of `xs`; `NaN` for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs `fn` on every item with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!, i);
  });
  await Promise.all(lanes);
  return out;
}

/** A child process started by {@link runWorker}. */
export interface Worker {
  readonly child: ChildProcess;
  /** Resolves to the parsed last stdout line once the process exited with code 0; rejects otherwise. */
  readonly result: Promise<Record<string, unknown>>;
  /** Resolves when the process printed its first line (or ended). */
  readonly ready: Promise<void>;
  /** Kills the process (SIGKILL) if it is still running. */
  kill(): void;
}

/** Starts `node --import tsx <script> ...args` from the repository root. */
export function runWorker(script: string, args: readonly string[]): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, script), ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let onLine: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onLine = r;
  });
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("\n")) onLine();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const result = new Promise<Record<string, unknown>>((resolveResult, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(" ")} exited with ${code ?? signal}:\n${err}\n${out}`));
        return;
      }
      try {
        resolveResult(JSON.parse(out.trim().split("\n").at(-1) ?? "null") as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`${script}: unreadable result ${JSON.stringify(out)}: ${e}`));
      }
    });
  });
  result.catch(() => undefined); // observed by the caller; never an unhandled rejection
  return {
    child,
    result,
    ready: Promise.race([
      ready,
      result.then(
        () => undefined,
        () => undefined,
      ),
    ]),
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
