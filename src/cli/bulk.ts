/**
 * `import` (JSONL or CSV keys, batched, verified at the end) and `export` (keys or the transaction log to JSONL).
 *
 * @module
 */
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { finished } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { type ImmudbClient, VerificationError } from "../index.js";
import { alh, bytesEqual, entryDigest, htreeRoot, plainEntrySpec, sha256 } from "../verify/index.js";
import type { Command } from "./commands.js";
import type { Context } from "./context.js";
import { flag, parseCount, parseTxId, str, UsageError } from "./framework.js";
import { bytesField, formatCount, headerToJson, hex, plainValue, utf8Bytes } from "./output.js";

const MAX_BATCH = 1000;

interface Record {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

// ---- input parsing ----

/** Lines of a stream (or stdin for `-`), without their line ends. */
async function* lines(path: string): AsyncGenerator<string> {
  const input = path === "-" ? process.stdin : createReadStream(path);
  const dec = new StringDecoder("utf8");
  let rest = "";
  for await (const chunk of input) {
    rest += dec.write(chunk as Buffer);
    let at = rest.indexOf("\n");
    let start = 0;
    while (at >= 0) {
      yield rest.slice(start, at).replace(/\r$/, "");
      start = at + 1;
      at = rest.indexOf("\n", start);
    }
    rest = rest.slice(start);
  }
  rest += dec.end();
  if (rest.length > 0) yield rest.replace(/\r$/, "");
}

function decodeField(o: { [k: string]: unknown }, name: string, line: number): Uint8Array {
  const text = o[name];
  const b64 = o[`${name}Base64`];
  if (text !== undefined && b64 !== undefined) {
    throw new UsageError(`line ${line}: give "${name}" or "${name}Base64", not both`);
  }
  if (typeof b64 === "string") return new Uint8Array(Buffer.from(b64, "base64"));
  if (typeof text === "string") return utf8Bytes(text);
  if (text !== undefined && name === "value") return utf8Bytes(JSON.stringify(text));
  throw new UsageError(`line ${line}: "${name}" must be a string`);
}

async function* jsonlRecords(path: string): AsyncGenerator<Record> {
  let n = 0;
  for await (const line of lines(path)) {
    n++;
    if (line.trim() === "") continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      throw new UsageError(`line ${n}: not valid JSON`);
    }
    if (typeof o !== "object" || o === null || Array.isArray(o)) {
      throw new UsageError(`line ${n}: expected an object such as {"key": "k", "value": "v"}`);
    }
    yield {
      key: decodeField(o as { [k: string]: unknown }, "key", n),
      value: decodeField(o as { [k: string]: unknown }, "value", n),
    };
  }
}

/** RFC 4180 CSV records (quoted fields may hold commas, quotes as `""`, and line breaks). */
async function* csvRows(path: string): AsyncGenerator<string[]> {
  let field = "";
  let row: string[] = [];
  let quoted = false;
  let afterQuote = false;
  let any = false;
  for await (const line of lines(path)) {
    if (quoted) field += "\n";
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] as string;
      any = true;
      if (quoted) {
        if (ch === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else field += ch;
      } else if (ch === ",") {
        row.push(field);
        field = "";
        afterQuote = false;
      } else if (ch === '"' && field === "" && !afterQuote) {
        quoted = true;
      } else {
        field += ch;
      }
    }
    if (quoted) continue;
    if (!any && row.length === 0 && field === "") continue; // blank line
    row.push(field);
    yield row;
    row = [];
    field = "";
    afterQuote = false;
    any = false;
  }
  if (quoted) throw new UsageError("CSV: unterminated quoted field at the end of the input");
}

async function* csvRecords(path: string): AsyncGenerator<Record> {
  let n = 0;
  for await (const row of csvRows(path)) {
    n++;
    if (
      n === 1 &&
      row.length === 2 &&
      row[0]?.trim().toLowerCase() === "key" &&
      row[1]?.trim().toLowerCase() === "value"
    ) {
      continue; // header
    }
    if (row.length !== 2)
      throw new UsageError(`CSV record ${n}: expected 2 fields (key,value), got ${row.length}`);
    yield { key: utf8Bytes(row[0] as string), value: utf8Bytes(row[1] as string) };
  }
}

