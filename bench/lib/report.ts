/**
 * Turns the benchmark's samples into results: medians and spreads over rounds, ratios to the Go SDK measured
 * in the same round, the targets, a Markdown report and an SVG chart.
 *
 * @module
 */
import type { ClientMode, Result, Spec, Workload } from "./protocol.js";

export const CLIENTS = ["immudb-ts", "go-sdk", "immudb-node"] as const;
export type ClientName = (typeof CLIENTS)[number];
const LABEL: Record<ClientName, string> = {
  "immudb-ts": "immudb-ts",
  "go-sdk": "Go SDK",
  "immudb-node": "immudb-node",
};

export interface Cell {
  readonly id: string;
  readonly workload: Workload;
  readonly concurrency: number;
  readonly modes: readonly ClientMode[];
  readonly unit: "ops" | "keys" | "rows";
}

export interface Sample {
  readonly round: number;
  readonly cell: string;
  readonly client: ClientName;
  readonly mode: ClientMode;
  /** An informational run outside the comparison (immudb-ts with its in-memory trusted state). */
  readonly variant?: "memory state";
  readonly result: Result;
  /** The spec the driver got, password left out. */
  readonly spec?: Omit<Spec, "password">;
  /** 1-minute load average just before the cell ran. */
  readonly load1: number;
}

export interface Environment {
  readonly date: string;
  readonly quick: boolean;
  readonly rounds: number;
  readonly cellSeconds: number;
  readonly warmupSeconds: number;
  readonly bulk: number;
  readonly valueSize: number;
  readonly readKeys: number;
  readonly readTxs: number;
  readonly setAllBatch: number;
  readonly sqlBatch: number;
  readonly pageSize: number;
  readonly retry: { readonly baseMs: number; readonly capMs: number };
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
  };
  readonly versions: Readonly<Record<string, string>>;
  readonly server: string;
  readonly loadavg: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly wallSeconds: number;
}

type Metric = "rate" | "p50" | "p99" | "cpu" | "rss";

/** One measured figure of one sample. */
function metric(r: Result, m: Metric): number {
  switch (m) {
    case "rate":
      return r.durationMs > 0 ? (r.units / r.durationMs) * 1000 : 0;
    case "p50":
      return r.p50Ms;
    case "p99":
      return r.p99Ms;
    case "cpu":
      return r.units > 0 ? ((r.cpuUserMs + r.cpuSysMs) * 1000) / r.units : 0;
    case "rss":
      return r.maxRssKiB / 1024;
  }
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

function spread(xs: readonly number[]): Spread | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return {
    median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2,
    min: s[0]!,
    max: s[s.length - 1]!,
    n: s.length,
  };
}

/** Result of one client on one cell: per mode, the best mode, and its ratios to the Go SDK. */
export interface Figure {
  readonly status: "ok" | "fails" | "n/a" | "not run";
  readonly error?: string;
  /** The mode compared (the one with the higher median throughput). */
  readonly mode?: ClientMode;
  readonly modes: Partial<Record<ClientMode, Partial<Record<Metric, Spread>>>>;
  readonly values: Partial<Record<Metric, Spread>>;
  /** Ratio client / Go SDK per round (same round, each side in its best mode). */
  readonly vsGo: Partial<Record<Metric, Spread>>;
  readonly retries: number;
  readonly errors: number;
}

const METRICS: readonly Metric[] = ["rate", "p50", "p99", "cpu", "rss"];

