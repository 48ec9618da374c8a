/**
 * Small helpers shared by the reliability suite (test/integration/reliability/): figures reporting, percentiles,
 * bounded concurrency, and the child-process runner of the multi-process tests.
 */

import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startWorker, type Worker } from "../../harness/worker.js";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "..", "..", "..");

export type { Worker };

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

/** Starts one of this folder's worker scripts (`test/harness/worker.ts`). */
export function runWorker(script: string, args: readonly string[]): Worker {
  return startWorker(join(here, script), args);
}
