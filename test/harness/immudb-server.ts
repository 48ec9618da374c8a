/**
 * Starts real immudb servers for tests, demos and benchmarks: a fresh loopback port, a temporary data directory,
 * pgsql/web/metrics servers off, an optional state-signing key generated on the spot. Servers run under
 * scripts/watch-parent.sh in their own process group, so they die with the process that started them, even if
 * that process is killed.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ImmuService } from "../../src/gen/schema_pb.js";
import { GrpcTransport, type TlsOptions } from "../../src/transport/grpc.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Builds (or reuses from the cache outside the repo) the pinned immudb binary and returns its path. */
export function immudbBinary(): string {
  const fromEnv = process.env.IMMUDB_TS_BIN;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const out = execFileSync("bash", [join(root, "scripts", "build-immudb.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const path = out.split("\n").pop() ?? "";
  if (!existsSync(path))
    throw new Error(`build-immudb.sh did not produce a binary (got ${JSON.stringify(out)})`);
  process.env.IMMUDB_TS_BIN = path;
  return path;
}

/** Options of {@link startImmudb}. */
export interface StartOptions {
  /** Generate a P-256 key and start the server with `--signingKey`. */
  readonly signing?: boolean;
  /** Reuse this data directory (e.g. to restart a server); otherwise a fresh temporary one. */
  readonly dataDir?: string;
  /** Port to listen on; otherwise a free one. */
  readonly port?: number;
  /** Extra command-line flags. */
  readonly args?: readonly string[];
  /** Path to the binary; otherwise {@link immudbBinary}. */
  readonly binary?: string;
  /**
   * TLS settings the startup health check connects with, for a server started with `--certificate`/`--pkey`
   * in `args` (the check is plaintext otherwise).
   */
  readonly tls?: TlsOptions;
}

/** A running immudb server. */
export interface ImmudbServer {
  readonly host: string;
  readonly port: number;
  /** `immudb://immudb:immudb@127.0.0.1:PORT/defaultdb` */
  readonly url: string;
  /** The server's data directory. */
  readonly dataDir: string;
  /** PEM public key of the state-signing key, when started with `signing`. */
  readonly signingPublicKeyPem: string | undefined;
  /** Path of the server's log file. */
  readonly logFile: string;
  /** Stops the server gracefully (SIGTERM, then SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as in a crash. */
  kill(): Promise<void>;
  /** Stops the server and deletes its temporary directory (unless `dataDir` was given). */
  dispose(): Promise<void>;
}

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts an immudb server and waits until it answers Health. */
export async function startImmudb(options: StartOptions = {}): Promise<ImmudbServer> {
  const binary = options.binary ?? immudbBinary();
  const work = mkdtempSync(join(tmpdir(), "immudb-ts-test-"));
  const dataDir = options.dataDir ?? join(work, "data");
  const logFile = join(work, "immudb.log");
  let signingPublicKeyPem: string | undefined;
  const args = [
    "--dir",
    dataDir,
    "--address",
    "127.0.0.1",
    "--pgsql-server=false",
    "--web-server=false",
    "--metrics-server=false",
    ...(options.args ?? []),
  ];
  if (options.signing) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const keyFile = join(work, "signing.key");
    writeFileSync(keyFile, privateKey.export({ type: "sec1", format: "pem" }));
    signingPublicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    args.push("--signingKey", keyFile);
  }

  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawnServer(binary, [...args, "--port", String(port)], work, logFile);
    try {
      await waitHealthy(child, port, logFile, options.tls);
    } catch (err) {
      await terminate(child, "SIGKILL");
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      if (attempt < 2 && options.port === undefined && /address already in use/.test(log)) continue;
      if (!options.dataDir) rmSync(work, { recursive: true, force: true });
      throw err;
    }
    let stopped: Promise<void> | undefined;
    const server: ImmudbServer = {
      host: "127.0.0.1",
      port,
      url: `immudb://immudb:immudb@127.0.0.1:${port}/defaultdb`,
      dataDir,
      signingPublicKeyPem,
      logFile,
      stop: () => {
        stopped ??= terminate(child, "SIGTERM");
        return stopped;
      },
      kill: () => {
        stopped ??= terminate(child, "SIGKILL");
        return stopped;
      },
      dispose: async () => {
        await server.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
    return server;
  }
}

function spawnServer(binary: string, args: string[], home: string, logFile: string): ChildProcess {
  // Isolate from the caller's immudb configuration: no IMMUDB_* variables, HOME in the temp dir.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("IMMUDB_")) env[k] = v;
  env.HOME = home;
  const out = openSync(logFile, "a");
  const child = spawn(join(root, "scripts", "watch-parent.sh"), [String(process.pid), binary, ...args], {
    env,
    detached: true, // own process group: kill(-pid) reaches the wrapper and the server
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  child.unref();
  return child;
}

async function waitHealthy(
  child: ChildProcess,
  port: number,
  logFile: string,
  tls: TlsOptions | undefined,
): Promise<void> {
  const transport = new GrpcTransport({
    address: `127.0.0.1:${port}`,
    tls,
    maxReceiveMessageBytes: 4 << 20,
    maxSendMessageBytes: 4 << 20,
  });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`immudb exited during startup:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
      }
      try {
        const res = await transport.unary(ImmuService.method.health, {}, { timeoutMs: 1000 });
        if (res.status) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `immudb did not become healthy in 30 s:\n${readFileSync(logFile, "utf8").slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    transport.close();
  }
}

async function terminate(child: ChildProcess, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  killGroup(signal);
  const timer = setTimeout(() => killGroup("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
  // The wrapper may exit a moment before the server it waits for; make sure the group is gone.
  killGroup("SIGKILL");
}
