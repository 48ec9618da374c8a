/**
 * A small command framework over `node:util.parseArgs`: command and option specs, parsing with strict checks, and
 * generated help. No dependency.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  AuthenticationError,
  ConnectionError,
  InvalidArgumentError,
  StateError,
  TimeoutError,
  UnknownOutcomeError,
  VerificationError,
} from "../index.js";

/** Exit codes of the CLI. */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  CONNECTION: 3,
  VERIFICATION: 4,
} as const;

/** Bad usage: unknown command or option, missing or malformed argument. Exit code 2. */
export class UsageError extends Error {
  /** The command whose help the message should point to, when known. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The exit code for an error: 2 bad usage, 3 connection/authentication, 4 verification, 1 anything else. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof InvalidArgumentError) return EXIT.USAGE;
  if (err instanceof VerificationError || err instanceof StateError) return EXIT.VERIFICATION;
  if (
    err instanceof ConnectionError ||
    err instanceof AuthenticationError ||
    err instanceof TimeoutError ||
    err instanceof UnknownOutcomeError
  ) {
    return EXIT.CONNECTION;
  }
  return EXIT.ERROR;
}

export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly type: "string" | "boolean";
  readonly multiple?: boolean;
  /** Placeholder shown in help, e.g. `<n>`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command's `run` receives. */
export interface Invocation {
  readonly command: CommandSpec;
  /** Positional arguments after the command name. */
  readonly args: readonly string[];
  readonly options: OptionValues;
}

export interface CommandSpec {
  /** Full name, e.g. `get` or `sql query`. */
  readonly name: string;
  /** Positional arguments for the usage line, e.g. `<key> <value>`. */
  readonly usage?: string;
  /** Minimum and maximum number of positional arguments. */
  readonly minArgs?: number;
  readonly maxArgs?: number;
  /** One line for the command list. */
  readonly summary: string;
  /** More text for the command's help. */
  readonly description?: string;
  readonly options?: readonly OptionSpec[];
  readonly examples?: readonly string[];
  /** Whether the connection options apply (they do unless `false`). */
  readonly connects?: boolean;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: "json", type: "boolean", description: "machine-readable JSON output on stdout (no progress bar)" },
  { name: "help", short: "h", type: "boolean", description: "show help" },
];

/** Connection options (commands that talk to a server). */
export const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  {
    name: "url",
    type: "string",
    value: "<url>",
    description: "immudb://user:password@host:port/database[?tls=true] (env IMMUDB_URL)",
  },
  {
    name: "host",
    type: "string",
    value: "<host>",
    description: "server host (env IMMUDB_HOST; default 127.0.0.1)",
  },
  {
    name: "port",
    type: "string",
    value: "<port>",
    description: "server gRPC port (env IMMUDB_PORT; default 3322)",
  },
  {
    name: "user",
    short: "u",
    type: "string",
    value: "<user>",
    description: "user (env IMMUDB_USER; default immudb)",
  },
  {
    name: "password",
    short: "p",
    type: "string",
    value: "<password>",
    description: "password (env IMMUDB_PASSWORD; default immudb); prefer the env or --password-file",
  },
  { name: "password-file", type: "string", value: "<file>", description: "read the password from a file" },
  {
    name: "database",
    short: "d",
    type: "string",
    value: "<db>",
    description: "database (env IMMUDB_DATABASE; default defaultdb)",
  },
  { name: "tls", type: "boolean", description: "use TLS (checked against the system CAs unless --tls-ca)" },
  {
    name: "tls-ca",
    type: "string",
    value: "<file>",
    description: "PEM CA certificate to trust (implies --tls)",
  },
  {
    name: "tls-cert",
    type: "string",
    value: "<file>",
    description: "PEM client certificate, for mTLS (implies --tls)",
  },
  {
    name: "tls-key",
    type: "string",
    value: "<file>",
    description: "PEM client key, for mTLS (implies --tls)",
  },
  {
    name: "tls-servername",
    type: "string",
    value: "<name>",
    description: "name to check the server certificate against (implies --tls)",
  },
  {
    name: "tls-insecure",
    type: "boolean",
    description: "accept any server certificate (encrypted, not authenticated; tests only)",
  },
  { name: "auth", type: "string", value: "<mode>", description: "session (default) or token" },
  {
    name: "timeout",
    type: "string",
    value: "<duration>",
    description: "deadline of each call, e.g. 30s (default)",
  },
  {
    name: "state",
    type: "string",
    value: "<file>",
    description: "trusted-state file (env IMMUDB_TS_STATE; default ~/.immudb-ts/state.json)",
  },
  {
    name: "signing-key",
    type: "string",
    value: "<file>",
    description: "server state-signing public key (PEM): every trusted state must be signed",
  },
];

