/**
 * Reliability 4b: the soak, shortened for CI. Runs `scripts/soak.ts` (what `npm run soak` runs, 10 minutes by
 * default) in its own process for `IMMUDB_TS_SOAK_SECONDS` (default 60) and requires it to pass: no failed
 * operation, and heap, rss, sockets, timers and sessions within the bounds stated in the script after the
 * warm-up. A full-length run: `npm run soak` (docs/reliability.md).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { figure, root } from "./helpers.js";

const SECONDS = Number(process.env.IMMUDB_TS_SOAK_SECONDS ?? 60);

it(
  `soak: ${SECONDS} s of steady mixed load with client churn stays within its bounds`,
  async () => {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", join(root, "scripts", "soak.ts")],
      {
        cwd: root,
        env: {
          ...process.env,
          SOAK_SECONDS: String(SECONDS),
          SOAK_SAMPLE_SECONDS: String(Math.max(2, SECONDS / 20)),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const last = out.trim().split("\n").at(-1) ?? "";
    let summary: Record<string, unknown>;
    try {
      summary = JSON.parse(last) as Record<string, unknown>;
    } catch {
      throw new Error(`soak.ts printed no summary (exit ${code}):\n${out}\n${err}`);
    }
    figure("soak-ci", summary);
    expect(summary.reasons, out).toEqual([]);
    expect(summary.pass).toBe(true);
    expect(code).toBe(0);
  },
  (SECONDS + 90) * 1000,
);
