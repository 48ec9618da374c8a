/**
 * `immudb-ts audit`: the library {@link Auditor} on the command line.
 *
 * @module
 */
import {
  Auditor,
  type AuditResult,
  type AuditRound,
  auditResultToJson,
  TAMPERING_STATUSES,
} from "../index.js";
import type { Command } from "./commands.js";
import { clientOptions } from "./connect.js";
import type { Context } from "./context.js";
import { EXIT, exitCodeOf, flag, list, parseCount, parseDuration, str, UsageError } from "./framework.js";
import { fields, hex } from "./output.js";

function shortHash(h: Uint8Array): string {
  return hex(h).slice(0, 16);
}

function resultLine(r: AuditResult, nameWidth: number): string {
  const tx =
    r.previous && r.current && r.previous.txId !== r.current.txId
      ? `tx ${r.previous.txId} -> ${r.current.txId}`
      : r.current
        ? `tx ${r.current.txId}`
        : "";
  const detail = r.ok ? (r.current ? shortHash(r.current.txHash) : "") : (r.error?.message ?? "");
  return `  ${r.database.padEnd(nameWidth)}  ${r.status.padEnd(11)}  ${tx.padEnd(18)}  ${detail}`.trimEnd();
}

function evidenceText(r: AuditResult): string {
  const e = r.evidence;
  if (!e) return "";
  const lines: [string, string][] = [
    ["database", e.database],
    ["server", `${e.address}${e.serverUuid ? ` (${e.serverUuid})` : ""}`],
    ["trusted state", e.trusted ? `tx ${e.trusted.txId}  ${hex(e.trusted.txHash)}` : "(none)"],
    ["server claims", e.claimed ? `tx ${e.claimed.txId}  ${hex(e.claimed.txHash)}` : "(no answer)"],
    ["reason", e.reason],
    ["message", e.message],
    ["detected at", e.detectedAt.toISOString()],
  ];
  if (r.notification) {
    const n = r.notification;
    lines.push([
      "webhook",
      n.delivered
        ? `delivered (HTTP ${n.httpStatus}, attempt ${n.attempts})`
        : `NOT delivered after ${n.attempts} attempt(s): ${n.error ?? "?"}`,
    ]);
  }
  const title = TAMPERING_STATUSES.has(r.status)
    ? `TAMPERING DETECTED (${r.status}): the server's history is not consistent with the trusted state`
    : `THE TRUSTED STATE IS UNUSABLE (${r.status})`;
  return `${title}\n${fields(lines)
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n")}`;
}

function printRound(ctx: Context, round: AuditRound): void {
  if (ctx.json) {
    ctx.out(
      `${JSON.stringify({
        round: round.round,
        startedAt: round.startedAt.toISOString(),
        ok: round.ok,
        results: round.results.map(auditResultToJson),
      })}\n`,
    );
    return;
  }
  const w = Math.max(8, ...round.results.map((r) => r.database.length));
  const out = [`${round.startedAt.toISOString()}  round ${round.round}: ${round.ok ? "ok" : "NOT OK"}`];
  for (const r of round.results) out.push(resultLine(r, w));
  for (const r of round.results) if (r.evidence) out.push(evidenceText(r));
  for (const r of round.results) {
    if (r.status === "untrusted") {
      out.push(
        `  ${r.database}: nothing is trusted yet for this database; run once with --accept-initial-state ` +
          "(or give --signing-key) to trust the server's current state",
      );
    }
  }
  ctx.out(`${out.join("\n")}\n`);
}

/**
 * Exit code of the last round: 4 for tampering or an unusable trusted state, 2 for a database nothing is trusted
 * for, else the code of the first failed database's error (3 for unreachable or refused credentials), 0 if all ok.
 */
function exitCode(round: AuditRound | undefined): number {
  if (!round) return EXIT.OK;
  const s = new Set(round.results.map((r) => r.status));
  if ([...s].some((x) => TAMPERING_STATUSES.has(x)) || s.has("state-error")) return EXIT.VERIFICATION;
  if (s.has("untrusted")) return EXIT.USAGE;
  const codes = round.results.filter((r) => !r.ok).map((r) => exitCodeOf(r.error));
  return codes.includes(EXIT.CONNECTION) ? EXIT.CONNECTION : (codes[0] ?? EXIT.OK);
}

function parseHeader(h: string): [string, string] {
  const at = h.indexOf(":");
  if (at <= 0) throw new UsageError(`--webhook-header must look like "Name: value", got "${h}"`);
  return [h.slice(0, at).trim(), h.slice(at + 1).trim()];
}

