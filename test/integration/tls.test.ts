/**
 * TLS and mTLS against real immudb servers started with `--certificate/--pkey` (and `--mtls --clientcas`), with
 * certificates made at test time by the `openssl` command-line tool (Debian package `openssl`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError, ImmudbClient, InvalidArgumentError } from "../../src/index.js";
import { type ImmudbServer, startImmudb } from "../harness/immudb-server.js";

const text = new TextDecoder();

/** PEM files made for the tests. */
interface Pki {
  readonly dir: string;
  /** CA that signed the server certificates. */
  readonly ca: string;
  /** Another CA, trusted by nobody. */
  readonly otherCa: string;
  /** Server certificate for DNS:localhost and IP:127.0.0.1, and its key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The same key, in a certificate that expired long ago. */
  readonly expiredCert: string;
  /** CA of client certificates (`--clientcas`). */
  readonly clientCa: string;
  /** Client certificate signed by `clientCa`, and its key. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Client certificate signed by `otherCa`, and its key. */
  readonly rogueCert: string;
  readonly rogueKey: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function makePki(): Pki {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    throw new Error("tls.test.ts needs the openssl command-line tool (Debian: apt-get install openssl)");
  }
  const dir = mkdtempSync(join(tmpdir(), "immudb-ts-pki-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const selfSigned = (name: string, cn: string) =>
    openssl(
      dir,
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
      `/CN=${cn}`,
    );
  const csr = (name: string, cn: string) =>
    openssl(dir, "req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
  selfSigned("ca", "immudb-ts test CA");
  selfSigned("other-ca", "immudb-ts untrusted CA");
  selfSigned("client-ca", "immudb-ts client CA");
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  csr("server", "localhost");
  const sign = (name: string, ca: string, ext: string, out: string, days: string) =>
    openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-days",
      days,
      "-extfile",
      ext,
      "-out",
      out,
    );
  sign("server", "ca", "server.ext", "server.pem", "2");
  // Negative validity: notAfter is a day before notBefore (now), so the certificate has expired.
  sign("server", "ca", "server.ext", "expired.pem", "-1");
  csr("client", "immudb-ts client");
  sign("client", "client-ca", "client.ext", "client.pem", "2");
  csr("rogue", "immudb-ts rogue client");
  sign("rogue", "other-ca", "client.ext", "rogue.pem", "2");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    ca: read("ca.pem"),
    otherCa: read("other-ca.pem"),
    serverCert: join(dir, "server.pem"),
    serverKey: join(dir, "server.key"),
    expiredCert: join(dir, "expired.pem"),
    clientCa: join(dir, "client-ca.pem"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    rogueCert: read("rogue.pem"),
    rogueKey: read("rogue.key"),
  };
}

let pki: Pki;
let tlsServer: ImmudbServer;
let mtlsServer: ImmudbServer;
let expiredServer: ImmudbServer;
let plainServer: ImmudbServer;

beforeAll(async () => {
  pki = makePki();
  const cert = ["--certificate", pki.serverCert, "--pkey", pki.serverKey];
  [tlsServer, mtlsServer, expiredServer, plainServer] = await Promise.all([
    startImmudb({ args: cert, tls: { ca: pki.ca, servername: "localhost" } }),
    startImmudb({
      args: [...cert, "--mtls", "--clientcas", pki.clientCa],
      tls: { ca: pki.ca, servername: "localhost", cert: pki.clientCert, key: pki.clientKey },
    }),
    startImmudb({
      args: ["--certificate", pki.expiredCert, "--pkey", pki.serverKey],
      tls: { rejectUnauthorized: false },
    }),
    startImmudb(),
  ]);
});

afterAll(async () => {
  await Promise.all([tlsServer, mtlsServer, expiredServer, plainServer].map((s) => s?.dispose()));
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/** Connects, expecting failure, and returns the error. */
async function connectError(options: Parameters<typeof ImmudbClient.connect>[0]): Promise<unknown> {
  const c = await ImmudbClient.connect(options).catch((e: unknown) => e);
  if (c instanceof ImmudbClient) {
    await c.close();
    throw new Error("connect succeeded where it should have failed");
  }
  return c;
}

describe("TLS", () => {
  it("works with the right CA: session, writes, verified reads", async () => {
    const c = await ImmudbClient.connect({
      port: tlsServer.port,
      tls: { ca: pki.ca, servername: "localhost" },
    });
    try {
      await c.set("tls-key", "over TLS");
      expect(text.decode((await c.get("tls-key"))?.value)).toBe("over TLS");
      await c.verifiedSet("tls-verified", "v");
      expect(text.decode((await c.verifiedGet("tls-verified")).value)).toBe("v");
      expect((await c.health()).status).toBe(true);
    } finally {
      await c.close();
    }
  });

  it("checks the IP address against the certificate's subjectAltName when there is no servername", async () => {
    const c = await ImmudbClient.connect({ host: "127.0.0.1", port: tlsServer.port, tls: { ca: pki.ca } });
    try {
      expect((await c.session()).database).toBe("defaultdb");
    } finally {
      await c.close();
    }
  });

  it("takes TLS settings from the URL (tlsCaFile, tlsServername)", async () => {
    const caFile = join(pki.dir, "ca.pem");
    const url = `immudb://immudb:immudb@127.0.0.1:${tlsServer.port}/defaultdb?tlsCaFile=${encodeURIComponent(caFile)}&tlsServername=localhost`;
    const c = await ImmudbClient.connect(url);
    try {
      await c.set("tls-url", "1");
    } finally {
      await c.close();
    }
    // tls=true alone means Node's bundled CAs, which do not include the test CA.
    const err = await connectError(`immudb://immudb:immudb@127.0.0.1:${tlsServer.port}/defaultdb?tls=true`);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/TLS handshake failed/);
  });

  it("rejects a server whose certificate is signed by an unknown CA, with a clear message", async () => {
    const err = await connectError({
      port: tlsServer.port,
      tls: { ca: pki.otherCa, servername: "localhost" },
      timeoutMs: 5000,
    });
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).code).toBe("CONNECTION");
    expect((err as Error).message).toMatch(/TLS handshake failed: .*(certificate|verify)/);
  });

  it("rejects a certificate for another host name", async () => {
    const err = await connectError({ port: tlsServer.port, tls: { ca: pki.ca, servername: "db.example" } });
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/TLS handshake failed: .*db\.example/);
  });

  it("rejects an expired server certificate", async () => {
    const err = await connectError({
      port: expiredServer.port,
      tls: { ca: pki.ca, servername: "localhost" },
    });
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/TLS handshake failed: .*expired/i);
  });

