// Test harness: a scheduler config from the schema's defaults plus overrides, a log capture, a
// service runner that waits for the empty-cycle stop, and the reference's audit (from src/db/audit.ts).
import { PassThrough } from "node:stream";
import type { Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";
import { createLogger, validateConfig, type Logger } from "@opencue-ts/service-kit";
import { schedulerConfigSchema, type SchedulerConfig } from "../config/scheduler-config.js";

type Raw = Record<string, Record<string, unknown>>;

/** Defaults, then the reference's test settings (short sleeps, dry run), then `over` (deep merge per section). */
export function testConfig(over: Raw = {}): SchedulerConfig {
  const base: Raw = {
    rqd: { dry_run_mode: true },
    queue: {
      metrics_port: 0, cluster_empty_sleep: "300ms", cluster_saturated_sleep: "200ms", empty_job_cycles_before_quiting: 30,
      active_scan_interval: "500ms", cluster_reload_interval: "1h", memory_stranded_threshold: "100MB",
      dispatch_frames_per_layer_limit: 8, host_candidate_attempts_per_layer: 5,
    },
    host_cache: { update_stat_on_book: true, host_staleness_threshold: "1h" },
    instance: { heartbeat_interval: "300ms", lease_duration: "1500ms" },
    accounting: { recompute_interval: "1h" },
  };
  const raw: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) raw[k] = { ...(base[k] ?? {}), ...v };
  const { value, problems } = validateConfig(schedulerConfigSchema, raw);
  if (problems.length > 0) throw new Error(`bad test config: ${JSON.stringify(problems)}`);
  return value;
}

export interface LogCapture {
  readonly logger: Logger;
  lines(): Record<string, unknown>[];
}

export function captureLogs(level = "info"): LogCapture {
  const stream = new PassThrough();
  const out: Record<string, unknown>[] = [];
  let buf = "";
  stream.on("data", (chunk: Buffer) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim()) out.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  return { logger: createLogger({ service: "cue-scheduler", level, format: "json", stream }), lines: () => out };
}

/** The reference's audit (§6.2); the library's implementation, under the tests' short name. */
export { auditBookings as audit, type AuditResult } from "../db/audit.js";

export async function countFrames(db: Kysely<Database>, state: string, jobId?: string): Promise<number> {
  let q = db.selectFrom("frame").select((eb) => eb.fn.countAll<number>().as("n")).where("str_state", "=", state);
  if (jobId) q = q.where("pk_job", "=", jobId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}
