import { describe, expect, it } from "vitest";
import { InvalidArgumentError, ServerError } from "../../src/errors.js";
import {
  type ChunkLike,
  checkChunkSize,
  concat,
  DEFAULT_CHUNK_SIZE,
  encodeMessage,
  encodeStreamedMessage,
  MalformedStreamError,
  MessageReader,
  MIN_CHUNK_SIZE,
  u64Bytes,
} from "../../src/ops/stream-framing.js";

/** A deterministic pseudo-random generator (xorshift32), so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

function payload(n: number, seed = n): Uint8Array {
  const r = rng(seed + 1);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
  return out;
}

/** The Go sender (`pkg/stream/sender.go` `msgSender.Send`), transcribed as a reference model. */
function goSend(msg: Uint8Array, chunkSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(chunkSize);
  new DataView(buf.buffer).setBigUint64(0, BigInt(msg.length));
  let available = chunkSize - 8;
  let read = 0;
  while (read < msg.length) {
    const start = chunkSize - available;
    const n = Math.min(available, msg.length - read);
    buf.set(msg.subarray(read, read + n), start);
    available -= n;
    read += n;
    if (available === 0) {
      out.push(buf.slice(0, chunkSize));
      available = chunkSize;
    }
  }
  if (available < chunkSize) out.push(buf.slice(0, chunkSize - available));
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* asChunks(contents: Iterable<Uint8Array>): AsyncGenerator<ChunkLike> {
  for (const content of contents) yield { content };
}

/** Splits a byte stream into chunks at pseudo-random boundaries (sizes 1..max). */
function rechunk(bytes: Uint8Array, max: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; ) {
    const n = Math.min(bytes.length - off, 1 + Math.floor(r() * max));
    out.push(bytes.slice(off, off + n));
    off += n;
  }
  return out;
}

function splitPieces(bytes: Uint8Array, seed: number): Uint8Array[] {
  return rechunk(bytes, 9000, seed);
}

const sizesFor = (cs: number) => [
  0,
  1,
  7,
  8,
  9,
  cs - 9,
  cs - 8,
  cs - 7,
  cs,
  cs + 1,
  2 * cs - 8,
  2 * cs - 7,
  3 * cs + 5,
];

