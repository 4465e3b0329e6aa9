// What scheduler-core's plan() needs beyond the pass's jobs, layers and hosts: the show's
// subscriptions and allocations, the jobs' folders, the layers' limit records, the layers' runtime
// estimates and the procs running on the pass's hosts (those with an expected end). A fixed handful of indexed queries per pass,
// each over id arrays, never one per row. Booked values are the counters the booking guards enforce,
// like the job query's.
import { sql, type Kysely } from "kysely";
import { preparedStatement, type Database } from "@opencue-ts/cuebot-db";

export interface PlanSubscription {
  readonly id: string;
  readonly allocId: string;
  readonly allocName: string;
  readonly allocTag: string;
  readonly facilityId: string;
  readonly size: number;
  readonly burst: number;
  readonly bookedCores: number;
}

export interface PlanFolder {
  readonly id: string;
  readonly maxCores: number;
  readonly minCores: number;
  readonly maxGpus: number;
  readonly minGpus: number;
  readonly bookedCores: number;
  readonly bookedGpus: number;
}

export interface PlanLimit {
  readonly id: string;
  readonly name: string;
  readonly maxValue: number | null;
  /** SUM(layer_stat.int_running_count) over every layer sharing it (the booking guard's count). */
  readonly running: number;
}

export interface PlanProc {
  readonly id: string;
  readonly hostId: string;
  readonly jobId: string;
  readonly layerId: string | null;
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  /** proc.ts_booked + the layer's average successful run time. */
  readonly expectedEndMs: number;
}

export interface PlanInputs {
  readonly subscriptions: PlanSubscription[];
  readonly folders: PlanFolder[];
  readonly limits: PlanLimit[];
  /** layer id -> its limit record ids. */
  readonly layerLimits: Map<string, string[]>;
  /** layer id -> average successful frame run time (ms), from layer_usage. */
  readonly runtimeEstimates: Map<string, number>;
  /**
   * Procs on the pass's hosts whose layer has a run-time history: the only ones backfill can use (a
   * proc with no expected end never frees its host in the plan), so the others are not read.
   */
  readonly procs: PlanProc[];
}

export interface PlanInputQuery {
  readonly showId: string;
  readonly folderIds: readonly string[];
  /** The pass's jobs: limit records and runtime estimates are read for all their layers. */
  readonly jobIds: readonly string[];
  readonly hostIds: readonly string[];
  /** Read running procs (only needed for reservations / backfill). */
  readonly withProcs: boolean;
}

const n = (v: unknown) => Number(v ?? 0);

