/**
 * Reliability 6: TLS faults, seen on the wire. tls.test.ts checks the errors; this file adds what it does not:
 * a sniffing TCP proxy in front of the server records the first bytes of every connection the client opens, to
 * prove that a failed handshake (unknown CA, expired certificate, rogue client certificate) is never followed by
 * a plaintext attempt (no connection ever starts with the HTTP/2 preface `PRI * HTTP/2.0`), and measures how
 * long each failure takes to surface. Under `--mtls`, immudb (Go's `VerifyClientCertIfGiven`) accepts a client
 * that sends no certificate at all: that is tested and reported as the server's actual behaviour.
 * Certificates are made with the `openssl` command-line tool.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError, ImmudbClient, type TlsOptions } from "../../../src/index.js";
import { type ImmudbServer, startImmudb } from "../../harness/immudb-server.js";
import { figure } from "./helpers.js";

interface Pki {
  readonly dir: string;
  readonly ca: string;
  readonly otherCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly rogueCert: string;
  readonly rogueKey: string;
}

function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "immudb-ts-tlsfaults-"));
  const run = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = (name: string) =>
    run(
      "req",
      "-x509",
      ...ec,
      "-days",
      "2",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-subj",
      `/CN=${name}`,
    );
  const leaf = (name: string, signer: string, ext: string, days: string, out = `${name}.pem`) => {
    run("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    run(
      ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${signer}.pem`, "-CAkey", `${signer}.key`],
      ...["-CAcreateserial", "-days", days, "-extfile", ext, "-out", out],
    );
  };
  ca("ca");
  ca("other-ca");
  ca("client-ca");
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  leaf("server", "ca", "server.ext", "2");
  // Same key, negative validity: expired a day before it was made.
  run(
    ...["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-days", "-1", "-extfile", "server.ext", "-out", "expired.pem"],
  );
  leaf("client", "client-ca", "client.ext", "2");
  leaf("rogue", "other-ca", "client.ext", "2");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    ca: read("ca.pem"),
    otherCa: read("other-ca.pem"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    rogueCert: read("rogue.pem"),
    rogueKey: read("rogue.key"),
  };
}

/** A TCP proxy that records the first bytes the client sends on each connection. */
interface Sniffer {
  readonly port: number;
  /** First bytes of each client connection so far. */
  readonly firstBytes: Buffer[];
  close(): Promise<void>;
}

async function sniff(targetPort: number): Promise<Sniffer> {
  const firstBytes: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection({ host: "127.0.0.1", port: targetPort });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => undefined);
    }
    inbound.once("data", (d: Buffer) => firstBytes.push(Buffer.from(d.subarray(0, 24))));
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
  });
  const port = await new Promise<number>((r) =>
    server.listen(0, "127.0.0.1", () => r((server.address() as { port: number }).port)),
  );
  return {
    port,
    firstBytes,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const isTlsHandshake = (b: Buffer) => b[0] === 0x16 && b[1] === 0x03; // TLS record: handshake, version 3.x
const isPlaintextHttp2 = (b: Buffer) => b.subarray(0, 3).toString("latin1") === "PRI";

let pki: Pki;
let tlsServer: ImmudbServer;
let expiredServer: ImmudbServer;
let mtlsServer: ImmudbServer;
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    throw new Error(
      "tls-faults.test.ts needs the openssl command-line tool (Debian: apt-get install openssl)",
    );
  }
  pki = makePki();
  const cert = (c: string) => ["--certificate", join(pki.dir, c), "--pkey", join(pki.dir, "server.key")];
  [tlsServer, expiredServer, mtlsServer] = await Promise.all([
    startImmudb({ args: cert("server.pem"), tls: { ca: pki.ca, servername: "localhost" } }),
    startImmudb({ args: cert("expired.pem"), tls: { rejectUnauthorized: false } }),
    startImmudb({
      args: [...cert("server.pem"), "--mtls", "--clientcas", join(pki.dir, "client-ca.pem")],
      tls: { ca: pki.ca, servername: "localhost", cert: pki.clientCert, key: pki.clientKey },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([tlsServer, expiredServer, mtlsServer].map((s) => s?.dispose()));
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
  figure("tls-faults", figures);
});

/** Connects through a sniffer; returns the error (or undefined on success), the time taken and the first bytes. */
async function attempt(server: ImmudbServer, tls: TlsOptions, name: string) {
  const proxy = await sniff(server.port);
  const started = performance.now();
  let error: unknown;
  try {
    const c = await ImmudbClient.connect({ port: proxy.port, tls, timeoutMs: 10_000 });
    try {
      await c.set("tls-fault", name);
      await c.verifiedGet("tls-fault");
    } finally {
      await c.close();
    }
  } catch (err) {
    error = err;
  }
  const ms = Math.round(performance.now() - started);
  await proxy.close();
  return { error, ms, firstBytes: proxy.firstBytes };
}

describe("TLS faults: a clear ConnectionError, never a plaintext fallback", () => {
  const cases: [string, () => ImmudbServer, () => TlsOptions, RegExp][] = [
    [
      "server certificate from an unknown CA",
      () => tlsServer,
      () => ({ ca: pki.otherCa, servername: "localhost" }),
      /TLS handshake failed: .*not signed by a trusted CA/,
    ],
    [
      "expired server certificate",
      () => expiredServer,
      () => ({ ca: pki.ca, servername: "localhost" }),
      /TLS handshake failed: .*expired/i,
    ],
    [
      "mTLS: client certificate from a CA the server does not trust",
      () => mtlsServer,
      () => ({ ca: pki.ca, servername: "localhost", cert: pki.rogueCert, key: pki.rogueKey }),
      /TLS handshake failed: the server rejected the client certificate/,
    ],
  ];
  for (const [name, server, tls, message] of cases) {
    it(name, async () => {
      const { error, ms, firstBytes } = await attempt(server(), tls(), name);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).code).toBe("CONNECTION");
      expect((error as Error).message).toMatch(message);
      expect(firstBytes.length).toBeGreaterThan(0);
      for (const b of firstBytes) {
        expect(isTlsHandshake(b), b.toString("hex")).toBe(true);
        expect(isPlaintextHttp2(b)).toBe(false);
      }
      figures[name] = {
        error: `ConnectionError: ${(error as Error).message.replace(/^.*?: /, "").slice(0, 120)}`,
        msToError: ms,
        connections: firstBytes.length,
        plaintextAttempts: 0,
      };
    });
  }

  it("mTLS: a client with no certificate is ACCEPTED by immudb (VerifyClientCertIfGiven), still over TLS", async () => {
    const { error, ms, firstBytes } = await attempt(
      mtlsServer,
      { ca: pki.ca, servername: "localhost" },
      "no client certificate",
    );
    expect(error).toBeUndefined();
    for (const b of firstBytes) expect(isTlsHandshake(b)).toBe(true);
    figures["mTLS: no client certificate"] = {
      outcome:
        "accepted by the server (immudb 1.11.1 --mtls verifies a client certificate only if one is sent)",
      msToVerifiedRead: ms,
      plaintextAttempts: 0,
    };
  });

  it("control: the right CA and a good client certificate work through the sniffer, all TLS", async () => {
    const { error, firstBytes } = await attempt(
      mtlsServer,
      { ca: pki.ca, servername: "localhost", cert: pki.clientCert, key: pki.clientKey },
      "good",
    );
    expect(error).toBeUndefined();
    expect(firstBytes.length).toBeGreaterThan(0);
    for (const b of firstBytes) expect(isTlsHandshake(b)).toBe(true);
  });
});
