// The CLI commands that work on a Cuebot database: submit, jobs, kill-frame, and the database side
// of report-server (--database URL or --embedded).
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createCuebotDb, migrateCuebotDb, startEmbeddedPostgres, type EmbeddedPostgres } from "@opencue-ts/cuebot-db";
import { integer, parse, UsageError, type Options, type Values } from "./cli-args.js";
import { createDbReportHandler, type DbReportHandler } from "./db/db-report-handler.js";
import type { CuebotDb } from "./db/db-types.js";
import { jobInputFromDocument, parseJobSpec, submitJob, type DependInput, type JobInput, type LayerInput } from "./db/job-spec.js";
import { doneCount, readJobProgress, type FrameCounts } from "./db/job-progress.js";
import { locateRunningFrame } from "./db/kill-frame.js";
import { createSweepWorker, type SweepWorker } from "./db/sweep-worker.js";
import { describeCallError, table } from "./format.js";
import { createRqdClient } from "./rqd-client.js";

export interface DbCliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const DATABASE_OPTION_HELP = `  --database URL   Cuebot database (postgres://user:password@host:port/database)\n`;

export const reportServerDbOptions = {
  database: { type: "string" },
  embedded: { type: "boolean" },
  "data-dir": { type: "string" },
  facility: { type: "string" },
  "alloc-tag": { type: "string" },
  "sweep-interval": { type: "string" },
  "host-down-after": { type: "string" },
  "orphan-after": { type: "string" },
} satisfies Options;

export const REPORT_SERVER_DB_HELP = `  --database URL         apply every report to this Cuebot database, as Cuebot does
  --embedded             ... to a fresh embedded PostgreSQL with our Cuebot schema (URL printed)
  --data-dir DIR         with --embedded: keep the cluster in DIR (default: a temp dir, removed on stop)
  --facility NAME        facility for hosts that report none (default local)
  --alloc-tag TAG        tag of the allocation "<facility>.<TAG>" created when the farm has no default one (default general)
  --sweep-interval S     seconds between lost-proc sweeps (default 10)
  --host-down-after S    a host silent this long is marked DOWN and its frames re-queued (default 300)
  --orphan-after S       a proc no status report mentioned this long is cleared (default 300)
`;

export interface DbBackend {
  readonly handler: DbReportHandler;
  /** The database URL (with password) the reports go to. */
  readonly url: string;
  close(): Promise<void>;
}

const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");

/** Opens the database for report-server; undefined when neither --database nor --embedded is given. */
export async function openReportServerBackend(values: Values, usage: string, io: DbCliIo): Promise<DbBackend | undefined> {
  const database = values["database"] as string | undefined;
  const embedded = values["embedded"] === true;
  if (database !== undefined && embedded) throw new UsageError("--database and --embedded exclude each other", usage);
  if (values["data-dir"] !== undefined && !embedded) throw new UsageError("--data-dir needs --embedded", usage);
  if (database === undefined && !embedded) return undefined;
  const seconds = (name: string, dflt: number) => (integer(values[name] as string | undefined, `--${name}`, usage, 1) ?? dflt) * 1000;
  const sweepMs = seconds("sweep-interval", 10);
  const hostDownAfterMs = seconds("host-down-after", 300);
  const orphanAfterMs = seconds("orphan-after", 300);

  let pg: EmbeddedPostgres | undefined;
  let url = database ?? "";
  if (embedded) {
    const dataDir = (values["data-dir"] as string | undefined) ?? (await mkdtemp(join(tmpdir(), "dummy-cuebot-pg-")));
    pg = await startEmbeddedPostgres({ dataDir, persistent: values["data-dir"] !== undefined });
    url = pg.connectionString;
  }
  const db = createCuebotDb(url);
  try {
    if (pg) await migrateCuebotDb(db);
    else await db.selectFrom("host").select("pk_host").limit(1).execute();
  } catch (e) {
    await db.destroy();
    await pg?.stop();
    throw e;
  }
  const handler = createDbReportHandler({
    db, hostDownAfterMs, orphanAfterMs,
    defaultFacility: values["facility"] as string | undefined,
    defaultAllocationTag: values["alloc-tag"] as string | undefined,
  });
  const worker: SweepWorker = createSweepWorker({
    sweep: () => handler.sweep(),
    intervalMs: sweepMs,
    onSweep: (r) => {
      if (r.hostsMarkedDown.length > 0) io.stderr(`hosts marked DOWN: ${r.hostsMarkedDown.join(", ")}\n`);
      if (r.framesRequeued.length > 0) io.stderr(`frames re-queued from lost procs: ${r.framesRequeued.join(", ")}\n`);
    },
    onError: (e) => io.stderr(`lost-proc sweep failed: ${(e as Error).message}\n`),
  });
  worker.start();
  io.stderr(`applying reports to ${redact(url)}\n`);
  return {
    handler,
    url,
    close: async () => {
      await worker.stop();
      await db.destroy();
      await pg?.stop();
    },
  };
}

async function withDatabase<T>(values: Values, usage: string, run: (db: CuebotDb) => Promise<T>): Promise<T> {
  const url = values["database"] as string | undefined;
  if (!url) throw new UsageError("--database URL is required", usage);
  const db = createCuebotDb(url);
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}

