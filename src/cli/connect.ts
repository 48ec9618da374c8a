/**
 * Connection settings of the CLI, from flags, the environment and URLs.
 *
 * Precedence, lowest first: defaults, `IMMUDB_URL`, the `IMMUDB_HOST`/`IMMUDB_PORT`/`IMMUDB_USER`/
 * `IMMUDB_PASSWORD`/`IMMUDB_DATABASE` variables, `--url`, then the individual flags. A `--url` given on the
 * command line therefore wins over the environment as a whole.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { type ClientOptions, FileStateStore, type TlsOptions } from "../index.js";
import { flag, type OptionValues, parseDuration, str, UsageError } from "./framework.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The trusted-state file: `--state`, else `$IMMUDB_TS_STATE`, else `~/.immudb-ts/state.json`. */
export function statePath(o: OptionValues, env: Env): string {
  const p = str(o, "state") ?? nonEmpty(env.IMMUDB_TS_STATE) ?? join(homedir(), ".immudb-ts", "state.json");
  return resolve(p);
}

export function openStateStore(o: OptionValues, env: Env): FileStateStore {
  return new FileStateStore({ path: statePath(o, env) });
}

/** Client options from flags and environment (the state store is added by the caller). */
export function clientOptions(o: OptionValues, env: Env): ClientOptions {
  const flagUrl = str(o, "url");
  const fromEnv: Record<string, unknown> = {};
  if (flagUrl === undefined) {
    const envUrl = nonEmpty(env.IMMUDB_URL);
    if (envUrl !== undefined) fromEnv.url = envUrl;
    if (nonEmpty(env.IMMUDB_HOST)) fromEnv.host = env.IMMUDB_HOST;
    if (nonEmpty(env.IMMUDB_PORT)) fromEnv.port = port(env.IMMUDB_PORT as string, "IMMUDB_PORT");
    if (nonEmpty(env.IMMUDB_USER)) fromEnv.user = env.IMMUDB_USER;
    if (env.IMMUDB_PASSWORD !== undefined) fromEnv.password = env.IMMUDB_PASSWORD;
    if (nonEmpty(env.IMMUDB_DATABASE)) fromEnv.database = env.IMMUDB_DATABASE;
  }
  const fromFlags: Record<string, unknown> = {};
  if (flagUrl !== undefined) fromFlags.url = flagUrl;
  const host = str(o, "host");
  if (host !== undefined) fromFlags.host = host;
  const p = str(o, "port");
  if (p !== undefined) fromFlags.port = port(p, "--port");
  const user = str(o, "user");
  if (user !== undefined) fromFlags.user = user;
  const password = str(o, "password");
  const passwordFile = str(o, "password-file");
  if (password !== undefined && passwordFile !== undefined) {
    throw new UsageError("give --password or --password-file, not both");
  }
  if (password !== undefined) fromFlags.password = password;
  if (passwordFile !== undefined)
    fromFlags.password = readText(passwordFile, "--password-file").replace(/\r?\n$/, "");
  const database = str(o, "database");
  if (database !== undefined) fromFlags.database = database;
  const tls = tlsOptions(o);
  if (tls !== undefined) fromFlags.tls = tls;
  const auth = str(o, "auth");
  if (auth !== undefined) {
    if (auth !== "session" && auth !== "token") throw new UsageError('--auth must be "session" or "token"');
    fromFlags.auth = auth;
  }
  const timeout = str(o, "timeout");
  if (timeout !== undefined) fromFlags.timeoutMs = parseDuration(timeout, "--timeout");
  const signingKey = str(o, "signing-key");
  if (signingKey !== undefined) fromFlags.serverSigningKey = readText(signingKey, "--signing-key");
  return { ...fromEnv, ...fromFlags } as ClientOptions;
}

function tlsOptions(o: OptionValues): TlsOptions | true | undefined {
  const t: { -readonly [K in keyof TlsOptions]: TlsOptions[K] } = {};
  const ca = str(o, "tls-ca");
  if (ca !== undefined) t.ca = readText(ca, "--tls-ca");
  const cert = str(o, "tls-cert");
  if (cert !== undefined) t.cert = readText(cert, "--tls-cert");
  const key = str(o, "tls-key");
  if (key !== undefined) t.key = readText(key, "--tls-key");
  const servername = str(o, "tls-servername");
  if (servername !== undefined) t.servername = servername;
  if (flag(o, "tls-insecure")) t.rejectUnauthorized = false;
  if (Object.keys(t).length > 0) return t;
  return flag(o, "tls") ? true : undefined;
}

function port(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`${what} must be a port from 1 to 65535`);
  return n;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(
      `${what}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}