/** Counts the lines of a regular file quickly (for the progress bar); `undefined` for stdin. */
async function countLines(path: string): Promise<number | undefined> {
  if (path === "-") return undefined;
  let n = 0;
  let last = 10;
  for await (const chunk of createReadStream(path)) {
    const b = chunk as Buffer;
    for (let at = b.indexOf(10); at >= 0; at = b.indexOf(10, at + 1)) n++;
    if (b.length > 0) last = b[b.length - 1] as number;
  }
  return last === 10 ? n : n + 1;
}

// ---- import ----

function keyId(k: Uint8Array): string {
  return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString("latin1");
}

const importCmd: Command = {
  spec: {
    name: "import",
    usage: "<file>",
    minArgs: 1,
    summary: "write keys from a JSONL or CSV file (batched), verified at the end",
    description: [
      'JSONL: one object per line, {"key": "k", "value": "v"} (keyBase64/valueBase64 for binary; a non-string',
      "value is stored as its JSON text; other fields, such as export's tx and revision, are ignored).",
      "CSV: key,value records (RFC 4180 quoting), with an optional key,value header. `-` reads stdin.",
      "",
      "Entries are written with setAll, up to --batch per transaction (a key repeated within a batch starts a",
      "new one, so the last value wins). At the end the import is verified: the last transaction is proven",
      "against the trusted state (dual proof) and must hold exactly the last batch, entry by entry; then a random",
      "sample of keys is read with verifiedGet and compared with the file. --verify-all proves every transaction",
      "of the import the same way.",
    ].join("\n"),
    options: [
      {
        name: "format",
        type: "string",
        value: "<jsonl|csv>",
        description: "input format (default: by extension)",
      },
      {
        name: "batch",
        type: "string",
        value: "<n>",
        description: `entries per transaction (default and max ${MAX_BATCH})`,
      },
      {
        name: "sample",
        type: "string",
        value: "<n>",
        description: "keys checked with verifiedGet at the end (default 100)",
      },
      {
        name: "verify-all",
        type: "boolean",
        description: "prove every transaction of the import at the end",
      },
    ],
    examples: ["immudb-ts import users.jsonl", "immudb-ts import prices.csv --batch 500 --json"],
  },
  async run(ctx) {
    const path = ctx.args[0] as string;
    const format = str(ctx.options, "format") ?? (/\.csv$/i.test(path) ? "csv" : "jsonl");
    if (format !== "jsonl" && format !== "csv") throw new UsageError('--format must be "jsonl" or "csv"');
    const batchSize = parseCount(str(ctx.options, "batch") ?? String(MAX_BATCH), "--batch");
    if (batchSize < 1 || batchSize > MAX_BATCH)
      throw new UsageError(`--batch must be from 1 to ${MAX_BATCH}`);
    const sampleSize = parseCount(str(ctx.options, "sample") ?? "100", "--sample");
    const verifyAll = flag(ctx.options, "verify-all");
    if (path !== "-") {
      try {
        statSync(path);
      } catch {
        throw new UsageError(`cannot read ${path}`);
      }
    }
    const client = await ctx.client();
    const t0 = performance.now();
    const bar = ctx.progress("import", await countLines(path));
    const records = format === "csv" ? csvRecords(path) : jsonlRecords(path);

    // Reservoir sample of keys; the value kept is the key's last one in the file.
    const sample = new Map<string, Record>();
    const sampleKeys: string[] = [];
    const batches: { tx: bigint; entries: Record[] }[] = [];
    let batch = new Map<string, Record>();
    let seen = 0;
    let written = 0;
    let txs = 0;
    let firstTx: bigint | undefined;
    let lastTx: bigint | undefined;
    let lastBatch: Record[] = [];

    const flush = async () => {
      if (batch.size === 0) return;
      const entries = [...batch.values()];
      batch = new Map();
      let h: Awaited<ReturnType<ImmudbClient["setAll"]>>;
      try {
        h = await client.setAll(entries);
      } catch (err) {
        bar.finish();
        ctx.note(
          `import stopped after ${formatCount(written)} entries in ${txs} transaction(s)` +
            (lastTx !== undefined ? ` (last committed: tx ${lastTx})` : ""),
        );
        throw err;
      }
      firstTx ??= h.id;
      lastTx = h.id;
      txs++;
      written += entries.length;
      lastBatch = entries;
      if (verifyAll) batches.push({ tx: h.id, entries });
      bar.tick(entries.length);
    };

    for await (const r of records) {
      seen++;
      const id = keyId(r.key);
      if (sample.has(id)) sample.set(id, r);
      else if (sampleSize > 0) {
        if (sampleKeys.length < sampleSize) {
          sampleKeys.push(id);
          sample.set(id, r);
        } else {
          const j = Math.floor(Math.random() * seen);
          if (j < sampleSize) {
            sample.delete(sampleKeys[j] as string);
            sampleKeys[j] = id;
            sample.set(id, r);
          }
        }
      }
      if (batch.has(id) || batch.size >= batchSize) await flush();
      batch.set(id, r);
    }
    await flush();
    bar.finish();
    const writeMs = performance.now() - t0;

    // Verification.
    const v0 = performance.now();
    let proven: { txId: string; txHash: string } | null = null;
    if (lastTx !== undefined) {
      const toProve = verifyAll ? batches : [{ tx: lastTx, entries: lastBatch }];
      const vbar = ctx.progress("verify", toProve.length + sample.size);
      // The last one first: it moves the trusted state to the end of the import once.
      for (const b of [...toProve].reverse()) {
        const vt = await client.verifiedTxById(b.tx);
        checkBatch(b.tx, vt, b.entries);
        if (b.tx === lastTx) proven = { txId: vt.header.id.toString(), txHash: hex(alh(vt.header)) };
        vbar.tick(1);
      }
      for (const r of sample.values()) {
        const e = await client.verifiedGet(r.key);
        if (!bytesEqual(e.value, r.value)) {
          throw new VerificationError(
            "entry-mismatch",
            `the proven value of key ${JSON.stringify(Buffer.from(r.key).toString())} differs from the imported one`,
          );
        }
        vbar.tick(1);
      }
      vbar.finish();
    }
    const verifyMs = performance.now() - v0;
    const summary = {
      file: path,
      format,
      records: seen,
      written,
      transactions: txs,
      firstTx: firstTx?.toString() ?? null,
      lastTx: lastTx?.toString() ?? null,
      durationMs: Math.round(performance.now() - t0),
      writeMs: Math.round(writeMs),
      entriesPerSecond: writeMs > 0 ? Math.round((written / writeMs) * 1000) : 0,
      verification: {
        verified: lastTx !== undefined,
        provenTransactions: lastTx === undefined ? 0 : verifyAll ? batches.length : 1,
        sampledKeys: lastTx === undefined ? 0 : sample.size,
        finalState: proven,
        durationMs: Math.round(verifyMs),
      },
    };
    ctx.emit(summary, () =>
      [
        `imported ${formatCount(written)} entries from ${path} in ${formatCount(txs)} transaction(s)` +
          (firstTx !== undefined ? ` (tx ${firstTx}..${lastTx})` : "") +
          ` in ${(writeMs / 1000).toFixed(1)} s (${formatCount(summary.entriesPerSecond)}/s)`,
        lastTx === undefined
          ? "nothing to verify"
          : `verified: ${summary.verification.provenTransactions} transaction(s) proven entry by entry, ` +
            `${sample.size} sampled key(s) read with verifiedGet; trusted state now tx ${proven?.txId} ` +
            `(${(verifyMs / 1000).toFixed(1)} s)`,
      ].join("\n"),
    );
    return 0;
  },
};