export const SUBMIT_USAGE = `Usage: dummy-cuebot submit --database URL (SPEC.yaml|SPEC.json | --show S --name N --layer L --command C --range R ...) [--json]

Submits a job to a Cuebot database (cuebot-db's farm model): a PENDING job with its layers, frames
(WAITING, or DEPEND while they wait on another layer) and dependencies. What the job needs and the
farm lacks is created: the facility, the show (scheduler-managed), the allocation and the show's
subscription to it.

A spec file (YAML or JSON):
  show: demo            # required
  name: demo-shot01-render
  facility: local       # default local; alloc default "<facility>.general"
  maxRetries: 2         # job.int_max_retries (Cuebot's default 3)
  layers:
    - { name: sim, command: "echo #IFRAME#", range: 1-4, chunk: 1, cores: 1, memory: 256MiB, tags: [general] }
    - { name: render, command: "sleep 1", range: 1-4 }
  depends:
    - { layer: render, on: sim, type: FRAME_BY_FRAME }   # or LAYER_ON_LAYER (default)

Or flags (each --layer starts a layer; the layer flags after it apply to it):
${DATABASE_OPTION_HELP}  --show NAME --name NAME [--facility F] [--alloc A] [--priority N] [--max-retries N]
  [--user U] [--shot S] [--log-dir DIR]
  --layer NAME --command CMD --range RANGE [--chunk N] [--cores N] [--memory SIZE] [--tags a,b]
  --depend LAYER:ON[:frame]   LAYER waits for all of ON (layer on layer), or frame by frame
  --json                      print the submitted job as JSON
`;

const submitOptions = {
  database: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
  show: { type: "string" }, name: { type: "string" }, facility: { type: "string" }, alloc: { type: "string" },
  priority: { type: "string" }, "max-retries": { type: "string" }, user: { type: "string" }, shot: { type: "string" }, "log-dir": { type: "string" },
  layer: { type: "string", multiple: true }, command: { type: "string", multiple: true }, range: { type: "string", multiple: true },
  chunk: { type: "string", multiple: true }, cores: { type: "string", multiple: true }, memory: { type: "string", multiple: true },
  tags: { type: "string", multiple: true }, depend: { type: "string", multiple: true },
} satisfies Options;

const LAYER_FLAGS = new Set(["command", "range", "chunk", "cores", "memory", "tags"]);

/** Builds a JobInput from flags; layer flags bind to the latest --layer. */
function jobInputFromFlags(args: readonly string[], values: Values, usage: string): JobInput {
  const { tokens } = parseArgs({ args: [...args], options: submitOptions, allowPositionals: true, strict: true, tokens: true });
  const layers: Record<string, string>[] = [];
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    if (t.name === "layer") layers.push({ name: t.value ?? "" });
    else if (LAYER_FLAGS.has(t.name)) {
      const current = layers.at(-1);
      if (!current) throw new UsageError(`--${t.name} must follow a --layer`, usage);
      if (current[t.name] !== undefined) throw new UsageError(`--${t.name} given twice for layer ${current["name"]}`, usage);
      current[t.name] = t.value ?? "";
    }
  }
  const need = (name: string): string => {
    const v = values[name];
    if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required (or give a spec file)`, usage);
    return v;
  };
  if (layers.length === 0) throw new UsageError("at least one --layer is required (or give a spec file)", usage);
  const layerInputs: LayerInput[] = layers.map((l) => {
    for (const k of ["command", "range"]) if (!l[k]) throw new UsageError(`layer ${l["name"]}: --${k} is required`, usage);
    return {
      name: l["name"]!, command: l["command"]!, range: l["range"]!,
      chunk: integer(l["chunk"], "--chunk", usage, 1), cores: integer(l["cores"], "--cores", usage, 1),
      memory: l["memory"], tags: l["tags"]?.split(/[|,]/).map((s) => s.trim()).filter(Boolean),
    };
  });
  const depends: DependInput[] = ((values["depend"] as string[] | undefined) ?? []).map((d) => {
    const [layer, on, kind, extra] = d.split(":");
    if (!layer || !on || extra !== undefined || (kind !== undefined && kind !== "frame" && kind !== "layer")) {
      throw new UsageError(`--depend expects LAYER:ON or LAYER:ON:frame, got "${d}"`, usage);
    }
    return { layer, on, type: kind === "frame" ? "FRAME_BY_FRAME" : "LAYER_ON_LAYER" };
  });
  return jobInputFromDocument({
    show: need("show"), name: need("name"), facility: values["facility"], alloc: values["alloc"], user: values["user"], shot: values["shot"],
    logDir: values["log-dir"], priority: integer(values["priority"] as string | undefined, "--priority", usage, 0),
    maxRetries: integer(values["max-retries"] as string | undefined, "--max-retries", usage, 0),
    layers: layerInputs, depends,
  });
}

export async function runSubmit(args: readonly string[], io: DbCliIo): Promise<number> {
  const { values, positionals } = parse(args, submitOptions, SUBMIT_USAGE);
  if (values["help"]) {
    io.stdout(SUBMIT_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, SUBMIT_USAGE);
  let input: JobInput;
  if (positionals.length === 1) {
    const flagged = Object.keys(values).filter((k) => !["database", "json"].includes(k));
    if (flagged.length > 0) throw new UsageError(`a spec file and --${flagged[0]} exclude each other`, SUBMIT_USAGE);
    const path = positionals[0]!;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read ${path}: ${(e as Error).message}`, SUBMIT_USAGE);
    }
    input = parseJobSpec(text, path);
  } else {
    input = jobInputFromFlags(args, values, SUBMIT_USAGE);
  }
  const job = await withDatabase(values, SUBMIT_USAGE, (db) => submitJob(db, input));
  if (values["json"]) {
    io.stdout(`${JSON.stringify({ id: job.id, name: job.name, frames: job.frameCount, layers: Object.values(job.layers).map((l) => ({ id: l.id, name: l.name, frames: l.frameNumbers.length })) })}\n`);
  } else {
    io.stdout(`Submitted job ${job.name} (${job.id}): ${job.frameCount} frame(s) in ${Object.keys(job.layers).length} layer(s)\n`);
  }
  return 0;
}

