/**
 * Output helpers of the CLI: byte and value encodings for JSON and for people, a table renderer, and a progress
 * bar on stderr.
 *
 * @module
 */
import type { Entry, SqlValue, TxEntry, TxHeader } from "../index.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/** UTF-8 text of `b`, or `undefined` if it is not valid UTF-8. */
export function textOf(b: Uint8Array): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64");
}

/**
 * A byte field for JSON: `{ [name]: text }` when the bytes are valid UTF-8, else `{ [name + "Base64"]: … }`.
 * The same rule is used by `export` and understood by `import`.
 */
export function bytesField(name: string, b: Uint8Array): Record<string, string> {
  const t = textOf(b);
  return t === undefined ? { [`${name}Base64`]: base64(b) } : { [name]: t };
}

/** Bytes for people: the text when printable UTF-8, else `0x` + hex. */
export function bytesForHuman(b: Uint8Array): string {
  const t = textOf(b);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  if (t === undefined || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(t)) return `0x${hex(b)}`;
  return t;
}

export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A key-value entry for JSON. */
export function entryToJson(e: Entry): Record<string, unknown> {
  return {
    ...bytesField("key", e.key),
    ...bytesField("value", e.value),
    tx: e.tx.toString(),
    revision: e.revision.toString(),
    expired: e.expired,
    ...(e.metadata?.deleted ? { deleted: true } : {}),
    ...(e.metadata?.expiresAt !== undefined ? { expiresAt: e.metadata.expiresAt.toString() } : {}),
    ...(e.metadata?.nonIndexable ? { nonIndexable: true } : {}),
    ...(e.referencedBy
      ? {
          referencedBy: {
            ...bytesField("key", e.referencedBy.key),
            tx: e.referencedBy.tx.toString(),
            atTx: e.referencedBy.atTx.toString(),
            revision: e.referencedBy.revision.toString(),
          },
        }
      : {}),
  };
}

/** A transaction header for JSON. */
export function headerToJson(h: TxHeader): Record<string, unknown> {
  return {
    id: h.id.toString(),
    timestamp: new Date(Number(h.ts) * 1000).toISOString(),
    ts: h.ts.toString(),
    nEntries: h.nEntries,
    version: h.version,
    prevAlh: hex(h.prevAlh),
    eh: hex(h.eh),
    blTxId: h.blTxId.toString(),
    blRoot: hex(h.blRoot),
  };
}

/** SQL values for JSON: INTEGER as a decimal string (64-bit exact), BLOB as hex, TIMESTAMP as ISO-8601 (µs). */
export function sqlValueToJson(v: SqlValue): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return hex(v);
  if (v instanceof Date) return timestampIso(v);
  return v;
}

/** SQL values for people. */
export function sqlValueForHuman(v: SqlValue): string {
  if (v === null) return "NULL";
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return `0x${hex(v)}`;
  if (v instanceof Date) return timestampIso(v);
  return JSON.stringify(v);
}

function timestampIso(d: Date): string {
  const micros = (d as Date & { micros?: bigint }).micros;
  if (typeof micros !== "bigint" || Number.isNaN(d.getTime()))
    return Number.isNaN(d.getTime()) ? "" : d.toISOString();
  const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return d.toISOString().replace(/\.\d{3}Z$/, `.${frac.toString().padStart(6, "0")}Z`);
}

/** Renders rows as an aligned text table with a header rule. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (s: string) => s.replace(/[\r\n\t]/g, " ");
  const cells = rows.map((r) => headers.map((_, i) => clean(r[i] ?? "")));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** `label  value` lines, labels aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n");
}

export function formatCount(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

export function formatBytes(n: bigint | number): string {
  let v = Number(n);
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms. Inert (draws nothing) when `enabled` is
 * false: the CLI enables it only when stderr is a TTY and `--json` is not given.
 */
export class ProgressBar {
  readonly #enabled: boolean;
  readonly #label: string;
  #total: number | undefined;
  #done = 0;
  #lastDraw = 0;
  readonly #started = performance.now();
  readonly #stream: NodeJS.WriteStream;

  constructor(
    label: string,
    total: number | undefined,
    enabled: boolean,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#label = label;
    this.#total = total;
    this.#enabled = enabled;
    this.#stream = stream;
  }

  set total(n: number | undefined) {
    this.#total = n;
  }

  /** Adds `n` units done. */
  tick(n: number): void {
    this.#done += n;
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#draw();
  }

  #draw(): void {
    const secs = (performance.now() - this.#started) / 1000;
    const rate = secs > 0 ? Math.round(this.#done / secs) : 0;
    const total = this.#total;
    let bar = "";
    let pct = "";
    if (total !== undefined && total > 0) {
      const ratio = Math.min(1, this.#done / total);
      const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - 50));
      const full = Math.round(ratio * width);
      bar = ` [${"#".repeat(full)}${".".repeat(width - full)}]`;
      pct = ` ${Math.floor(ratio * 100)}%`;
    }
    const counts =
      total !== undefined ? `${formatCount(this.#done)}/${formatCount(total)}` : formatCount(this.#done);
    this.#stream.write(`\r\x1b[2K${this.#label}${bar} ${counts}${pct} ${formatCount(rate)}/s`);
  }

  /** Erases the bar. */
  finish(): void {
    if (this.#enabled) this.#stream.write("\r\x1b[2K");
  }
}

/** The value of a plain key-value entry (raw value without immudb's 0x00 prefix); `undefined` otherwise. */
export function plainValue(e: TxEntry): Uint8Array | undefined {
  return e.kind === "kv" && e.value !== undefined && e.value[0] === 0 ? e.value.subarray(1) : undefined;
}