function figures(cell: Cell, clients: readonly ClientName[], samples: readonly Sample[]) {
  const mine = samples.filter((s) => s.cell === cell.id && !s.variant);
  const perClient = new Map<ClientName, { best?: ClientMode; fig: Omit<Figure, "vsGo"> }>();
  for (const client of clients) {
    const ss = mine.filter((s) => s.client === client);
    if (ss.length === 0) {
      perClient.set(client, { fig: { status: "not run", modes: {}, values: {}, retries: 0, errors: 0 } });
      continue;
    }
    const ok = ss.filter((s) => s.result.status === "ok");
    const bad = ss.find((s) => s.result.status !== "ok");
    const modes: Figure["modes"] = {};
    let best: ClientMode | undefined;
    let bestRate = -1;
    for (const mode of cell.modes) {
      const ms = ok.filter((s) => s.mode === mode);
      if (ms.length === 0) continue;
      const vals: Partial<Record<Metric, Spread>> = {};
      for (const m of METRICS) {
        const sp = spread(ms.map((s) => metric(s.result, m)));
        if (sp) vals[m] = sp;
      }
      modes[mode] = vals;
      if ((vals.rate?.median ?? 0) > bestRate) {
        bestRate = vals.rate?.median ?? 0;
        best = mode;
      }
    }
    const status: Figure["status"] = best ? "ok" : (bad?.result.status ?? "fails");
    const retries = ss.reduce((a, s) => a + s.result.retries, 0);
    const errors = ss.reduce((a, s) => a + s.result.errors, 0);
    const fig: Omit<Figure, "vsGo"> = {
      status,
      ...(best ? {} : { error: bad?.result.error ?? "" }),
      ...(best ? { mode: best } : {}),
      modes,
      values: best ? (modes[best] ?? {}) : {},
      retries,
      errors,
    };
    perClient.set(client, best ? { best, fig } : { fig });
  }
  const go = perClient.get("go-sdk");
  const out = new Map<ClientName, Figure>();
  for (const client of clients) {
    const { best, fig } = perClient.get(client)!;
    const vsGo: Partial<Record<Metric, Spread>> = {};
    if (best && go?.best) {
      for (const m of METRICS) {
        const ratios: number[] = [];
        for (const s of mine) {
          if (s.client !== client || s.mode !== best || s.result.status !== "ok") continue;
          const g = mine.find(
            (x) =>
              x.client === "go-sdk" && x.mode === go.best && x.round === s.round && x.result.status === "ok",
          );
          const gv = g ? metric(g.result, m) : 0;
          if (gv > 0) ratios.push(metric(s.result, m) / gv);
        }
        const sp = spread(ratios);
        if (sp) vsGo[m] = sp;
      }
    }
    out.set(client, { ...fig, vsGo });
  }
  return out;
}

/** Ratio a/b per round of one metric between two clients (each in its best mode). */
function pairRatio(
  cell: string,
  a: ClientName,
  aMode: ClientMode | undefined,
  b: ClientName,
  bMode: ClientMode | undefined,
  samples: readonly Sample[],
  m: Metric,
): Spread | undefined {
  if (!aMode || !bMode) return undefined;
  const ratios: number[] = [];
  for (const s of samples) {
    if (s.cell !== cell || s.client !== a || s.mode !== aMode || s.result.status !== "ok") continue;
    const o = samples.find(
      (x) =>
        x.cell === cell &&
        x.client === b &&
        x.mode === bMode &&
        x.round === s.round &&
        x.result.status === "ok",
    );
    const ov = o ? metric(o.result, m) : 0;
    if (ov > 0) ratios.push(metric(s.result, m) / ov);
  }
  return spread(ratios);
}