export const JOBS_USAGE = `Usage: dummy-cuebot jobs --database URL [JOB...] [--pending] [--layers] [--json]

Prints jobs and their progress from job_stat and layer_stat.

Options:
${DATABASE_OPTION_HELP}  --pending        only PENDING jobs
  --layers         one row per layer under each job
  --json           print JSON
`;

const countsCells = (c: FrameCounts): string[] => {
  const pct = c.total === 0 ? 100 : Math.floor((100 * doneCount(c)) / c.total);
  return [`${doneCount(c)}/${c.total}`, `${pct}%`, String(c.running), String(c.waiting), String(c.depend), String(c.dead)];
};

export async function runJobs(args: readonly string[], io: DbCliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { database: { type: "string" }, pending: { type: "boolean" }, layers: { type: "boolean" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    JOBS_USAGE,
  );
  if (values["help"]) {
    io.stdout(JOBS_USAGE);
    return 0;
  }
  const jobs = await withDatabase(values, JOBS_USAGE, (db) => readJobProgress(db, { jobs: positionals, pendingOnly: values["pending"] === true }));
  if (values["json"]) {
    io.stdout(`${JSON.stringify(jobs)}\n`);
    return 0;
  }
  if (jobs.length === 0) {
    io.stdout("no jobs\n");
    return 0;
  }
  const rows: string[][] = [];
  for (const j of jobs) {
    rows.push([j.name, j.state, ...countsCells(j)]);
    if (values["layers"]) for (const l of j.layers) rows.push([`  ${l.name}`, "", ...countsCells(l)]);
  }
  io.stdout(`${table(["JOB", "STATE", "DONE", "%", "RUNNING", "WAITING", "DEPEND", "DEAD"], rows)}\n`);
  return 0;
}

export const KILL_FRAME_USAGE = `Usage: dummy-cuebot kill-frame --database URL JOB FRAME [--reason TEXT] [--rqd-port 8444] [--timeout MS]

Finds the host a frame runs on (its proc) and calls that RQD's KillRunningFrame. JOB is a job name
or id, FRAME a frame name such as 0003-render. What the frame becomes then follows from the
completion report RQD sends (retried, or DEAD, by the job's retry rules).

Options:
${DATABASE_OPTION_HELP}  --reason TEXT    kill message (default "killed by dummy-cuebot")
  --rqd-port N     RQD's gRPC port on the host (default 8444)
  --timeout MS     call deadline (default 10000)
`;

export async function runKillFrame(args: readonly string[], io: DbCliIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    { database: { type: "string" }, reason: { type: "string" }, "rqd-port": { type: "string" }, timeout: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    KILL_FRAME_USAGE,
  );
  if (values["help"]) {
    io.stdout(KILL_FRAME_USAGE);
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(positionals.length < 2 ? "JOB and FRAME are required" : `unexpected argument "${positionals[2]}"`, KILL_FRAME_USAGE);
  const port = integer(values["rqd-port"] as string | undefined, "--rqd-port", KILL_FRAME_USAGE, 1, 65535) ?? 8444;
  const timeoutMs = integer(values["timeout"] as string | undefined, "--timeout", KILL_FRAME_USAGE, 1) ?? 10_000;
  const where = await withDatabase(values, KILL_FRAME_USAGE, (db) => locateRunningFrame(db, positionals[0]!, positionals[1]!));
  const client = createRqdClient({ host: where.hostName, port, timeoutMs });
  try {
    await client.killRunningFrame(where.frameId, (values["reason"] as string | undefined) ?? "killed by dummy-cuebot");
  } catch (e) {
    io.stderr(`${describeCallError(e, `${where.hostName}:${port}`)}\n`);
    return 1;
  } finally {
    client.close();
  }
  io.stdout(values["json"] ? `${JSON.stringify(where)}\n` : `Asked RQD on ${where.hostName}:${port} to kill ${where.frameName} (${where.frameId})\n`);
  return 0;
}