/** Parses `argv` (after the program name) against the command table. */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandSpec[],
): { help: true; topic: string[]; incomplete?: boolean } | { help: false; invocation: Invocation } {
  const all = allOptions(commands);
  // Pass 1: find the command name among the positionals, knowing every option of every command.
  let first: ReturnType<typeof parseArgs>;
  try {
    first = parseArgs({ args: [...argv], options: toParseArgs(all), strict: false, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const positionals = first.positionals;
  const wantsHelp = first.values.help === true;
  if (positionals[0] === "help") return { help: true, topic: positionals.slice(1) };
  if (positionals.length === 0) {
    if (wantsHelp) return { help: true, topic: [] };
    if (argv.length === 0) return { help: true, topic: [], incomplete: true };
    throw new UsageError("no command given");
  }
  const command = findCommand(positionals, commands);
  if (!command) {
    const group = commands.filter((c) => c.name.startsWith(`${positionals[0]} `));
    if (group.length > 0) {
      if (wantsHelp) return { help: true, topic: [positionals[0] as string] };
      if (positionals.length === 1)
        return { help: true, topic: [positionals[0] as string], incomplete: true };
      throw new UsageError(
        `unknown command "${positionals.slice(0, 2).join(" ")}"; try: immudb-ts ${positionals[0]} --help`,
      );
    }
    throw new UsageError(`unknown command "${positionals[0]}"; try: immudb-ts --help`);
  }
  if (wantsHelp) return { help: true, topic: command.name.split(" ") };
  // Pass 2: strict, with this command's options only.
  const specs = optionsOf(command);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: toParseArgs(specs),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ""), command.name);
  }
  const words = command.name.split(" ").length;
  const args = parsed.positionals.slice(words);
  const min = command.minArgs ?? 0;
  const max = command.maxArgs ?? min;
  if (args.length < min) {
    throw new UsageError(
      `missing argument: immudb-ts ${command.name} ${command.usage ?? ""}`.trimEnd(),
      command.name,
    );
  }
  if (args.length > max) {
    throw new UsageError(`unexpected argument "${args[max]}"`, command.name);
  }
  return { help: false, invocation: { command, args, options: parsed.values as OptionValues } };
}

function findCommand(
  positionals: readonly string[],
  commands: readonly CommandSpec[],
): CommandSpec | undefined {
  const two = positionals.slice(0, 2).join(" ");
  return commands.find((c) => c.name === two) ?? commands.find((c) => c.name === positionals[0]);
}

export function optionsOf(c: CommandSpec): OptionSpec[] {
  return [...(c.options ?? []), ...(c.connects === false ? [] : CONNECTION_OPTIONS), ...GLOBAL_OPTIONS];
}

function allOptions(commands: readonly CommandSpec[]): OptionSpec[] {
  const byName = new Map<string, OptionSpec>();
  for (const c of commands) for (const o of optionsOf(c)) byName.set(o.name, o);
  return [...byName.values()];
}