/** The proven transaction must hold exactly the batch's entries (plain key-value entries, no metadata). */
function checkBatch(
  tx: bigint,
  vt: Awaited<ReturnType<ImmudbClient["verifiedTxById"]>>,
  entries: readonly Record[],
): void {
  if (vt.entries.length !== entries.length) {
    throw new VerificationError(
      "entry-count",
      `tx ${tx} holds ${vt.entries.length} entries, the import wrote ${entries.length}`,
    );
  }
  const expected = new Map(
    entries.map((r) => [keyId(plainEntrySpec(r.key, r.value).key), plainEntrySpec(r.key, r.value)]),
  );
  for (const e of vt.entries) {
    const want = expected.get(keyId(e.storedKey));
    if (!want || !bytesEqual(want.hValue, e.hValue) || e.metadata !== undefined) {
      throw new VerificationError("entry-mismatch", `tx ${tx} does not hold the entries the import wrote`);
    }
  }
}

// ---- export ----

function openOutput(path: string): NodeJS.WritableStream {
  return path === "-" ? process.stdout : createWriteStream(path, { flags: "w" });
}

/** Writes a line, waiting when the stream's buffer is full. */
async function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once("drain", resolve));
}

const exportCmd: Command = {
  spec: {
    name: "export",
    usage: "<file>",
    minArgs: 1,
    summary: "write the current keys, or the transaction log (--txs), to a JSONL file (- for stdout)",
    description: [
      'Keys (default): one {"key", "value", "tx", "revision"} per line (keyBase64/valueBase64 for binary), in',
      "key order, as scan reads them: the server's word, not proven (import checks them back when re-imported).",
      "",
      "--txs: one transaction per line, {tx, header, entries: [{kind, key, hValue, valueLength, rawValueBase64}]}.",
      "The export is verified as it goes: each header must chain to the previous one (prevAlh), each entry's raw",
      "value must hash to its hValue and the entries to the header's entries hash, and the last transaction is",
      "proven against the trusted state: so every exported transaction is proven.",
    ].join("\n"),
    options: [
      { name: "prefix", type: "string", value: "<prefix>", description: "keys: only keys starting with it" },
      { name: "txs", type: "boolean", description: "export the transaction log instead of the keys" },
      { name: "from-tx", type: "string", value: "<tx>", description: "--txs: first transaction (default 1)" },
      {
        name: "to-tx",
        type: "string",
        value: "<tx>",
        description: "--txs: last transaction (default: the latest)",
      },
    ],
    examples: [
      "immudb-ts export keys.jsonl --prefix user:",
      "immudb-ts export txlog.jsonl --txs --from-tx 100",
    ],
  },
  async run(ctx) {
    const path = ctx.args[0] as string;
    const client = await ctx.client();
    const summary = flag(ctx.options, "txs")
      ? await exportTxs(ctx, client, path)
      : await exportKeys(ctx, client, path);
    if (path === "-") {
      // The data went to stdout: the summary goes to stderr.
      ctx.streams.stderr.write(`${ctx.json ? JSON.stringify(summary) : summaryText(summary)}\n`);
    } else {
      ctx.emit(summary, () => summaryText(summary));
    }
    return 0;
  },
};

