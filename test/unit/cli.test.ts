/**
 * The CLI without a server: argument parsing, help for every command, connection settings from flags and
 * environment, exit codes of every error class. (The commands themselves run against real servers in
 * test/integration/cli.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { clientOptions } from "../../src/cli/connect.js";
import { parseCommandLine, parseDuration, UsageError } from "../../src/cli/framework.js";
import { exitCodeOf, main } from "../../src/cli/main.js";
import {
  AuthenticationError,
  ConnectionError,
  ImmudbError,
  InvalidArgumentError,
  ServerError,
  StateError,
  TimeoutError,
  UnknownOutcomeError,
  VerificationError,
} from "../../src/index.js";

function sink(): { stream: NodeJS.WritableStream; text: () => string } {
  let text = "";
  const stream = {
    write(chunk: string | Uint8Array) {
      text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await main(argv, {}, { stdout: out.stream, stderr: err.stream }, new AbortController().signal);
  return { code, stdout: out.text(), stderr: err.text() };
}

const COMMANDS = [
  "set",
  "get",
  "scan",
  "history",
  "tx",
  "sql exec",
  "sql query",
  "sql tables",
  "sql describe",
  "databases list",
  "databases create",
  "databases load",
  "databases unload",
  "databases delete",
  "users list",
  "users create",
  "users password",
  "users grant",
  "users revoke",
  "users activate",
  "users deactivate",
  "state",
  "info",
  "import",
  "export",
  "audit",
];

describe("CLI help", () => {
  it("lists every command and the exit codes", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c}`);
    expect(r.stdout).toContain("Exit codes:");
  });

  it.each(COMMANDS)("%s --help", async (c) => {
    const r = await run([...c.split(" "), "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: immudb-ts ${c}`);
    expect(r.stdout).toContain("Exit codes:");
    const help = await run(["help", ...c.split(" ")]);
    expect(help.stdout).toBe(r.stdout);
  });

  it("shows a group's commands; an incomplete command line is bad usage", async () => {
    expect((await run(["users", "--help"])).stdout).toContain("users deactivate <user>");
    const r = await run(["users"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("users grant");
    expect((await run([])).code).toBe(2);
  });
});

describe("CLI parsing", () => {
  const specs = [
    { name: "get", usage: "<key>", minArgs: 1, summary: "", options: [] },
    { name: "sql query", usage: "<q>", minArgs: 1, summary: "" },
    { name: "sql exec", usage: "<q>", minArgs: 1, summary: "" },
  ];

  it("finds the command wherever the options are", () => {
    const p = parseCommandLine(["--json", "-d", "db1", "get", "k", "--port", "1234"], specs);
    expect(p.help).toBe(false);
    if (p.help) return;
    expect(p.invocation.command.name).toBe("get");
    expect(p.invocation.args).toEqual(["k"]);
    expect(p.invocation.options).toMatchObject({ json: true, database: "db1", port: "1234" });
    const q = parseCommandLine(["sql", "query", "SELECT 1"], specs);
    expect(!q.help && q.invocation.command.name).toBe("sql query");
  });

  it("rejects unknown commands and options, missing and extra arguments", () => {
    expect(() => parseCommandLine(["nope"], specs)).toThrow(UsageError);
    expect(() => parseCommandLine(["sql", "nope"], specs)).toThrow(/unknown command "sql nope"/);
    expect(() => parseCommandLine(["get", "k", "--nope"], specs)).toThrow(/Unknown option '--nope'/);
    expect(() => parseCommandLine(["get"], specs)).toThrow(/missing argument/);
    expect(() => parseCommandLine(["get", "a", "b"], specs)).toThrow(/unexpected argument "b"/);
  });

  it("parses durations", () => {
    expect(parseDuration("500ms", "x")).toBe(500);
    expect(parseDuration("2", "x")).toBe(2);
    expect(parseDuration("1.5s", "x")).toBe(1500);
    expect(parseDuration("2m", "x")).toBe(120_000);
    expect(parseDuration("1h", "x")).toBe(3_600_000);
    expect(() => parseDuration("soon", "--interval")).toThrow(/--interval must be a duration/);
  });

  it("bad arguments of a command exit 2 before connecting", async () => {
    for (const argv of [
      ["tx", "abc"],
      ["scan", "--limit", "-1"],
      ["audit", "--interval", "fast"],
      ["audit", "--once", "--rounds", "2"],
      ["import", "/no/such/file.jsonl"],
      ["get", "k", "--port", "99999"],
      ["get", "k", "--auth", "magic"],
    ]) {
      const r = await run([...argv, "--json"]);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exitCode: 2 });
    }
  });
});

describe("CLI connection settings", () => {
  it("flags over --url over the IMMUDB_* variables over IMMUDB_URL", () => {
    const env = {
      IMMUDB_URL: "immudb://envuser:envpw@envhost:1111/envdb",
      IMMUDB_DATABASE: "db-from-env",
      IMMUDB_PASSWORD: "pw-from-env",
    };
    expect(clientOptions({}, env)).toEqual({
      url: env.IMMUDB_URL,
      database: "db-from-env",
      password: "pw-from-env",
    });
    // --url replaces the environment as a whole; individual flags override it
    expect(clientOptions({ url: "immudb://u:p@h:2222/d", database: "flagdb" }, env)).toEqual({
      url: "immudb://u:p@h:2222/d",
      database: "flagdb",
    });
    expect(clientOptions({ port: "3333", tls: true, auth: "token", timeout: "5s" }, {})).toEqual({
      port: 3333,
      tls: true,
      auth: "token",
      timeoutMs: 5000,
    });
    expect(clientOptions({ "tls-insecure": true, "tls-servername": "db.local" }, {})).toEqual({
      tls: { rejectUnauthorized: false, servername: "db.local" },
    });
    expect(() => clientOptions({ "tls-ca": "/no/such/ca.pem" }, {})).toThrow(UsageError);
    expect(() => clientOptions({ password: "a", "password-file": "/x" }, {})).toThrow(UsageError);
  });
});

describe("CLI exit codes", () => {
  it("maps every error class", () => {
    const details = { grpcCode: 5, message: "x", rpc: "r" };
    expect(exitCodeOf(new UsageError("x"))).toBe(2);
    expect(exitCodeOf(new InvalidArgumentError("x"))).toBe(2);
    expect(exitCodeOf(new ConnectionError("x"))).toBe(3);
    expect(exitCodeOf(new AuthenticationError("x"))).toBe(3);
    expect(exitCodeOf(new TimeoutError("x"))).toBe(3);
    expect(exitCodeOf(new UnknownOutcomeError("r", new ConnectionError("x")))).toBe(3);
    expect(exitCodeOf(new VerificationError("dual-proof", "x"))).toBe(4);
    expect(exitCodeOf(new StateError("x"))).toBe(4);
    expect(exitCodeOf(new ServerError("KEY_NOT_FOUND", details))).toBe(1);
    expect(exitCodeOf(new ImmudbError("SERVER", "x"))).toBe(1);
    expect(exitCodeOf(new Error("x"))).toBe(1);
  });
});
