/**
 * Creates a database on a test server with raw `CreateDatabaseV2` (as the admin user, in a session of its own),
 * so that tests that need special settings (a larger `maxValueLen`, a replica) do not depend on the client's
 * admin API.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type DatabaseNullableSettingsSchema, ImmuService } from "../../src/gen/schema_pb.js";
import { GrpcTransport } from "../../src/transport/grpc.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Creates database `name` with `settings` on the server at `host:port`. */
export async function createDatabase(
  server: { readonly host: string; readonly port: number },
  name: string,
  settings: MessageInitShape<typeof DatabaseNullableSettingsSchema> = {},
): Promise<void> {
  const t = new GrpcTransport({
    address: `${server.host}:${server.port}`,
    maxReceiveMessageBytes: 4 << 20,
    maxSendMessageBytes: 4 << 20,
  });
  try {
    const s = await t.unary(
      ImmuService.method.openSession,
      { username: utf8("immudb"), password: utf8("immudb"), databaseName: "defaultdb" },
      { timeoutMs: 10_000 },
    );
    const md = { metadata: { sessionid: s.sessionID }, timeoutMs: 10_000 };
    try {
      await t.unary(ImmuService.method.createDatabaseV2, { name, settings }, md);
    } finally {
      await t.unary(ImmuService.method.closeSession, {}, md);
    }
  } finally {
    t.close();
  }
}
