/**
 * `npm run demo`: the main job, end to end. Uses the immudb at $IMMUDB_URL if set; otherwise builds (once) and
 * starts a local immudb on loopback, and stops it at the end. Prints each step:
 * a verified write and read, the trusted state stored on disk, and a tampering server caught in the act.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStateStore, ImmudbClient, parseConnectionUrl, VerificationError } from "../src/index.js";
import { startGrpcProxy } from "../test/harness/grpc-proxy.js";
import { type ImmudbServer, startImmudb } from "../test/harness/immudb-server.js";

const text = new TextDecoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

async function main(): Promise<void> {
  let server: ImmudbServer | undefined;
  let url = process.env.IMMUDB_URL;
  if (url) {
    console.log(`1. using the immudb at ${redact(url)}`);
  } else {
    console.log("1. starting a local immudb 1.11.1 (the first run builds it from the Go module proxy)...");
    server = await startImmudb();
    url = server.url;
    console.log(`   immudb is up on 127.0.0.1:${server.port}, data in a temporary directory`);
  }
  const stateDir = mkdtempSync(join(tmpdir(), "immudb-ts-demo-"));
  const statePath = join(stateDir, "trusted-state.json");
  try {
    const client = await ImmudbClient.connect({ url, stateStore: new FileStateStore({ path: statePath }) });
    try {
      const health = await client.health();
      const session = await client.session();
      console.log(
        `2. connected: server ${health.version}, uuid ${session.serverUuid}, database ${session.database}`,
      );

      const key = `demo:${Date.now()}`;
      const header = await client.verifiedSet(key, "hello, immudb");
      console.log(`3. verifiedSet ${key} = "hello, immudb" -> tx ${header.id}, proven: the entry is in the`);
      console.log("   transaction, and the transaction extends the history this client trusted before");

      const entry = await client.verifiedGet(key);
      console.log(
        `4. verifiedGet ${key} -> "${text.decode(entry.value)}" (tx ${entry.tx}, revision ${entry.revision})`,
      );

      const state = await client.trustedState();
      console.log(`5. trusted state now: tx ${state?.txId}, Alh ${state ? hex(state.txHash) : "-"}`);
      console.log(`   stored in ${statePath}:`);
      for (const line of readFileSync(statePath, "utf8").trim().split("\n")) console.log(`     ${line}`);

      await client.set(key, "hello again");
      const first = await client.verifiedGet(key, { atRevision: 1n });
      const latest = await client.verifiedGet(key);
      console.log(
        `6. history is kept and provable: revision 1 = "${text.decode(first.value)}", latest = "${text.decode(latest.value)}" (tx ${latest.tx})`,
      );

      // A server that lies: a proxy in front of the real one rewrites values in verified and plain reads.
      const target = parseConnectionUrl(url);
      const proxy = await startGrpcProxy([{ host: target.host ?? "127.0.0.1", port: target.port ?? 3322 }]);
      const forge = (value: Uint8Array) =>
        text.decode(value) === "hello again" ? new TextEncoder().encode("hello, forged") : value;
      proxy.onResponse("get", (e) => {
        e.value = forge(e.value);
      });
      proxy.onResponse("verifiableGet", (ve) => {
        if (ve.entry) ve.entry.value = forge(ve.entry.value);
      });
      const victim = await ImmudbClient.connect({ url, host: "127.0.0.1", port: proxy.port });
      const plain = await victim.get(key);
      console.log(
        `7. through a tampering server, plain get returns "${text.decode(plain?.value)}" (unverified)`,
      );
      try {
        await victim.verifiedGet(key);
        console.log("   verifiedGet accepted the forged value: THIS SHOULD NOT HAPPEN");
        process.exitCode = 1;
      } catch (err) {
        if (!(err instanceof VerificationError)) throw err;
        console.log(`   verifiedGet refuses it: ${err.message}`);
      }
      await victim.close();
      await proxy.close();
    } finally {
      await client.close();
    }
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
    if (server) {
      await server.dispose();
      console.log("8. stopped the local immudb");
    }
  }
  console.log("demo finished");
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}

main().catch((err: unknown) => {
  console.error("demo failed:", err);
  process.exitCode = 1;
});