interface ExportSummary {
  readonly file: string;
  readonly kind: "keys" | "txs";
  readonly lines: number;
  readonly durationMs: number;
  readonly verified: boolean;
  readonly fromTx?: string;
  readonly toTx?: string;
  readonly finalState?: { txId: string; txHash: string } | null;
}

function summaryText(s: ExportSummary): string {
  return s.kind === "keys"
    ? `exported ${formatCount(s.lines)} keys to ${s.file} in ${(s.durationMs / 1000).toFixed(1)} s (not verified: keys come from scan)`
    : `exported ${formatCount(s.lines)} transactions (tx ${s.fromTx}..${s.toTx}) to ${s.file} in ${(s.durationMs / 1000).toFixed(1)} s; ` +
        (s.verified
          ? `verified: headers chained and proven up to tx ${s.finalState?.txId}`
          : "nothing to verify");
}

async function exportKeys(ctx: Context, client: ImmudbClient, path: string): Promise<ExportSummary> {
  const t0 = performance.now();
  const prefix = str(ctx.options, "prefix");
  const total = prefix !== undefined ? await client.count(prefix) : await client.countAll();
  const bar = ctx.progress("export", Number(total));
  const out = openOutput(path);
  let n = 0;
  try {
    for await (const e of client.scan(prefix !== undefined ? { prefix } : {})) {
      await writeLine(
        out,
        JSON.stringify({
          ...bytesField("key", e.key),
          ...bytesField("value", e.value),
          tx: e.tx.toString(),
          revision: e.revision.toString(),
        }),
      );
      n++;
      bar.tick(1);
    }
  } finally {
    bar.finish();
    await closeOutput(out);
  }
  return {
    file: path,
    kind: "keys",
    lines: n,
    durationMs: Math.round(performance.now() - t0),
    verified: false,
  };
}

async function closeOutput(out: NodeJS.WritableStream): Promise<void> {
  if (out === process.stdout) return;
  out.end();
  await finished(out as NodeJS.WritableStream & import("node:stream").Writable);
}