const audit: Command = {
  spec: {
    name: "audit",
    summary: "check periodically that the server's history extends the trusted state",
    description: [
      "Each round, for each database: the server's current state (its signature checked with --signing-key),",
      "then a dual proof from the last trusted state (kept in the --state file) to it; the new state is stored",
      "only after the proof. A server that reports fewer transactions than trusted (regressed), the trusted",
      "transaction with another hash (forked) or anything that does not prove (tampered) stops the audit: the",
      "evidence is printed, the webhook is called, and the exit code is 4. Unreachable servers are reported and",
      "retried next round. A database with no trusted state needs --accept-initial-state (trust on first use) or",
      "--signing-key on the first run; otherwise the exit code is 2.",
      "",
      "The webhook gets a JSON POST (no credentials in the body): {source, event: audit.tampering, tampered,",
      "round, runAt, address, database, status, previous, current, error, evidence}. Secrets go in headers",
      "(--webhook-header 'Authorization: Bearer …'), and --webhook-secret adds X-Immudb-Ts-Signature:",
      "sha256=<HMAC of the body>. Each attempt times out after --webhook-timeout; 3 attempts at most.",
      "",
      "Human output: one block per round; --json: one JSON object per round and line.",
    ].join("\n"),
    options: [
      {
        name: "databases",
        type: "string",
        multiple: true,
        value: "<names>",
        description: 'databases to audit, comma-separated; "all", or prefix* (default: the --database)',
      },
      {
        name: "interval",
        type: "string",
        value: "<duration>",
        description: "pause between rounds (default 60s)",
      },
      { name: "once", type: "boolean", description: "run one round and exit (for cron)" },
      { name: "rounds", type: "string", value: "<n>", description: "run n rounds and exit" },
      {
        name: "accept-initial-state",
        type: "boolean",
        description: "trust the server's current state of a database nothing is trusted for yet",
      },
      {
        name: "webhook",
        type: "string",
        value: "<url>",
        description: "POST the evidence there on tampering",
      },
      {
        name: "webhook-header",
        type: "string",
        multiple: true,
        value: "<header>",
        description: 'extra header, e.g. "Authorization: Bearer t0k3n"',
      },
      {
        name: "webhook-secret",
        type: "string",
        value: "<secret>",
        description: "HMAC-SHA256 key of the X-Immudb-Ts-Signature header (env IMMUDB_TS_WEBHOOK_SECRET)",
      },
      {
        name: "webhook-timeout",
        type: "string",
        value: "<duration>",
        description: "per attempt (default 5s)",
      },
      { name: "notify", type: "string", value: "<when>", description: "failure (default) or always" },
    ],
    examples: [
      "immudb-ts audit --databases all --accept-initial-state --once",
      "immudb-ts audit --databases defaultdb,orders --interval 30s --webhook https://hooks.example/immudb",
    ],
  },
  async run(ctx) {
    const o = ctx.options;
    const names = list(o, "databases")
      .flatMap((s) => s.split(","))
      .map((s) => s.trim())
      .filter(Boolean);
    const databases = names.includes("all") ? "all" : names.length > 0 ? names : undefined;
    if (names.includes("all") && names.length > 1)
      throw new UsageError('--databases "all" cannot be mixed with names');
    const intervalMs = parseDuration(str(o, "interval") ?? "60s", "--interval");
    const roundsArg = str(o, "rounds");
    if (roundsArg !== undefined && flag(o, "once")) throw new UsageError("give --once or --rounds, not both");
    const rounds = flag(o, "once")
      ? 1
      : roundsArg !== undefined
        ? parseCount(roundsArg, "--rounds")
        : undefined;
    if (rounds === 0) throw new UsageError("--rounds must be at least 1");
    const notify = str(o, "notify") ?? "failure";
    if (notify !== "failure" && notify !== "always")
      throw new UsageError('--notify must be "failure" or "always"');
    const url = str(o, "webhook");
    const secret = str(o, "webhook-secret") ?? ctx.env.IMMUDB_TS_WEBHOOK_SECRET;
    const headers = Object.fromEntries(list(o, "webhook-header").map(parseHeader));
    const timeout = str(o, "webhook-timeout");
    if (
      url === undefined &&
      (str(o, "webhook-secret") !== undefined || Object.keys(headers).length > 0 || timeout)
    ) {
      throw new UsageError("--webhook-header, --webhook-secret and --webhook-timeout need --webhook");
    }

    const stop = new AbortController();
    const onAbort = () => stop.abort();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    let count = 0;
    const auditor = new Auditor({
      connection: clientOptions(o, ctx.env),
      stateStore: ctx.store(),
      ...(databases !== undefined ? { databases } : {}),
      intervalMs,
      acceptInitialState: flag(o, "accept-initial-state"),
      signal: stop.signal,
      ...(url !== undefined
        ? {
            webhook: {
              url,
              headers,
              notify,
              ...(secret !== undefined ? { secret } : {}),
              ...(timeout !== undefined ? { timeoutMs: parseDuration(timeout, "--webhook-timeout") } : {}),
            },
          }
        : {}),
      onRound: (round) => {
        printRound(ctx, round);
        count++;
        if (rounds !== undefined && count >= rounds) stop.abort();
      },
    });
    if (!ctx.json) {
      ctx.note(
        `auditing ${databases === "all" ? "all databases" : databases ? databases.join(", ") : "the database"} ` +
          `${rounds === 1 ? "once" : `every ${intervalMs / 1000} s`}; trusted states in ${ctx.statePath}`,
      );
    }
    try {
      return exitCode(await auditor.run());
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      await auditor.close();
    }
  },
};

export const AUDIT_COMMANDS: readonly Command[] = [audit];