export interface TargetCheck {
  readonly target: string;
  readonly value: string;
  readonly met: boolean | undefined;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function fmtSpread(s: Spread | undefined, digits?: number): string {
  if (!s) return "–";
  const f = digits === undefined ? fmt : (x: number) => x.toFixed(digits);
  return s.n > 1 && s.min !== s.max ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

function fmtRatio(s: Spread | undefined): string {
  if (!s) return "–";
  return s.n > 1
    ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`
    : `${s.median.toFixed(2)}×`;
}

function statusText(f: Figure): string {
  if (f.status === "n/a") return f.error?.startsWith("n/a") ? f.error : `n/a (${f.error ?? ""})`;
  if (f.status === "not run") return "not run";
  return `**fails**: ${(f.error ?? "").replace(/\s+/g, " ").replace(/\|/g, "\\|").slice(0, 140)}`;
}

function cellLabel(cell: Cell, bulk: number): string {
  const k = bulk >= 1000 ? `${bulk / 1000}k` : String(bulk);
  switch (cell.workload) {
    case "setAll":
      return "setAll (1,000-key batches)";
    case "scan":
      return `scan ${k} keys`;
    case "sqlInsert":
      return `SQL insert ${k} rows`;
    case "sqlSelect":
      return `SQL select ${k} rows`;
    default:
      return `${cell.workload} c=${cell.concurrency}`;
  }
}

export function report(
  env: Environment,
  cells: readonly Cell[],
  clients: readonly ClientName[],
  samples: readonly Sample[],
): { json: unknown; markdown: string; svg: string } {
  const table = new Map<string, Map<ClientName, Figure>>();
  for (const cell of cells) table.set(cell.id, figures(cell, clients, samples));
  const fig = (cell: string, c: ClientName) => table.get(cell)?.get(c);

  // ---- targets ----
  const targets: TargetCheck[] = [];
  for (const id of ["verifiedGet-c64", "verifiedSet-c64"]) {
    const r = fig(id, "immudb-ts")?.vsGo.rate;
    targets.push({
      target: `${id.replace("-c", " c=")} throughput ≥ Go SDK's (best mode each)`,
      value: r
        ? `${fmtRatio(r)} (immudb-ts ${fig(id, "immudb-ts")?.mode}, Go ${fig(id, "go-sdk")?.mode})`
        : "not measured",
      met: r ? r.median >= 1 : undefined,
    });
  }
  for (const id of ["verifiedSet-c1", "verifiedSet-c64", "verifiedGet-c1", "verifiedGet-c64"]) {
    const r = fig(id, "immudb-ts")?.vsGo.cpu;
    targets.push({
      target: `client CPU per op, ${id.replace("-c", " c=")} ≤ 1.5× Go SDK's`,
      value: r ? fmtRatio(r) : "not measured",
      met: r ? r.median <= 1.5 : undefined,
    });
  }
  for (const id of ["set-c1", "set-c64", "get-c1", "get-c64"]) {
    const ts = fig(id, "immudb-ts");
    const node = fig(id, "immudb-node");
    const r = pairRatio(id, "immudb-ts", ts?.mode, "immudb-node", node?.mode, samples, "rate");
    targets.push({
      target: `${id.replace("-c", " c=")} throughput ≥ 3× immudb-node's`,
      value: r ? fmtRatio(r) : node?.status === "ok" || !node ? "not measured" : `immudb-node ${node.status}`,
      met: r ? r.median >= 3 : undefined,
    });
  }

  // ---- markdown ----
  const L: string[] = [];
  const others = clients.filter((c) => c !== "go-sdk");
  L.push(
    `# immudb-ts comparative benchmark${env.quick ? " (QUICK smoke run: not for conclusions)" : ""}`,
    "",
  );
  L.push(`- date: ${env.date}; wall time ${env.wallSeconds} s`);
  L.push(
    `- machine: ${env.machine.cpu}, ${env.machine.cores} cores, ${env.machine.memoryGiB} GiB, ${env.machine.os}; client and server share it`,
  );
  L.push(
    `- load average (1/5/15 min): start ${env.loadavg.start.map((x) => x.toFixed(2)).join(" / ")}, end ${env.loadavg.end.map((x) => x.toFixed(2)).join(" / ")}; per cell in results.json`,
  );
  L.push(
    `- versions: ${Object.entries(env.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join("; ")}`,
  );
  L.push(`- server: ${env.server}`);
  L.push(
    `- method: ${env.rounds} round(s), client order rotated each round; ${env.cellSeconds} s measured + ${env.warmupSeconds} s warm-up per timed cell; one process per client per cell; fresh database per writing cell; ${env.valueSize}-byte values; reads from ${env.readKeys.toLocaleString("en-US")} keys written in ${env.readTxs.toLocaleString("en-US")} transactions; setAll ${env.setAllBatch}-key transactions; scan pages of ${env.pageSize}; SQL INSERTs of ${env.sqlBatch} parameterised rows; "max concurrency limit exceeded" retried with full jitter (base ${env.retry.baseMs} ms, cap ${env.retry.capMs} ms) by every driver`,
  );
  L.push(
    "- figures: median over rounds (min–max); ratios are client ÷ Go SDK per round, same round; for verified c=64 each client is compared in its better mode (shared client vs one client per worker)",
    "",
  );

  L.push("## Throughput (ratio to the Go SDK)", "");
  L.push(
    `| workload | unit | Go SDK | ${others.map((c) => `${LABEL[c]} | ${LABEL[c]} ÷ Go`).join(" | ")} |`,
    `|---|---|---|${others.map(() => "---|---").join("|")}|`,
  );
  for (const cell of cells) {
    const go = fig(cell.id, "go-sdk");
    const row = [cellLabel(cell, env.bulk), `${cell.unit}/s`, cellValue(go, "rate", cell)];
    for (const c of others) {
      const f = fig(cell.id, c);
      if (f?.status !== "ok") row.push(f ? statusText(f) : "–", "–");
      else row.push(cellValue(f, "rate", cell), fmtRatio(f.vsGo.rate));
    }
    L.push(`| ${row.join(" | ")} |`);
  }
  L.push("");

  L.push("## Latency per operation, ms (p50 / p99)", "");
  L.push(
    "Operation = one call for kv workloads, one 1,000-key transaction for setAll, one full scan, one INSERT statement, one full SELECT.",
    "",
  );
  L.push(
    `| workload | ${clients.map((c) => `${LABEL[c]} p50 | ${LABEL[c]} p99`).join(" | ")} | ${others.map((c) => `${LABEL[c]} ÷ Go p50 / p99`).join(" | ")} |`,
    `|---|${clients.map(() => "---|---").join("|")}|${others.map(() => "---").join("|")}|`,
  );
  for (const cell of cells) {
    const row = [cellLabel(cell, env.bulk)];
    for (const c of clients) {
      const f = fig(cell.id, c);
      if (f?.status !== "ok") row.push(f?.status ?? "–", "–");
      else row.push(fmtSpread(f.values.p50), fmtSpread(f.values.p99));
    }
    for (const c of others) {
      const f = fig(cell.id, c);
      row.push(f?.status === "ok" ? `${fmtRatio(f.vsGo.p50)} / ${fmtRatio(f.vsGo.p99)}` : "–");
    }
    L.push(`| ${row.join(" | ")} |`);
  }
  L.push("");

  L.push(
    "## Client CPU time per operation (µs, user + system, measured phase) and peak RSS of the client process (MiB)",
    "",
  );
  L.push(
    "Per key for setAll and scan, per row for SQL. CPU and RSS are each driver process's own (`process.cpuUsage`/`resourceUsage().maxRSS`, Go `getrusage`).",
    "",
  );
  L.push(
    `| workload | ${clients.map((c) => `${LABEL[c]} CPU`).join(" | ")} | ${others.map((c) => `${LABEL[c]} ÷ Go CPU`).join(" | ")} | ${clients.map((c) => `${LABEL[c]} RSS`).join(" | ")} |`,
    `|---|${clients.map(() => "---").join("|")}|${others.map(() => "---").join("|")}|${clients.map(() => "---").join("|")}|`,
  );
  for (const cell of cells) {
    const row = [cellLabel(cell, env.bulk)];
    for (const c of clients) {
      const f = fig(cell.id, c);
      row.push(f?.status === "ok" ? fmtSpread(f.values.cpu) : (f?.status ?? "–"));
    }
    for (const c of others) {
      const f = fig(cell.id, c);
      row.push(f?.status === "ok" ? fmtRatio(f.vsGo.cpu) : "–");
    }
    for (const c of clients) {
      const f = fig(cell.id, c);
      row.push(f?.status === "ok" ? fmtSpread(f.values.rss, 0) : "–");
    }
    L.push(`| ${row.join(" | ")} |`);
  }
  L.push("");

  const modeCells = cells.filter((c) => c.workload === "verifiedSet" || c.workload === "verifiedGet");
  if (modeCells.length > 0) {
    L.push("## Verified calls: client modes and trusted-state stores", "");
    L.push(
      "At c=64 each client runs with one client object shared by the workers and with one client object per worker (own connection, own state file). The Go SDK holds its state lock (a file lock) across the whole round trip of a verified call, so one shared Go client serialises them.",
      "",
    );
    L.push(
      "| workload | client | mode | ops/s | p50 ms | p99 ms | CPU µs/op | RSS MiB |",
      "|---|---|---|---|---|---|---|---|",
    );
    for (const cell of modeCells) {
      for (const c of clients) {
        const f = fig(cell.id, c);
        if (!f) continue;
        if (f.status !== "ok") {
          L.push(`| ${cellLabel(cell, env.bulk)} | ${LABEL[c]} | – | ${statusText(f)} | | | | |`);
          continue;
        }
        for (const mode of cell.modes) {
          const v = f.modes[mode];
          if (!v) continue;
          const best = f.mode === mode ? " (best)" : "";
          L.push(
            `| ${cellLabel(cell, env.bulk)} | ${LABEL[c]} | ${mode}${best} | ${fmtSpread(v.rate)} | ${fmtSpread(v.p50)} | ${fmtSpread(v.p99)} | ${fmtSpread(v.cpu)} | ${fmtSpread(v.rss, 0)} |`,
          );
        }
      }
      // Informational runs (not in the ratios or targets).
      for (const c of clients) {
        const vs = samples.filter((s) => s.cell === cell.id && s.client === c && s.variant);
        if (vs.length === 0) continue;
        const ok = vs.filter((s) => s.result.status === "ok").map((s) => s.result);
        const label = `${vs[0]!.mode}, ${vs[0]!.variant} (informational)`;
        if (ok.length === 0) {
          L.push(
            `| ${cellLabel(cell, env.bulk)} | ${LABEL[c]} | ${label} | fails: ${vs[0]!.result.error ?? ""} | | | | |`,
          );
          continue;
        }
        const sp = (m: Metric) => fmtSpread(spread(ok.map((r) => metric(r, m))), m === "rss" ? 0 : undefined);
        L.push(
          `| ${cellLabel(cell, env.bulk)} | ${LABEL[c]} | ${label} | ${sp("rate")} | ${sp("p50")} | ${sp("p99")} | ${sp("cpu")} | ${sp("rss")} |`,
        );
      }
    }
    L.push(
      "",
      "immudb-ts is compared with a FileStateStore (trusted state persisted in a file, as the Go SDK persists its own; immudb-ts fsyncs the file and its directory on every state advance and takes a lock file, the Go SDK writes its file in place under flock without fsync). The informational rows use immudb-ts's default in-memory store; they enter no ratio and no target.",
      "",
    );
  }

  L.push("## Targets", "", "| target | measured (immudb-ts) | met |", "|---|---|---|");
  for (const t of targets)
    L.push(`| ${t.target} | ${t.value} | ${t.met === undefined ? "n/a" : t.met ? "yes" : "**no**"} |`);
  L.push("");

  L.push("## Retries and errors", "");
  L.push(
    '"max concurrency limit exceeded" answers retried (all rounds and modes) / other errors. Any other error ends a cell as **fails**.',
    "",
  );
  L.push(
    `| workload | ${clients.map((c) => LABEL[c]).join(" | ")} |`,
    `|---|${clients.map(() => "---").join("|")}|`,
  );
  for (const cell of cells) {
    L.push(
      `| ${cellLabel(cell, env.bulk)} | ${clients
        .map((c) => {
          const f = fig(cell.id, c);
          return f ? `${f.retries} / ${f.errors}` : "–";
        })
        .join(" | ")} |`,
    );
  }
  L.push("");

  const json = {
    environment: env,
    cells: cells.map((cell) => ({
      ...cell,
      label: cellLabel(cell, env.bulk),
      clients: Object.fromEntries(clients.map((c) => [c, fig(cell.id, c)])),
    })),
    targets,
    samples,
  };
  return { json, markdown: `${L.join("\n")}\n`, svg: chart(env, cells, others, fig) };
}

