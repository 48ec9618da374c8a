/**
 * What a running command works with: its arguments, the client (connected on first use), the trusted-state
 * store, and output (one JSON document with `--json`, text for people otherwise).
 *
 * @module
 */
import { type FileStateStore, ImmudbClient } from "../index.js";
import { clientOptions, type Env, openStateStore, statePath } from "./connect.js";
import { flag, type Invocation, type OptionValues } from "./framework.js";
import { ProgressBar } from "./output.js";

export interface Streams {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export class Context {
  readonly args: readonly string[];
  readonly options: OptionValues;
  readonly env: Env;
  readonly json: boolean;
  readonly streams: Streams;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  #client: Promise<ImmudbClient> | undefined;
  #store: FileStateStore | undefined;

  constructor(inv: Invocation, env: Env, streams: Streams, signal: AbortSignal) {
    this.args = inv.args;
    this.options = inv.options;
    this.env = env;
    this.json = flag(inv.options, "json");
    this.streams = streams;
    this.signal = signal;
  }

  /** The connected client (connects on the first call), with the file-backed trusted-state store. */
  client(): Promise<ImmudbClient> {
    this.#client ??= ImmudbClient.connect({
      ...clientOptions(this.options, this.env),
      stateStore: this.store(),
    });
    return this.#client;
  }

  /** The trusted-state store (`--state`). */
  store(): FileStateStore {
    this.#store ??= openStateStore(this.options, this.env);
    return this.#store;
  }

  get statePath(): string {
    return statePath(this.options, this.env);
  }

  /** Prints the result: `data` as JSON with `--json`, else the text `human()` returns (nothing if empty). */
  emit(data: unknown, human: () => string | undefined): void {
    if (this.json) {
      this.out(`${toJson(data)}\n`);
      return;
    }
    const text = human();
    if (text !== undefined && text !== "") this.out(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** Writes to stdout. */
  out(text: string | Uint8Array): void {
    this.streams.stdout.write(text);
  }

  /** A note for people on stderr (never with `--json`). */
  note(text: string): void {
    if (!this.json) this.streams.stderr.write(`${text}\n`);
  }

  /** A progress bar on stderr, drawn only when stderr is a TTY and `--json` is not given. */
  progress(label: string, total: number | undefined): ProgressBar {
    const err = this.streams.stderr as NodeJS.WriteStream;
    return new ProgressBar(label, total, !this.json && err.isTTY === true, err);
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = undefined;
    if (c) await c.then((x) => x.close()).catch(() => undefined);
    const s = this.#store;
    this.#store = undefined;
    if (s) await s.close().catch(() => undefined);
  }
}

/** JSON with `bigint` as decimal strings and bytes as hex (commands convert explicitly; this is a safety net). */
export function toJson(data: unknown): string {
  return JSON.stringify(data, (_k, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    return v;
  });
}