  it("accepts any certificate with rejectUnauthorized: false (tests only)", async () => {
    const c = await ImmudbClient.connect({ port: expiredServer.port, tls: { rejectUnauthorized: false } });
    try {
      await c.set("insecure", "1");
    } finally {
      await c.close();
    }
  });

  it("never falls back to plaintext: a TLS client against a plaintext server fails", async () => {
    const err = await connectError({ port: plainServer.port, tls: { ca: pki.ca, servername: "localhost" } });
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/TLS handshake failed .*does not seem to speak TLS/);
  });

  it("a plaintext client against a TLS server fails clearly", async () => {
    const err = await connectError({ port: tlsServer.port, timeoutMs: 5000 });
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/if the server uses TLS, set the tls option/);
  });

  it("rejects bad TLS settings before connecting", async () => {
    await expect(
      ImmudbClient.connect({ port: tlsServer.port, tls: { ca: "not a certificate" } }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      ImmudbClient.connect({ port: tlsServer.port, tls: { cert: pki.clientCert } }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    const mismatch = await ImmudbClient.connect({
      port: tlsServer.port,
      tls: { cert: pki.clientCert, key: pki.rogueKey },
    }).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(InvalidArgumentError);
    expect(String(mismatch)).not.toContain("PRIVATE KEY");
    await expect(
      ImmudbClient.connect(`immudb://127.0.0.1:${tlsServer.port}?tls=false&tlsServername=localhost`),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    const missing = await ImmudbClient.connect(
      `immudb://127.0.0.1:${tlsServer.port}?tlsCaFile=/nonexistent/ca.pem`,
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InvalidArgumentError);
  });
});

describe("mTLS (--mtls --clientcas)", () => {
  const serverTls = () => ({ ca: pki.ca, servername: "localhost" });

  it("works with a client certificate signed by the server's client CA", async () => {
    const c = await ImmudbClient.connect({
      port: mtlsServer.port,
      tls: { ...serverTls(), cert: pki.clientCert, key: pki.clientKey },
    });
    try {
      await c.set("mtls", "yes");
      expect(text.decode((await c.verifiedGet("mtls")).value)).toBe("yes");
    } finally {
      await c.close();
    }
  });

  it("rejects a client certificate from another CA", async () => {
    const err = await connectError({
      port: mtlsServer.port,
      tls: { ...serverTls(), cert: pki.rogueCert, key: pki.rogueKey },
      timeoutMs: 5000,
    });
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(
      /TLS handshake failed: the server rejected the client certificate/,
    );
  });

  it("does not require a client certificate (immudb verifies one only if it is sent)", async () => {
    const c = await ImmudbClient.connect({ port: mtlsServer.port, tls: serverTls() });
    try {
      await c.set("mtls-optional", "1");
    } finally {
      await c.close();
    }
  });
});
