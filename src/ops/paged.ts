/**
 * {@link PagedIterable}: the result type of the paging reads (`scan`, `zScan`, `history`, `txScan`). It is an
 * `AsyncIterable` that fetches one page per RPC as it is consumed, plus a bounded {@link PagedIterable.toArray}.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.js";

/**
 * Produces the items of one iteration. `cap` is an extra bound on the number of items wanted (from
 * {@link PagedIterable.toArray}), so that the generator never asks the server for more than it will hand out.
 */
export type PageRunner<T> = (cap: number) => AsyncGenerator<T, void, undefined>;

/**
 * Results read page by page from the server (immudb caps one page at 2,500 entries).
 *
 * - `for await (const x of results)` runs the query: each page is one RPC, sent only when the previous page has
 *   been consumed. Leaving the loop early (`break`, `return`, a thrown error) sends no further RPC.
 * - Each iteration runs the query again from the start; the object holds no cursor.
 * - `toArray(max)` collects at most `max` items (and asks the server for no more than that).
 * - The call options (`timeoutMs`, `signal`) apply to each page's RPC.
 *
 * @example
 * ```ts
 * for await (const entry of client.scan({ prefix: "user:" })) {
 *   if (done(entry)) break; // no further page is fetched
 * }
 * const first100 = await client.scan({ prefix: "user:" }).toArray(100);
 * ```
 */
export class PagedIterable<T> implements AsyncIterable<T> {
  readonly #run: PageRunner<T>;

  /** @internal Created by the client; not meant to be constructed by users. */
  constructor(run: PageRunner<T>) {
    this.#run = run;
  }

  [Symbol.asyncIterator](): AsyncIterator<T, void, undefined> {
    return this.#run(Number.POSITIVE_INFINITY);
  }

  /**
   * Collects at most `max` items into an array, in iteration order. Fetches no more pages (and asks for no more
   * entries) than needed for `max` items. `max` is required so that an unexpectedly large result cannot exhaust
   * memory; pass `Number.POSITIVE_INFINITY` to collect everything deliberately.
   *
   * @throws InvalidArgumentError when `max` is not a non-negative integer or `+Infinity`.
   */
  async toArray(max: number): Promise<T[]> {
    if (
      typeof max !== "number" ||
      !(Number.isSafeInteger(max) || max === Number.POSITIVE_INFINITY) ||
      max < 0
    ) {
      throw new InvalidArgumentError("toArray(max): max must be a non-negative integer or Infinity");
    }
    const out: T[] = [];
    if (max === 0) return out;
    for await (const item of { [Symbol.asyncIterator]: () => this.#run(max) }) {
      out.push(item);
      if (out.length >= max) break;
    }
    return out;
  }
}
