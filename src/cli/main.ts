#!/usr/bin/env node
/**
 * `immudb-ts`: the command-line tool, built on the public API of the library only.
 *
 * @module
 */
import { readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { ImmudbError, ServerError, StateError, VerificationError } from "../index.js";
import { AUDIT_COMMANDS } from "./audit.js";
import { BULK_COMMANDS } from "./bulk.js";
import { BASIC_COMMANDS, type Command } from "./commands.js";
import type { Env } from "./connect.js";
import { Context, type Streams } from "./context.js";
import { EXIT, exitCodeOf, helpText, parseCommandLine, UsageError } from "./framework.js";

const COMMANDS: readonly Command[] = [...BASIC_COMMANDS, ...BULK_COMMANDS, ...AUDIT_COMMANDS];

export { exitCodeOf };

function errorJson(err: unknown, code: number): Record<string, unknown> {
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    ok: false,
    exitCode: code,
    error: {
      name: e.name,
      ...(e instanceof ImmudbError ? { code: e.code } : e instanceof UsageError ? { code: "USAGE" } : {}),
      ...(e instanceof VerificationError ? { reason: e.reason } : {}),
      ...(e instanceof ServerError ? { grpcCode: e.details.grpcCode } : {}),
      message: e.message,
    },
  };
}

function version(): string {
  try {
    let dir = dirname(realpathSync(process.argv[1] ?? "."));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
          name?: string;
          version?: string;
        };
        if (pkg.name === "immudb-ts" && pkg.version) return pkg.version;
      } catch {
        // keep looking upwards
      }
      dir = dirname(dir);
    }
  } catch {
    // unknown
  }
  return "unknown";
}

const HEADER = "immudb-ts: a command-line client for immudb that verifies every proof";

/** Runs the CLI; resolves with the exit code. Never throws. */
export async function main(
  argv: readonly string[],
  env: Env,
  streams: Streams,
  signal: AbortSignal,
): Promise<number> {
  const json = argv.includes("--json");
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
    streams.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  let ctx: Context | undefined;
  try {
    const parsed = parseCommandLine(
      argv,
      COMMANDS.map((c) => c.spec),
    );
    if (parsed.help) {
      // Asked for: stdout and 0. A command group or no command at all: the help on stderr, and bad usage.
      const specs = COMMANDS.map((c) => c.spec);
      const text = `${helpText(parsed.topic, specs, `${HEADER} (v${version()})`)}\n`;
      (parsed.incomplete ? streams.stderr : streams.stdout).write(text);
      return parsed.incomplete ? EXIT.USAGE : EXIT.OK;
    }
    const command = COMMANDS.find((c) => c.spec === parsed.invocation.command) as Command;
    ctx = new Context(parsed.invocation, env, streams, signal);
    return (await command.run(ctx)) ?? EXIT.OK;
  } catch (err) {
    const code = exitCodeOf(err);
    if (json) {
      streams.stdout.write(`${JSON.stringify(errorJson(err, code))}\n`);
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      const hint =
        err instanceof UsageError
          ? `\n(see: immudb-ts ${err.command ? `${err.command} ` : ""}--help)`
          : err instanceof VerificationError
            ? "\nThe server's answer did not prove: the trusted state was not changed."
            : err instanceof StateError
              ? "\nThe trusted state cannot be used; see: immudb-ts state --all"
              : "";
      streams.stderr.write(`immudb-ts: error: ${msg}${hint}\n`);
    }
    return code;
  } finally {
    await ctx?.close();
  }
}

function isEntryPoint(): boolean {
  // The CLI runs when this file is the program (bin link, node dist/esm/cli/main.js, tsx src/cli/main.ts).
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return /[\\/]cli[\\/]main\.[cm]?[jt]s$/.test(realpathSync(arg)) || /immudb-ts$/.test(arg);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  main(
    process.argv.slice(2),
    process.env,
    { stdout: process.stdout, stderr: process.stderr },
    controller.signal,
  ).then(
    (code) => {
      // Let stdout drain (pipes), then exit: no timer or handle of the client may keep the process alive.
      process.stdout.write("", () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`immudb-ts: internal error: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