async function exportTxs(ctx: Context, client: ImmudbClient, path: string): Promise<ExportSummary> {
  const t0 = performance.now();
  const from =
    str(ctx.options, "from-tx") !== undefined
      ? parseTxId(str(ctx.options, "from-tx") as string, "--from-tx")
      : 1n;
  const latest = (await client.currentState()).txId;
  const to =
    str(ctx.options, "to-tx") !== undefined
      ? parseTxId(str(ctx.options, "to-tx") as string, "--to-tx")
      : latest;
  if (to > latest) throw new UsageError(`--to-tx ${to} is after the latest transaction (${latest})`);
  const out = openOutput(path);
  let n = 0;
  let prev: Uint8Array | undefined;
  let last: import("../index.js").TxHeader | undefined;
  const bar = ctx.progress("export", to >= from ? Number(to - from + 1n) : 0);
  try {
    if (to >= from) {
      for await (const t of client.txScan({
        initialTx: from,
        entries: "raw",
        limit: Number(to - from + 1n),
      })) {
        const h = t.header;
        if (h.id !== from + BigInt(n)) {
          throw new VerificationError(
            "header-mismatch",
            `expected tx ${from + BigInt(n)}, the server sent tx ${h.id}`,
          );
        }
        if (prev && !bytesEqual(h.prevAlh, prev)) {
          throw new VerificationError("alh-mismatch", `tx ${h.id} does not chain to tx ${h.id - 1n}`);
        }
        const digests = t.entries.map((e) => {
          if (e.value === undefined || !bytesEqual(sha256(e.value), e.hValue)) {
            throw new VerificationError(
              "entry-mismatch",
              `an entry of tx ${h.id} does not hash to its hValue`,
            );
          }
          return entryDigest(h.version, {
            key: e.storedKey,
            hValue: e.hValue,
            ...(e.metadata ? { metadata: e.metadata } : {}),
          });
        });
        if (digests.length !== h.nEntries || !bytesEqual(htreeRoot(digests), h.eh)) {
          throw new VerificationError("eh-mismatch", `the entries of tx ${h.id} do not hash to its header`);
        }
        await writeLine(
          out,
          JSON.stringify({
            tx: h.id.toString(),
            header: headerToJson(h),
            entries: t.entries.map((e) => ({
              kind: e.kind,
              ...bytesField("key", e.key),
              ...(plainValue(e) !== undefined ? bytesField("value", plainValue(e) as Uint8Array) : {}),
              hValue: hex(e.hValue),
              valueLength: e.valueLength,
              rawValueBase64: Buffer.from(e.value ?? new Uint8Array()).toString("base64"),
              ...(e.metadata
                ? {
                    metadata: {
                      ...(e.metadata.deleted ? { deleted: true } : {}),
                      ...(e.metadata.nonIndexable ? { nonIndexable: true } : {}),
                      ...(e.metadata.expiresAt !== undefined
                        ? { expiresAt: e.metadata.expiresAt.toString() }
                        : {}),
                    },
                  }
                : {}),
            })),
          }),
        );
        prev = alh(h);
        last = h;
        n++;
        bar.tick(1);
      }
    }
  } finally {
    bar.finish();
    await closeOutput(out);
  }
  if (to >= from && (!last || last.id !== to)) {
    throw new VerificationError(
      "header-mismatch",
      `the server's transaction log ended at tx ${last?.id ?? from - 1n}, before tx ${to}`,
    );
  }
  let finalState: { txId: string; txHash: string } | null = null;
  if (last) {
    // Proving the last header proves every header before it: each one is chained into the next by prevAlh.
    const vt = await client.verifiedTxById(last.id);
    if (!bytesEqual(alh(vt.header), alh(last))) {
      throw new VerificationError("alh-mismatch", `the exported tx ${last.id} differs from the proven one`);
    }
    finalState = { txId: last.id.toString(), txHash: hex(alh(last)) };
  }
  return {
    file: path,
    kind: "txs",
    lines: n,
    durationMs: Math.round(performance.now() - t0),
    verified: last !== undefined,
    fromTx: from.toString(),
    toTx: to.toString(),
    finalState,
  };
}

export const BULK_COMMANDS: readonly Command[] = [importCmd, exportCmd];