function toParseArgs(specs: readonly OptionSpec[]): NonNullable<Parameters<typeof parseArgs>[0]>["options"] {
  const out: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const o of specs) {
    out[o.name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

/** Help for the whole program, a group (`sql`) or one command. */
export function helpText(topic: readonly string[], commands: readonly CommandSpec[], header: string): string {
  if (topic.length > 0) {
    const name = topic.slice(0, 2).join(" ");
    const command = commands.find((c) => c.name === name) ?? commands.find((c) => c.name === topic[0]);
    if (command) return commandHelp(command);
    const group = commands.filter((c) => c.name.startsWith(`${topic[0]} `));
    if (group.length > 0) {
      return [
        `Usage: immudb-ts ${topic[0]} <command> [options]`,
        "",
        "Commands:",
        ...commandList(group),
        "",
        `Run "immudb-ts ${topic[0]} <command> --help" for the options of a command.`,
      ].join("\n");
    }
    throw new UsageError(`no help for "${topic.join(" ")}": unknown command`);
  }
  return [
    header,
    "",
    "Usage: immudb-ts <command> [arguments] [options]",
    "",
    "Commands:",
    ...commandList(commands),
    "",
    "Connection options (every command that talks to a server):",
    ...optionLines(CONNECTION_OPTIONS),
    "",
    "Options of every command:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    EXIT_CODES_HELP,
    "",
    'Run "immudb-ts <command> --help" for the arguments and options of a command.',
  ].join("\n");
}

export const EXIT_CODES_HELP = [
  "Exit codes:",
  "  0  success",
  "  1  other error (e.g. key not found, server refused the request)",
  "  2  bad usage (unknown command or option, malformed argument)",
  "  3  connection or authentication failure (server unreachable, TLS, wrong password, timeout)",
  "  4  verification failure: a proof or signature did not check out, or the trusted state is forked or unusable",
].join("\n");

function commandList(commands: readonly CommandSpec[]): string[] {
  const labels = commands.map((c) => `${c.name}${c.usage ? ` ${c.usage}` : ""}`);
  const w = Math.max(...labels.map((l) => l.length));
  return commands.map((c, i) => `  ${(labels[i] ?? "").padEnd(w)}  ${c.summary}`);
}

function optionLines(specs: readonly OptionSpec[]): string[] {
  const labels = specs.map(
    (o) => `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` ${o.value}` : ""}`,
  );
  const w = Math.max(...labels.map((l) => l.length));
  return specs.map(
    (o, i) => `  ${(labels[i] ?? "").padEnd(w)}  ${o.description}${o.multiple ? " (repeatable)" : ""}`,
  );
}

function commandHelp(c: CommandSpec): string {
  const out = [`Usage: immudb-ts ${c.name}${c.usage ? ` ${c.usage}` : ""} [options]`, "", c.summary];
  if (c.description) out.push("", c.description);
  if (c.options && c.options.length > 0) out.push("", "Options:", ...optionLines(c.options));
  if (c.connects !== false) out.push("", "Connection options:", ...optionLines(CONNECTION_OPTIONS));
  out.push("", "Options of every command:", ...optionLines(GLOBAL_OPTIONS));
  if (c.examples && c.examples.length > 0) out.push("", "Examples:", ...c.examples.map((e) => `  ${e}`));
  out.push("", EXIT_CODES_HELP);
  return out.join("\n");
}

/** Parses a duration: `500ms`, `5s`, `2m`, `1h`, or a plain number of milliseconds. */
export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new UsageError(`${what} must be a duration such as 500ms, 5s, 2m or 1h, got "${s}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "ms";
  const ms = n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000);
  return Math.round(ms);
}

/** Parses a non-negative integer argument. */
export function parseCount(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${what} must be a non-negative integer, got "${s}"`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} is too large`);
  return n;
}

/** Parses a transaction id. */
export function parseTxId(s: string, what = "transaction id"): bigint {
  if (!/^\d+$/.test(s)) throw new UsageError(`${what} must be a positive integer, got "${s}"`);
  const n = BigInt(s);
  if (n < 1n || n > 0xffff_ffff_ffff_ffffn) throw new UsageError(`${what} is out of range`);
  return n;
}

export function str(o: OptionValues, name: string): string | undefined {
  const v = o[name];
  return typeof v === "string" ? v : undefined;
}

export function flag(o: OptionValues, name: string): boolean {
  return o[name] === true;
}

export function list(o: OptionValues, name: string): string[] {
  const v = o[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}
