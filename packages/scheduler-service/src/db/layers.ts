// Layer + frame query (reference §2.2): the jobs' layers with waiting frames on the cluster's tags
// (start-after gate passed), each with up to `limit` WAITING frames in dispatch order, cut where the
// running sum of minimum cores over the whole job would pass the job's cap. Two statements for all the
// jobs of a pass (not two per job: on a big pass the round trips and plans were most of the read time).
import { sql, type Kysely } from "kysely";
import { preparedStatement, type Database } from "@opencue-ts/cuebot-db";

export interface DispatchFrame {
  readonly id: string;
  readonly name: string;
  /** frame.int_version as read: the optimistic-lock token of the booking. */
  readonly version: number;
  readonly updatedAt: Date | null;
}

export interface DispatchLayer {
  readonly id: string;
  readonly name: string;
  readonly jobId: string;
  readonly jobName: string;
  readonly showId: string;
  readonly showName: string;
  readonly facilityId: string;
  readonly folderId: string;
  readonly deptId: string;
  /** job.str_os: the layer's OS requirement (null = any). */
  readonly os: string | null;
  readonly command: string;
  readonly range: string;
  readonly chunkSize: number;
  /** Core units (centicores). */
  readonly minCoreUnits: number;
  /** layer.int_cores_max in core units; > 0 is a per-frame limit. */
  readonly maxCoreUnits: number;
  readonly minMemoryKb: number;
  readonly minGpus: number;
  readonly minGpuMemoryKb: number;
  readonly threadable: boolean;
  readonly tags: readonly string[];
  readonly services: readonly string[];
  /** job_resource.int_max_cores in core units (<= 0: none). */
  readonly jobMaxCoreUnits: number;
  readonly shot: string;
  readonly user: string;
  readonly uid: number | null;
  readonly logDir: string;
  readonly lokiUrl: string | null;
  /** job env overlaid by layer env. */
  readonly env: Readonly<Record<string, string>>;
  readonly frames: DispatchFrame[];
}

export interface LayerQueryInput {
  readonly jobId: string;
  readonly tags: readonly string[];
  readonly framesPerLayer: number;
}

export interface PassLayerQueryInput {
  readonly jobIds: readonly string[];
  readonly tags: readonly string[];
  readonly framesPerLayer: number;
}

interface LayerRow {
  pk_layer: string; layer_name: string; pk_job: string; job_name: string; pk_show: string; show_name: string;
  pk_facility: string; pk_folder: string; pk_dept: string; str_os: string | null; str_cmd: string; str_range: string;
  int_chunk_size: number; int_cores_min: number; int_cores_max: number; int_mem_min: number; int_gpus_min: number;
  int_gpu_mem_min: number; b_threadable: boolean; str_tags: string; str_services: string; job_max_cores: number;
  str_shot: string; str_user: string; int_uid: number | null; str_log_dir: string; str_loki_url: string | null;
  job_env: Record<string, string> | null; layer_env: Record<string, string> | null;
}

interface FrameRow { pk_frame: string; pk_layer: string; str_name: string; int_version: number | null; ts_updated: Date | null }

export function splitTags(tags: string): string[] {
  return [...new Set(tags.split("|").map((t) => t.trim()).filter((t) => t.length > 0))];
}

/** One job's layers (see queryPassLayers). */
export async function queryLayers(db: Kysely<Database>, q: LayerQueryInput): Promise<DispatchLayer[]> {
  return (await queryPassLayers(db, { jobIds: [q.jobId], tags: q.tags, framesPerLayer: q.framesPerLayer })).get(q.jobId) ?? [];
}

