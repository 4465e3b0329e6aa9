// Job query for one cluster pass (reference §2.1): PENDING, unpaused jobs of the cluster's show and
// facility with a waiting layer on the cluster's tags that fits the folder and job caps, by priority.
// Booked values are the subscription, folder and job counters that every booking of this service
// updates in its own transaction and that its guards enforce (batch-booking.ts), not live sums over
// proc as in the reference: the Rust scheduler never wrote those counters, so it had to count procs;
// here a plan on live sums would only plan bookings the guards then refuse while the counters of a
// managed show wait for the recompute (accounting.recompute_interval) after Cuebot ends its frames.
// It also spares a scan of every running proc of the show on every pass.
import { sql, type Kysely } from "kysely";
import { preparedStatement, type Database } from "@opencue-ts/cuebot-db";

export interface DispatchJob {
  readonly id: string;
  readonly priority: number;
  readonly showName: string;
  /** job_resource.int_cores: the job's booked core units. */
  readonly coresInUse: number;
  /** job_resource.int_gpus. */
  readonly gpusInUse: number;
  readonly folderId: string;
  readonly facilityId: string;
  /** job.str_os (null = any). */
  readonly os: string | null;
  /** job_resource caps (core units / GPUs; <= 0 none). */
  readonly maxCoreUnits: number;
  readonly minCoreUnits: number;
  readonly maxGpus: number;
  readonly minGpus: number;
  /** job.ts_started (epoch ms): FIFO and aging in the engine. */
  readonly startedAtMs: number;
}

export interface JobQueryInput {
  readonly showId: string;
  readonly facilityId: string;
  readonly tags: readonly string[];
  /** queue.core_multiplier: one core of head-room, in core units. */
  readonly coreMultiplier: number;
  readonly limit: number;
}

interface JobRow {
  pk_job: string; int_priority: number; show_name: string; cores_in_use: number; gpus_in_use: number; pk_folder: string;
  pk_facility: string; str_os: string | null; int_max_cores: number; int_min_cores: number; int_max_gpus: number;
  int_min_gpus: number; ts_started: Date | string | null;
}

export async function queryJobs(db: Kysely<Database>, q: JobQueryInput): Promise<DispatchJob[]> {
  const tags = [...q.tags];
  const rows = await sql<JobRow>`${sql.raw(preparedStatement("cue_scheduler_jobs"))}
    WITH bookable AS (
      SELECT 1 FROM subscription sub
       WHERE sub.pk_show = ${q.showId} AND sub.int_burst > 0
         AND sub.int_burst - sub.int_cores >= ${q.coreMultiplier}
         AND sub.int_cores < sub.int_burst
         AND EXISTS (SELECT 1 FROM vs_waiting w WHERE w.pk_show = ${q.showId})
       LIMIT 1
    )
    SELECT j.pk_job, jr.int_priority, s.str_name AS show_name, jr.int_cores AS cores_in_use,
           jr.int_gpus AS gpus_in_use, j.pk_folder, j.pk_facility, j.str_os, jr.int_max_cores, jr.int_min_cores,
           jr.int_max_gpus, jr.int_min_gpus, j.ts_started
      FROM job j
      JOIN show s ON s.pk_show = j.pk_show
      JOIN job_resource jr ON jr.pk_job = j.pk_job
      JOIN folder_resource fr ON fr.pk_folder = j.pk_folder
     WHERE EXISTS (SELECT 1 FROM bookable)
       AND j.pk_show = ${q.showId} AND j.pk_facility = ${q.facilityId}
       AND j.str_state = 'PENDING' AND NOT j.b_paused
       AND (fr.int_max_cores <= 0 OR fr.int_cores < fr.int_max_cores)
       AND (fr.int_max_gpus <= 0 OR fr.int_gpus < fr.int_max_gpus)
       AND EXISTS (
         SELECT 1 FROM layer l JOIN layer_stat ls ON ls.pk_layer = l.pk_layer
          WHERE l.pk_job = j.pk_job AND ls.int_waiting_count > 0
            AND string_to_array(replace(l.str_tags, ' ', ''), '|') && ${tags}::text[]
            AND (fr.int_max_cores <= 0 OR fr.int_cores + l.int_cores_min <= fr.int_max_cores)
            AND (fr.int_max_gpus <= 0 OR fr.int_gpus + l.int_gpus_min <= fr.int_max_gpus)
            AND (jr.int_max_cores <= 0 OR jr.int_cores + l.int_cores_min <= jr.int_max_cores))
     ORDER BY jr.int_priority DESC, j.pk_job
     LIMIT ${q.limit}`.execute(db);
  return rows.rows.map((r) => ({
    id: r.pk_job, priority: r.int_priority, showName: r.show_name, coresInUse: Number(r.cores_in_use), gpusInUse: Number(r.gpus_in_use),
    folderId: r.pk_folder, facilityId: r.pk_facility, os: r.str_os, maxCoreUnits: r.int_max_cores, minCoreUnits: r.int_min_cores,
    maxGpus: r.int_max_gpus, minGpus: r.int_min_gpus, startedAtMs: r.ts_started ? new Date(r.ts_started).getTime() : 0,
  }));
}