export async function queryPlanInputs(db: Kysely<Database>, q: PlanInputQuery): Promise<PlanInputs> {
  const [subs, folders, limits, usage, procs] = await Promise.all([
    sql<{ pk_subscription: string; pk_alloc: string; alloc_name: string; str_tag: string; pk_facility: string; int_size: number; int_burst: number; booked: number }>`${sql.raw(preparedStatement("cue_scheduler_plan_subs"))}
      SELECT sub.pk_subscription, a.pk_alloc, a.str_name AS alloc_name, a.str_tag, a.pk_facility, sub.int_size, sub.int_burst,
             sub.int_cores AS booked
        FROM subscription sub JOIN alloc a ON a.pk_alloc = sub.pk_alloc
       WHERE sub.pk_show = ${q.showId}`.execute(db),
    q.folderIds.length === 0 ? Promise.resolve({ rows: [] }) : sql<{ pk_folder: string; int_max_cores: number; int_min_cores: number; int_max_gpus: number; int_min_gpus: number; cores: number; gpus: number }>`${sql.raw(preparedStatement("cue_scheduler_plan_folders"))}
      SELECT fr.pk_folder, fr.int_max_cores, fr.int_min_cores, fr.int_max_gpus, fr.int_min_gpus, fr.int_cores AS cores, fr.int_gpus AS gpus
        FROM folder_resource fr
       WHERE fr.pk_folder = ANY(${[...q.folderIds]}::varchar[])`.execute(db),
    q.jobIds.length === 0 ? Promise.resolve({ rows: [] }) : sql<{ pk_layer: string; pk_limit_record: string; str_name: string; int_max_value: number | null; running: number }>`${sql.raw(preparedStatement("cue_scheduler_plan_limits"))}
      SELECT ll.pk_layer, lr.pk_limit_record, lr.str_name, lr.int_max_value,
             COALESCE((SELECT SUM(ls.int_running_count) FROM layer_limit ll2 JOIN layer_stat ls ON ls.pk_layer = ll2.pk_layer
                        WHERE ll2.pk_limit_record = lr.pk_limit_record), 0) AS running
        FROM layer_limit ll JOIN limit_record lr ON lr.pk_limit_record = ll.pk_limit_record
       WHERE ll.pk_layer IN (SELECT l.pk_layer FROM layer l WHERE l.pk_job = ANY(${[...q.jobIds]}::varchar[]))`.execute(db),
    q.jobIds.length === 0 ? Promise.resolve({ rows: [] }) : sql<{ pk_layer: string; secs: number }>`${sql.raw(preparedStatement("cue_scheduler_plan_usage"))}
      SELECT lu.pk_layer, lu.int_clock_time_success::float8 / lu.int_frame_success_count AS secs
        FROM layer_usage lu
       WHERE lu.pk_job = ANY(${[...q.jobIds]}::varchar[]) AND lu.int_frame_success_count > 0`.execute(db),
    !q.withProcs || q.hostIds.length === 0 ? Promise.resolve({ rows: [] }) : sql<{ pk_proc: string; pk_host: string; pk_job: string; pk_layer: string | null; int_cores_reserved: number; int_mem_reserved: number; int_gpus_reserved: number; int_gpu_mem_reserved: number; booked_ms: number; secs: number }>`${sql.raw(preparedStatement("cue_scheduler_plan_procs"))}
      SELECT p.pk_proc, p.pk_host, p.pk_job, p.pk_layer, p.int_cores_reserved, p.int_mem_reserved, p.int_gpus_reserved,
             p.int_gpu_mem_reserved, (EXTRACT(EPOCH FROM p.ts_booked) * 1000)::float8 AS booked_ms,
             lu.int_clock_time_success::float8 / lu.int_frame_success_count AS secs
        FROM proc p JOIN layer_usage lu ON lu.pk_layer = p.pk_layer AND lu.int_frame_success_count > 0
       WHERE p.pk_host = ANY(${[...q.hostIds]}::varchar[])`.execute(db),
  ]);
  const layerLimits = new Map<string, string[]>();
  const limitById = new Map<string, PlanLimit>();
  for (const r of limits.rows) {
    let list = layerLimits.get(r.pk_layer);
    if (!list) layerLimits.set(r.pk_layer, (list = []));
    list.push(r.pk_limit_record);
    limitById.set(r.pk_limit_record, { id: r.pk_limit_record, name: r.str_name, maxValue: r.int_max_value, running: n(r.running) });
  }
  return {
    subscriptions: subs.rows.map((r) => ({
      id: r.pk_subscription, allocId: r.pk_alloc, allocName: r.alloc_name, allocTag: r.str_tag, facilityId: r.pk_facility,
      size: r.int_size, burst: r.int_burst, bookedCores: n(r.booked),
    })),
    folders: folders.rows.map((r) => ({
      id: r.pk_folder, maxCores: r.int_max_cores, minCores: r.int_min_cores, maxGpus: r.int_max_gpus, minGpus: r.int_min_gpus,
      bookedCores: n(r.cores), bookedGpus: n(r.gpus),
    })),
    limits: [...limitById.values()],
    layerLimits,
    runtimeEstimates: new Map(usage.rows.map((r) => [r.pk_layer, Math.round(n(r.secs) * 1000)])),
    procs: procs.rows.map((r) => ({
      id: r.pk_proc, hostId: r.pk_host, jobId: r.pk_job, layerId: r.pk_layer, cores: r.int_cores_reserved, memoryKb: r.int_mem_reserved,
      gpus: r.int_gpus_reserved, gpuMemoryKb: r.int_gpu_mem_reserved,
      expectedEndMs: Math.round(n(r.booked_ms) + n(r.secs) * 1000),
    })),
  };
}
