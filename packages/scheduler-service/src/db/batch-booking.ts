// Booking many frames (on one or more hosts) in one statement. A single booking costs a round trip,
// a fresh statement plan and a turn on the hot accounting rows (one subscription, folder and point
// row shared by every frame of a show): on a busy farm those rows serialise every booking. Here the
// writes of up to a few dozen frames are made together, the accounting rows once per group with the
// summed amounts, under the same guards as bookFrame: every host's advisory lock, every frame still
// WAITING at its version with its start-after passed, every host with room for its frames' sum, every
// cap (subscription burst, job and folder max) with room for its group's sum. It is all or nothing: if
// any guard fails the statement raises and nothing is written, and the caller books those frames one
// by one with bookFrame, which says which guard failed. Layers with limit records are refused here
// (their limit counts running frames, which a batch cannot check row by row): book them with bookFrame.
import { sql, type Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";
import { NOT_A_RETRY, type FrameBooking } from "./booking.js";

export type BatchOutcome =
  | {
      readonly kind: "booked";
      /** Frame id -> int_version after the booking (for compensation). */
      readonly frameVersions: ReadonlyMap<string, number>;
      /** Host id -> idle values after the booking. */
      readonly hosts: ReadonlyMap<string, { idleCoreUnits: number; idleMemoryKb: number; idleGpus: number; idleGpuMemoryKb: number }>;
    }
  /** Some guard failed; nothing was written. `reason` names the first failed guard. */
  | { readonly kind: "refused"; readonly reason: string };

const REFUSED = "cue-scheduler batch refused:";
const REFUSED_RE = /cue-scheduler batch refused:([a-z_]+)/;

interface BatchRow {
  frames: [string, number][] | null;
  hosts: [string, number, number, number, number][] | null;
}

export async function bookFrames(db: Kysely<Database>, list: readonly FrameBooking[]): Promise<BatchOutcome> {
  if (list.length === 0) return { kind: "booked", frameVersions: new Map(), hosts: new Map() };
  const col = <T>(f: (b: FrameBooking) => T): T[] => list.map(f);
  const updateStat = list[0]!.updateStat;
  try {
    const { rows } = await sql<BatchRow>`
      WITH d AS (
        SELECT * FROM unnest(${col((b) => b.procId)}::varchar[], ${col((b) => b.frameId)}::varchar[], ${col((b) => b.frameVersion)}::int[],
                             ${col((b) => b.layerId)}::varchar[], ${col((b) => b.jobId)}::varchar[], ${col((b) => b.showId)}::varchar[],
                             ${col((b) => b.folderId)}::varchar[], ${col((b) => b.deptId)}::varchar[], ${col((b) => b.hostId)}::varchar[],
                             ${col((b) => b.hostName)}::varchar[], ${col((b) => b.allocId)}::varchar[], ${col((b) => b.coreUnits)}::bigint[],
                             ${col((b) => b.memoryKb)}::bigint[], ${col((b) => b.gpus)}::int[], ${col((b) => b.gpuMemoryKb)}::bigint[],
                             ${col((b) => b.memUsedKb)}::bigint[])
          AS d(proc_id, frame_id, version, layer_id, job_id, show_id, folder_id, dept_id, host_id, host_name, alloc_id, cores, mem, gpus, gpu_mem, mem_used)
      ), n AS (
        SELECT count(*) AS frames, count(DISTINCT host_id) AS hosts, count(DISTINCT (show_id, alloc_id)) AS subs,
               count(DISTINCT job_id) AS jobs, count(DISTINCT layer_id) AS layers, count(DISTINCT folder_id) AS folders,
               count(DISTINCT (show_id, dept_id)) AS points,
               NOT EXISTS (SELECT 1 FROM layer_limit ll WHERE ll.pk_layer IN (SELECT layer_id FROM d)) AS no_limits
          FROM d
      ), lk AS (
        -- Sorted, so two batches never take the same locks in opposite orders (try-locks do not wait anyway).
        SELECT bool_and(pg_try_advisory_xact_lock(hashtext(host_id))) AS ok FROM (SELECT DISTINCT host_id FROM d ORDER BY host_id) x
      ), f AS (
        UPDATE frame SET str_state = 'RUNNING', str_host = d.host_name, int_cores = d.cores, int_mem_reserved = d.mem,
               int_gpus = d.gpus, int_gpu_mem_reserved = d.gpu_mem,
               ts_updated = current_timestamp, ts_started = current_timestamp, ts_stopped = NULL,
               int_version = frame.int_version + 1,
               int_retries = frame.int_retries + CASE WHEN frame.int_exit_status = ANY(${NOT_A_RETRY}::bigint[]) THEN 0 ELSE 1 END
          FROM d
         WHERE frame.pk_frame = d.frame_id AND frame.str_state = 'WAITING' AND frame.int_version = d.version
           AND (SELECT ok FROM lk) AND (SELECT no_limits FROM n)
           AND EXISTS (SELECT 1 FROM layer l WHERE l.pk_layer = frame.pk_layer
                        AND (l.ts_start_after IS NULL OR l.ts_start_after <= current_timestamp))
        RETURNING frame.pk_frame, frame.int_version
      ), p AS (
        INSERT INTO proc (pk_proc, pk_host, pk_show, pk_layer, pk_job, pk_frame, int_cores_reserved, int_mem_reserved,
                          int_mem_pre_reserved, int_mem_used, int_gpus_reserved, int_gpu_mem_reserved,
                          int_gpu_mem_pre_reserved, int_gpu_mem_used, b_local)
        SELECT d.proc_id, d.host_id, d.show_id, d.layer_id, d.job_id, d.frame_id, d.cores, d.mem, d.mem, d.mem_used,
               d.gpus, d.gpu_mem, d.gpu_mem, 0, FALSE
          FROM d JOIN f ON f.pk_frame = d.frame_id
        ON CONFLICT (pk_frame) DO NOTHING
        RETURNING pk_proc
      ), all_frames AS (
        SELECT (SELECT count(*) FROM p) = (SELECT frames FROM n) AS ok
      ), hsum AS (
        SELECT host_id, sum(cores) AS cores, sum(mem) AS mem, sum(gpus) AS gpus, sum(gpu_mem) AS gpu_mem FROM d GROUP BY host_id
      ), h AS (
        UPDATE host SET int_cores_idle = int_cores_idle - hsum.cores, int_mem_idle = int_mem_idle - hsum.mem,
               int_gpus_idle = int_gpus_idle - hsum.gpus, int_gpu_mem_idle = int_gpu_mem_idle - hsum.gpu_mem
          FROM hsum
         WHERE host.pk_host = hsum.host_id AND int_cores_idle >= hsum.cores AND int_mem_idle >= hsum.mem
           AND int_gpus_idle >= hsum.gpus AND int_gpu_mem_idle >= hsum.gpu_mem
           AND (SELECT ok FROM all_frames)
        RETURNING host.pk_host, host.int_cores_idle, host.int_mem_idle, host.int_gpus_idle, host.int_gpu_mem_idle
      ), all_hosts AS (
        SELECT (SELECT count(*) FROM h) = (SELECT hosts FROM n) AS ok
      ), hs AS (
        UPDATE host_stat SET int_mem_free = int_mem_free - hsum.mem, int_gpu_mem_free = int_gpu_mem_free - hsum.gpu_mem
          FROM hsum
         WHERE host_stat.pk_host = hsum.host_id AND ${updateStat} AND (SELECT ok FROM all_hosts)
        RETURNING 1
      ), s AS (
        UPDATE subscription SET int_cores = int_cores + x.cores, int_gpus = int_gpus + x.gpus
          FROM (SELECT show_id, alloc_id, sum(cores) AS cores, sum(gpus) AS gpus FROM d GROUP BY show_id, alloc_id) x
         WHERE subscription.pk_show = x.show_id AND subscription.pk_alloc = x.alloc_id AND int_cores + x.cores <= int_burst
           AND (SELECT ok FROM all_hosts)
        RETURNING 1
      ), jr AS (
        UPDATE job_resource SET int_cores = int_cores + x.cores, int_gpus = int_gpus + x.gpus
          FROM (SELECT job_id, sum(cores) AS cores, sum(gpus) AS gpus FROM d GROUP BY job_id) x
         WHERE job_resource.pk_job = x.job_id AND int_cores + x.cores <= int_max_cores
           AND (x.gpus = 0 OR int_gpus + x.gpus <= int_max_gpus)
           AND (SELECT ok FROM all_hosts)
        RETURNING 1
      ), lr AS (
        UPDATE layer_resource SET int_cores = int_cores + x.cores, int_gpus = int_gpus + x.gpus
          FROM (SELECT layer_id, sum(cores) AS cores, sum(gpus) AS gpus FROM d GROUP BY layer_id) x
         WHERE layer_resource.pk_layer = x.layer_id AND (SELECT ok FROM all_hosts)
        RETURNING 1
      ), fr AS (
        UPDATE folder_resource SET int_cores = int_cores + x.cores, int_gpus = int_gpus + x.gpus
          FROM (SELECT folder_id, sum(cores) AS cores, sum(gpus) AS gpus FROM d GROUP BY folder_id) x
         WHERE folder_resource.pk_folder = x.folder_id
           AND (int_max_cores <= 0 OR int_cores + x.cores <= int_max_cores)
           AND (x.gpus = 0 OR int_max_gpus <= 0 OR int_gpus + x.gpus <= int_max_gpus)
           AND (SELECT ok FROM all_hosts)
        RETURNING 1
      ), pt AS (
        UPDATE point SET int_cores = int_cores + x.cores, int_gpus = int_gpus + x.gpus
          FROM (SELECT show_id, dept_id, sum(cores) AS cores, sum(gpus) AS gpus FROM d GROUP BY show_id, dept_id) x
         WHERE point.pk_show = x.show_id AND point.pk_dept = x.dept_id AND (SELECT ok FROM all_hosts)
        RETURNING 1
      ), r AS (
        SELECT (SELECT ok FROM lk) AS locked, (SELECT no_limits FROM n) AS no_limits, (SELECT ok FROM all_frames) AS frames_ok,
               (SELECT ok FROM all_hosts) AS hosts_ok,
               (SELECT count(*) FROM s) = (SELECT subs FROM n) AS sub_ok, (SELECT count(*) FROM jr) = (SELECT jobs FROM n) AS job_ok,
               (SELECT count(*) FROM fr) = (SELECT folders FROM n) AS folder_ok,
               (SELECT count(*) FROM lr) + (SELECT count(*) FROM pt) + (SELECT count(*) FROM hs) AS _touch
      )
      SELECT (SELECT json_agg(json_build_array(pk_frame, int_version)) FROM f) AS frames,
             (SELECT json_agg(json_build_array(pk_host, int_cores_idle, int_mem_idle, int_gpus_idle, int_gpu_mem_idle)) FROM h) AS hosts,
             CASE WHEN r.locked AND r.no_limits AND r.frames_ok AND r.hosts_ok AND r.sub_ok AND r.job_ok AND r.folder_ok THEN 0
                  ELSE (${REFUSED}::text || CASE WHEN NOT r.locked THEN 'host_locked'
                                                 WHEN NOT r.no_limits THEN 'layer_limits'
                                                 WHEN NOT r.frames_ok THEN 'frame_taken'
                                                 WHEN NOT r.hosts_ok THEN 'host_exhausted'
                                                 WHEN NOT r.sub_ok THEN 'limit_subscription'
                                                 WHEN NOT r.job_ok THEN 'limit_job'
                                                 ELSE 'limit_folder' END)::int
             END AS guard
        FROM r`.execute(db);
    const r = rows[0]!;
    return {
      kind: "booked",
      frameVersions: new Map((r.frames ?? []).map(([id, v]) => [id, Number(v)])),
      hosts: new Map((r.hosts ?? []).map(([id, c, mem, g, gm]) => [id, { idleCoreUnits: Number(c), idleMemoryKb: Number(mem), idleGpus: Number(g), idleGpuMemoryKb: Number(gm) }])),
    };
  } catch (e) {
    const m = e instanceof Error && (e as { code?: string }).code === "22P02" ? REFUSED_RE.exec(e.message) : null;
    if (m) return { kind: "refused", reason: m[1]! };
    throw e;
  }
}