/** Layers of several jobs, job id -> its layers in dispatch order (jobs without one are absent). */
export async function queryPassLayers(db: Kysely<Database>, q: PassLayerQueryInput): Promise<Map<string, DispatchLayer[]>> {
  const tags = [...q.tags];
  const jobIds = [...q.jobIds];
  const out = new Map<string, DispatchLayer[]>();
  if (jobIds.length === 0) return out;
  const layersQuery = sql<LayerRow>`${sql.raw(preparedStatement("cue_scheduler_layers"))}
    SELECT l.pk_layer, l.str_name AS layer_name, j.pk_job, j.str_name AS job_name, j.pk_show, j.str_show AS show_name,
           j.pk_facility, j.pk_folder, j.pk_dept, j.str_os, l.str_cmd, l.str_range, l.int_chunk_size,
           l.int_cores_min, l.int_cores_max, l.int_mem_min, l.int_gpus_min, l.int_gpu_mem_min, l.b_threadable,
           l.str_tags, l.str_services, jr.int_max_cores AS job_max_cores, j.str_shot, j.str_user, j.int_uid,
           j.str_log_dir, j.str_loki_url,
           (SELECT jsonb_object_agg(e.str_key, e.str_value) FROM job_env e WHERE e.pk_job = j.pk_job) AS job_env,
           (SELECT jsonb_object_agg(e.str_key, e.str_value) FROM layer_env e WHERE e.pk_layer = l.pk_layer) AS layer_env
      FROM layer l
      JOIN job j ON j.pk_job = l.pk_job
      JOIN job_resource jr ON jr.pk_job = j.pk_job
      JOIN layer_stat ls ON ls.pk_layer = l.pk_layer
     WHERE l.pk_job = ANY(${jobIds}::varchar[]) AND ls.int_waiting_count > 0
       AND string_to_array(replace(l.str_tags, ' ', ''), '|') && ${tags}::text[]
     ORDER BY l.pk_job, l.int_dispatch_order, l.pk_layer`.execute(db);
  const framesQuery = sql<FrameRow>`${sql.raw(preparedStatement("cue_scheduler_frames"))}
    WITH cand AS (
      SELECT f.pk_frame, f.pk_job, f.pk_layer, f.str_name, f.int_version, f.ts_updated, f.int_dispatch_order, f.int_layer_order,
             l.int_dispatch_order AS layer_order, l.int_cores_min, l.int_gpus_min
        FROM frame f
        JOIN layer l ON l.pk_layer = f.pk_layer
        JOIN layer_stat ls ON ls.pk_layer = l.pk_layer
       WHERE f.pk_job = ANY(${jobIds}::varchar[]) AND f.str_state = 'WAITING' AND ls.int_waiting_count > 0
         AND string_to_array(replace(l.str_tags, ' ', ''), '|') && ${tags}::text[]
         AND (l.ts_start_after IS NULL OR l.ts_start_after <= current_timestamp)
    ), ranked AS (
      SELECT c.*,
             SUM(c.int_cores_min) OVER w AS run_cores,
             SUM(c.int_gpus_min) OVER w AS run_gpus,
             ROW_NUMBER() OVER (PARTITION BY c.pk_layer ORDER BY c.int_dispatch_order, c.int_layer_order) AS rank
        FROM cand c
      WINDOW w AS (PARTITION BY c.pk_job ORDER BY c.layer_order, c.int_dispatch_order, c.int_layer_order ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT r.pk_frame, r.pk_layer, r.str_name, r.int_version, r.ts_updated
      FROM ranked r JOIN job_resource jr ON jr.pk_job = r.pk_job
     WHERE r.rank <= ${q.framesPerLayer}
       AND (jr.int_max_cores <= 0 OR r.run_cores + jr.int_cores <= jr.int_max_cores)
       AND (jr.int_max_gpus <= 0 OR r.run_gpus + jr.int_gpus <= jr.int_max_gpus)
     ORDER BY r.pk_job, r.layer_order, r.int_dispatch_order, r.int_layer_order`.execute(db);
  // Independent reads: both in flight at once.
  const [layers, frames] = await Promise.all([layersQuery, framesQuery]);
  const byLayer = new Map<string, DispatchFrame[]>();
  for (const f of frames.rows) {
    let list = byLayer.get(f.pk_layer);
    if (!list) byLayer.set(f.pk_layer, (list = []));
    list.push({ id: f.pk_frame, name: f.str_name, version: f.int_version ?? 0, updatedAt: f.ts_updated });
  }
  for (const l of layers.rows) {
    let list = out.get(l.pk_job);
    if (!list) out.set(l.pk_job, (list = []));
    list.push({
    id: l.pk_layer, name: l.layer_name, jobId: l.pk_job, jobName: l.job_name, showId: l.pk_show, showName: l.show_name,
    facilityId: l.pk_facility, folderId: l.pk_folder, deptId: l.pk_dept, os: l.str_os, command: l.str_cmd, range: l.str_range,
    chunkSize: l.int_chunk_size > 0 ? l.int_chunk_size : 1, minCoreUnits: l.int_cores_min, maxCoreUnits: l.int_cores_max,
    minMemoryKb: l.int_mem_min, minGpus: l.int_gpus_min, minGpuMemoryKb: l.int_gpu_mem_min, threadable: l.b_threadable,
    tags: splitTags(l.str_tags), services: l.str_services.split(",").map((s) => s.trim()).filter((s) => s.length > 0),
    jobMaxCoreUnits: l.job_max_cores, shot: l.str_shot, user: l.str_user, uid: l.int_uid, logDir: l.str_log_dir,
    lokiUrl: l.str_loki_url, env: { ...(l.job_env ?? {}), ...(l.layer_env ?? {}) },
    frames: byLayer.get(l.pk_layer) ?? [],
    });
  }
  return out;
}