function cellValue(f: Figure | undefined, m: Metric, _cell: Cell): string {
  if (!f) return "–";
  if (f.status !== "ok") return statusText(f);
  const mode =
    f.modes.perWorker && f.modes.shared ? ` [${f.mode === "perWorker" ? "per worker" : "shared"}]` : "";
  return `${fmtSpread(f.values[m])}${mode}`;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Horizontal bars of throughput ÷ Go SDK on a log scale, with the min–max spread as whiskers. */
function chart(
  env: Environment,
  cells: readonly Cell[],
  others: readonly ClientName[],
  fig: (cell: string, c: ClientName) => Figure | undefined,
): string {
  const colors: Record<ClientName, string> = {
    "immudb-ts": "#2563eb",
    "go-sdk": "#6b7280",
    "immudb-node": "#f59e0b",
  };
  const left = 200;
  const width = 800;
  const plotW = width - left - 90;
  const barH = 11;
  const groupH = others.length * (barH + 3) + 10;
  const top = 58;
  const height = top + cells.length * groupH + 40;
  const lo = Math.log10(0.05);
  const hi = Math.log10(10);
  const x = (v: number) => left + ((Math.log10(Math.min(Math.max(v, 0.05), 10)) - lo) / (hi - lo)) * plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="13" font-weight="600">Throughput relative to the Go SDK (1× = Go SDK, log scale)</text>`,
    `<text x="10" y="34" fill="#555">${esc(`${env.versions.server?.replace(/-[0-9a-f]{40}$/, "") ?? "immudb"} on loopback, ${env.machine.cores} cores; ${env.rounds} round(s)${env.quick ? " (QUICK run)" : ""}; median, whiskers min–max; ${env.date.slice(0, 10)}`)}</text>`,
  );
  let lx = 10;
  for (const c of others) {
    out.push(
      `<rect x="${lx}" y="42" width="10" height="10" fill="${colors[c]}"/><text x="${lx + 14}" y="51">${esc(LABEL[c])}</text>`,
    );
    lx += 110;
  }
  for (const t of [0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10]) {
    const tx = x(t);
    out.push(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${height - 30}" stroke="${t === 1 ? "#111" : "#e5e7eb"}" stroke-width="${t === 1 ? 1.5 : 1}"/>`,
      `<text x="${tx}" y="${height - 16}" text-anchor="middle" fill="#555">${t}×</text>`,
    );
  }
  cells.forEach((cell, i) => {
    const gy = top + i * groupH;
    out.push(
      `<text x="${left - 8}" y="${gy + groupH / 2}" text-anchor="end" dominant-baseline="middle">${esc(cellLabel(cell, env.bulk))}</text>`,
    );
    others.forEach((c, j) => {
      const y = gy + 4 + j * (barH + 3);
      const f = fig(cell.id, c);
      const r = f?.vsGo.rate;
      if (f?.status !== "ok" || !r) {
        const label = !f
          ? "not run"
          : f.status === "ok"
            ? "no Go SDK figure"
            : f.status === "n/a"
              ? "n/a"
              : "fails";
        out.push(
          `<text x="${left + 4}" y="${y + barH - 2}" fill="${colors[c]}" font-style="italic">${esc(`${LABEL[c]}: ${label}`)}</text>`,
        );
        return;
      }
      const x0 = x(0.05);
      out.push(
        `<rect x="${x0}" y="${y}" width="${Math.max(1, x(r.median) - x0)}" height="${barH}" fill="${colors[c]}"/>`,
        `<line x1="${x(r.min)}" y1="${y + barH / 2}" x2="${x(r.max)}" y2="${y + barH / 2}" stroke="#111"/>`,
        `<text x="${Math.max(x(r.median), x(r.max)) + 4}" y="${y + barH - 2}">${r.median.toFixed(2)}×</text>`,
      );
    });
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
