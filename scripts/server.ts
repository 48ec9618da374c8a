/**
 * `npm run server`: starts a real immudb (built from the pinned Go module, cached outside the repo) in the
 * foreground on loopback, prints how to connect, and stops it on Ctrl-C.
 *
 * Flags: --port N (default 3322, or a free port if taken), --signing (generate a state-signing key).
 */
import { parseArgs } from "node:util";
import { freePort, startImmudb } from "../test/harness/immudb-server.js";

const { values } = parseArgs({
  options: { port: { type: "string" }, signing: { type: "boolean", default: false } },
});

async function main(): Promise<void> {
  let port = values.port ? Number(values.port) : 3322;
  if (!values.port && !(await isFree(port))) port = await freePort();
  console.log("starting immudb (the first run builds it from the Go module proxy: a few minutes)...");
  const server = await startImmudb({ port, signing: values.signing });
  console.log(`immudb is running on 127.0.0.1:${server.port} (data in ${server.dataDir})`);
  console.log(`connect with: IMMUDB_URL=${server.url}`);
  if (server.signingPublicKeyPem) console.log(`state-signing public key:\n${server.signingPublicKeyPem}`);
  console.log("press Ctrl-C to stop");
  const stop = async () => {
    console.log("\nstopping immudb...");
    await server.dispose();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  setInterval(() => undefined, 1 << 30);
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import("node:net");
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