describe("encodeMessage", () => {
  for (const cs of [MIN_CHUNK_SIZE, DEFAULT_CHUNK_SIZE]) {
    it(`lays out chunks exactly like immudb's Go sender (chunk size ${cs})`, () => {
      for (const n of sizesFor(cs)) {
        const msg = payload(n);
        const ours = [...encodeMessage(msg, cs)];
        const theirs = goSend(msg, cs);
        expect(
          ours.map((c) => c.length),
          `size ${n}`,
        ).toEqual(theirs.map((c) => c.length));
        for (const [i, c] of ours.entries()) {
          expect(Buffer.from(c).equals(Buffer.from(theirs[i]!)), `size ${n} chunk ${i}`).toBe(true);
        }
        expect(ours.every((c) => c.length <= cs)).toBe(true);
      }
    });
  }

  it("starts with the big-endian u64 length and sends an empty message as one 8-byte chunk", () => {
    const [first] = [...encodeMessage(Uint8Array.of(0xaa, 0xbb))];
    expect([...first!]).toEqual([0, 0, 0, 0, 0, 0, 0, 2, 0xaa, 0xbb]);
    expect([...encodeMessage(new Uint8Array(0))].map((c) => [...c])).toEqual([[0, 0, 0, 0, 0, 0, 0, 0]]);
    expect([...u64Bytes(0x0102030405060708n)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("hands out the payload after the first chunk as views, without copying", () => {
    const msg = payload(3 * DEFAULT_CHUNK_SIZE);
    const chunks = [...encodeMessage(msg)];
    expect(chunks.slice(1).every((c) => c.buffer === msg.buffer)).toBe(true);
    expect(chunks[0]!.buffer).not.toBe(msg.buffer);
  });
});

describe("encodeStreamedMessage", () => {
  for (const cs of [MIN_CHUNK_SIZE, DEFAULT_CHUNK_SIZE]) {
    it(`produces the same chunks as encodeMessage, whatever the pieces (chunk size ${cs})`, async () => {
      for (const n of sizesFor(cs)) {
        const msg = payload(n);
        const seen: Uint8Array[] = [];
        const ours = await collect(
          encodeStreamedMessage(n, splitPieces(msg, n + 3), cs, (p) => seen.push(p)),
        );
        const expected = [...encodeMessage(msg, cs)];
        expect(
          ours.map((c) => c.length),
          `size ${n}`,
        ).toEqual(expected.map((c) => c.length));
        expect(Buffer.from(concat(ours)).equals(Buffer.from(concat(expected)))).toBe(true);
        expect(Buffer.from(concat(seen)).equals(Buffer.from(msg))).toBe(true);
      }
    });
  }

  it("accepts async iterables and empty pieces", async () => {
    const msg = payload(10_000);
    async function* pieces() {
      yield new Uint8Array(0);
      yield msg.subarray(0, 5000);
      yield new Uint8Array(0);
      yield msg.subarray(5000);
    }
    const out = await collect(encodeStreamedMessage(msg.length, pieces(), MIN_CHUNK_SIZE));
    expect(
      Buffer.from(concat(out)).equals(Buffer.from(concat([...encodeMessage(msg, MIN_CHUNK_SIZE)]))),
    ).toBe(true);
  });

  it("rejects a source longer or shorter than the declared size, or yielding non-bytes", async () => {
    const msg = payload(100);
    await expect(collect(encodeStreamedMessage(99, [msg]))).rejects.toThrow(/longer than its declared size/);
    await expect(collect(encodeStreamedMessage(101, [msg]))).rejects.toThrow(/before its declared size/);
    await expect(collect(encodeStreamedMessage(3, ["abc" as unknown as Uint8Array]))).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});

describe("MessageReader", () => {
  const messages = [payload(0), payload(1), payload(13), payload(5000), payload(70_000), payload(3)];
  const stream = (cs: number) => messages.flatMap((m) => [...encodeMessage(m, cs)]);

  it("reads back every message of a Go-framed stream, then ends cleanly", async () => {
    const reader = new MessageReader(asChunks(stream(MIN_CHUNK_SIZE)), "test");
    for (const m of messages) expect(Buffer.from((await reader.next())!).equals(Buffer.from(m))).toBe(true);
    expect(await reader.next()).toBeUndefined();
    expect(await reader.atEnd()).toBe(true);
  });

  it("does not depend on chunk boundaries (length prefixes split across chunks, several messages per chunk)", async () => {
    const bytes = concat(stream(DEFAULT_CHUNK_SIZE));
    for (const max of [1, 3, 9, 100, 100_000]) {
      const reader = new MessageReader(asChunks(rechunk(bytes, max, max)), "test");
      for (const m of messages) expect(Buffer.from((await reader.next())!).equals(Buffer.from(m))).toBe(true);
      expect(await reader.next()).toBeUndefined();
    }
  });

  it("streams a message piece by piece as views of the received chunks", async () => {
    const big = payload(200_000);
    const chunks = [...encodeMessage(big), ...encodeMessage(Uint8Array.of(7))];
    const reader = new MessageReader(asChunks(chunks), "test");
    const length = await reader.nextLength();
    expect(length).toBe(big.length);
    const pieces = await collect(reader.pieces(length!));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((p) => chunks.some((c) => c.buffer === p.buffer))).toBe(true);
    expect(Buffer.from(concat(pieces)).equals(Buffer.from(big))).toBe(true);
    expect([...(await reader.next())!]).toEqual([7]);
  });

  it("keeps the metadata of the chunk a message starts in", async () => {
    const md = { "committed-txid-bin": u64Bytes(5n) };
    async function* chunks(): AsyncGenerator<ChunkLike> {
      const [first, ...rest] = [...encodeMessage(payload(10_000), MIN_CHUNK_SIZE)];
      yield { content: first!, metadata: md };
      for (const c of rest) yield { content: c, metadata: {} };
      for (const c of encodeMessage(payload(5))) yield { content: c, metadata: {} };
    }
    const reader = new MessageReader(chunks(), "test");
    await reader.next();
    expect(reader.metadata).toBe(md);
    await reader.next();
    expect(reader.metadata).toBeUndefined();
  });

  it("rejects truncated streams and impossible lengths as MalformedStreamError (a ServerError)", async () => {
    const full = concat([...encodeMessage(payload(300))]);
    const cases: [Uint8Array, RegExp][] = [
      [full.subarray(0, 5), /inside a length prefix/],
      [full.subarray(0, 100), /bytes before the end of a message/],
      [Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), /impossible message length/],
    ];
    for (const [bytes, why] of cases) {
      const err = await new MessageReader(asChunks([bytes]), "immudb.schema.ImmuService/streamGet")
        .next()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MalformedStreamError);
      expect(err).toBeInstanceOf(ServerError);
      expect((err as ServerError).code).toBe("SERVER");
      expect((err as Error).message).toMatch(why);
    }
    await expect(new MessageReader(asChunks([]), "x").expect("value")).rejects.toThrow(
      /ended before the value/,
    );
  });

  it("close() ends the underlying iteration (which cancels the call) and is idempotent", async () => {
    let returned = 0;
    const source: AsyncIterable<ChunkLike> = {
      [Symbol.asyncIterator]() {
        return {
          next: async () => ({ done: false, value: { content: concat([...encodeMessage(payload(4))]) } }),
          return: async () => {
            returned++;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const reader = new MessageReader(source, "test");
    await reader.next();
    await reader.close();
    await reader.close();
    expect(returned).toBe(1);
    expect(await reader.next()).toBeUndefined();
  });
});

describe("checkChunkSize", () => {
  it("defaults to 64 KiB and accepts 4096 to 4 MiB", () => {
    expect(checkChunkSize(undefined)).toBe(DEFAULT_CHUNK_SIZE);
    expect(checkChunkSize(4096)).toBe(4096);
    expect(checkChunkSize(4 * 1024 * 1024)).toBe(4 * 1024 * 1024);
    for (const bad of [4095, 4 * 1024 * 1024 + 1, 5000.5, "65536", Number.NaN]) {
      expect(() => checkChunkSize(bad)).toThrow(InvalidArgumentError);
    }
  });
});
