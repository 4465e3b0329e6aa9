// Booking one frame on one host: one short transaction holding the host's advisory lock, with every
// write Cuebot makes when it starts a frame (reference §2.8, Cuebot's startFrameAndProc/procCreated):
// frame WAITING -> RUNNING guarded by its int_version (and layer start-after and limits), proc insert,
// guarded host idle update, and the accounting rows (subscription, job/layer/folder resource, point).
// Everything is one statement (its own transaction) of data-modifying CTEs chained so each write happens
// only if the one before it matched; any guard that fails aborts the statement, so nothing is half-written.
import { sql, type Kysely } from "kysely";
import { preparedStatement, type Database } from "@opencue-ts/cuebot-db";

export interface FrameBooking {
  readonly procId: string;
  readonly frameId: string;
  readonly frameVersion: number;
  readonly layerId: string;
  readonly jobId: string;
  readonly showId: string;
  readonly folderId: string;
  readonly deptId: string;
  readonly hostId: string;
  readonly hostName: string;
  readonly allocId: string;
  readonly coreUnits: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  /** proc.int_mem_used at booking (queue.mem_reserved_min, KB). */
  readonly memUsedKb: number;
  /** Also lower host_stat free memory (host_cache.update_stat_on_book). */
  readonly updateStat: boolean;
}

/** Why a booking did not happen; `booked` carries the host's idle values after it. */
export type BookingOutcome =
  | { kind: "booked"; frameVersion: number; host: { idleCoreUnits: number; idleMemoryKb: number; idleGpus: number; idleGpuMemoryKb: number } }
  | { kind: "host_locked" }
  | { kind: "frame_taken" } // version/state/start-after/limit guard, or proc conflict
  | { kind: "host_exhausted" }
  | { kind: "limit"; table: "subscription" | "job" | "folder" };

interface BookRow {
  locked: boolean;
  version: number | null;
  proc: boolean;
  cores_idle: number | null;
  mem_idle: number | null;
  gpus_idle: number | null;
  gpu_mem_idle: number | null;
  sub_ok: boolean;
  job_ok: boolean;
  folder_ok: boolean;
}

// Exit statuses after which a new run is not a retry (Cuebot's list).
export const NOT_A_RETRY = [286, 256, 299, 301, 302, 399, -1];

// A refused booking must leave nothing behind, but the statement's earlier CTEs have already written
// by the time a later guard fails. Instead of BEGIN/ROLLBACK round trips (three per booking, and the
// hot accounting rows stay locked across them), the statement's last column casts the refusal reason
// to an integer: the error aborts the statement, PostgreSQL undoes every write of its implicit
// transaction, and the reason comes back in the error message.
const REFUSED = "cue-scheduler booking refused:";
const REFUSED_RE = /cue-scheduler booking refused:([a-z_]+)/;

function refusal(reason: string): BookingOutcome | null {
  switch (reason) {
    case "host_locked":
    case "frame_taken":
    case "host_exhausted":
      return { kind: reason };
    case "limit_subscription":
      return { kind: "limit", table: "subscription" };
    case "limit_job":
      return { kind: "limit", table: "job" };
    case "limit_folder":
      return { kind: "limit", table: "folder" };
    default:
      return null;
  }
}

export async function bookFrame(db: Kysely<Database>, b: FrameBooking): Promise<BookingOutcome> {
  try {
    const { rows } = await sql<BookRow>`${sql.raw(preparedStatement("cue_scheduler_book_frame"))}
      WITH lk AS (
        SELECT pg_try_advisory_xact_lock(hashtext(${b.hostId})) AS ok
      ), f AS (
        UPDATE frame SET str_state = 'RUNNING', str_host = ${b.hostName}, int_cores = ${b.coreUnits},
               int_mem_reserved = ${b.memoryKb}, int_gpus = ${b.gpus}, int_gpu_mem_reserved = ${b.gpuMemoryKb},
               ts_updated = current_timestamp, ts_started = current_timestamp, ts_stopped = NULL,
               int_version = int_version + 1,
               int_retries = int_retries + CASE WHEN int_exit_status = ANY(${NOT_A_RETRY}::bigint[]) THEN 0 ELSE 1 END
         WHERE pk_frame = ${b.frameId} AND str_state = 'WAITING' AND int_version = ${b.frameVersion}
           AND (SELECT ok FROM lk)
           AND EXISTS (SELECT 1 FROM layer l WHERE l.pk_layer = frame.pk_layer
                        AND (l.ts_start_after IS NULL OR l.ts_start_after <= current_timestamp))
           AND (NOT EXISTS (SELECT 1 FROM layer_limit ll WHERE ll.pk_layer = frame.pk_layer)
                OR EXISTS (
                  SELECT 1 FROM layer_limit ll JOIN limit_record lr ON lr.pk_limit_record = ll.pk_limit_record
                   WHERE ll.pk_layer = frame.pk_layer
                     AND (lr.int_max_value IS NULL OR COALESCE((
                           SELECT SUM(ls.int_running_count) FROM layer_limit ll2
                             JOIN layer_stat ls ON ls.pk_layer = ll2.pk_layer
                            WHERE ll2.pk_limit_record = lr.pk_limit_record), 0) < lr.int_max_value)))
        RETURNING int_version
      ), p AS (
        INSERT INTO proc (pk_proc, pk_host, pk_show, pk_layer, pk_job, pk_frame, int_cores_reserved, int_mem_reserved,
                          int_mem_pre_reserved, int_mem_used, int_gpus_reserved, int_gpu_mem_reserved,
                          int_gpu_mem_pre_reserved, int_gpu_mem_used, b_local)
        SELECT ${b.procId}::varchar, ${b.hostId}::varchar, ${b.showId}::varchar, ${b.layerId}::varchar, ${b.jobId}::varchar,
               ${b.frameId}::varchar, ${b.coreUnits}::bigint, ${b.memoryKb}::bigint, ${b.memoryKb}::bigint, ${b.memUsedKb}::bigint,
               ${b.gpus}::integer, ${b.gpuMemoryKb}::bigint, ${b.gpuMemoryKb}::bigint, 0, FALSE
          FROM f
        ON CONFLICT (pk_frame) DO NOTHING
        RETURNING pk_proc
      ), h AS (
        UPDATE host SET int_cores_idle = int_cores_idle - ${b.coreUnits}, int_mem_idle = int_mem_idle - ${b.memoryKb},
               int_gpus_idle = int_gpus_idle - ${b.gpus}, int_gpu_mem_idle = int_gpu_mem_idle - ${b.gpuMemoryKb}
         WHERE pk_host = ${b.hostId} AND int_cores_idle >= ${b.coreUnits} AND int_mem_idle >= ${b.memoryKb}
           AND int_gpus_idle >= ${b.gpus} AND int_gpu_mem_idle >= ${b.gpuMemoryKb}
           AND str_lock_state = 'OPEN' AND EXISTS (SELECT 1 FROM host_stat hs WHERE hs.pk_host = host.pk_host AND hs.str_state = 'UP')
           AND EXISTS (SELECT 1 FROM p)
        RETURNING int_cores_idle, int_mem_idle, int_gpus_idle, int_gpu_mem_idle
      ), hs AS (
        UPDATE host_stat SET int_mem_free = int_mem_free - ${b.memoryKb}, int_gpu_mem_free = int_gpu_mem_free - ${b.gpuMemoryKb}
         WHERE pk_host = ${b.hostId} AND ${b.updateStat} AND EXISTS (SELECT 1 FROM h)
        RETURNING 1
      ), s AS (
        UPDATE subscription SET int_cores = int_cores + ${b.coreUnits}, int_gpus = int_gpus + ${b.gpus}
         WHERE pk_show = ${b.showId} AND pk_alloc = ${b.allocId} AND int_cores + ${b.coreUnits} <= int_burst
           AND EXISTS (SELECT 1 FROM h)
        RETURNING 1
      ), jr AS (
        UPDATE job_resource SET int_cores = int_cores + ${b.coreUnits}, int_gpus = int_gpus + ${b.gpus}
         WHERE pk_job = ${b.jobId} AND int_cores + ${b.coreUnits} <= int_max_cores
           AND (${b.gpus} = 0 OR int_gpus + ${b.gpus} <= int_max_gpus)
           AND EXISTS (SELECT 1 FROM h)
        RETURNING 1
      ), lr AS (
        UPDATE layer_resource SET int_cores = int_cores + ${b.coreUnits}, int_gpus = int_gpus + ${b.gpus}
         WHERE pk_layer = ${b.layerId} AND EXISTS (SELECT 1 FROM h)
        RETURNING 1
      ), fr AS (
        UPDATE folder_resource SET int_cores = int_cores + ${b.coreUnits}, int_gpus = int_gpus + ${b.gpus}
         WHERE pk_folder = ${b.folderId}
           AND (int_max_cores <= 0 OR int_cores + ${b.coreUnits} <= int_max_cores)
           AND (${b.gpus} = 0 OR int_max_gpus <= 0 OR int_gpus + ${b.gpus} <= int_max_gpus)
           AND EXISTS (SELECT 1 FROM h)
        RETURNING 1
      ), pt AS (
        UPDATE point SET int_cores = int_cores + ${b.coreUnits}, int_gpus = int_gpus + ${b.gpus}
         WHERE pk_show = ${b.showId} AND pk_dept = ${b.deptId} AND EXISTS (SELECT 1 FROM h)
        RETURNING 1
      ), r AS MATERIALIZED (
        -- Materialized, so its columns run in this order: the rows shared with other bookings are
        -- written in the order batch bookings lock them (see batch-booking.ts), never deadlocking.
        SELECT (SELECT ok FROM lk) AS locked, (SELECT int_version FROM f) AS version, EXISTS (SELECT 1 FROM p) AS proc,
               (SELECT int_cores_idle FROM h) AS cores_idle, (SELECT int_mem_idle FROM h) AS mem_idle,
               (SELECT int_gpus_idle FROM h) AS gpus_idle, (SELECT int_gpu_mem_idle FROM h) AS gpu_mem_idle,
               EXISTS (SELECT 1 FROM s) AS sub_ok, EXISTS (SELECT 1 FROM jr) AS job_ok, EXISTS (SELECT 1 FROM fr) AS folder_ok,
               (SELECT count(*) FROM lr) + (SELECT count(*) FROM pt) + (SELECT count(*) FROM hs) AS _touch
      )
      SELECT r.*, CASE
               WHEN r.locked AND r.version IS NOT NULL AND r.proc AND r.cores_idle IS NOT NULL AND r.sub_ok AND r.job_ok AND r.folder_ok THEN 0
               ELSE (${REFUSED}::text || CASE WHEN NOT r.locked THEN 'host_locked'
                                              WHEN r.version IS NULL OR NOT r.proc THEN 'frame_taken'
                                              WHEN r.cores_idle IS NULL THEN 'host_exhausted'
                                              WHEN NOT r.sub_ok THEN 'limit_subscription'
                                              WHEN NOT r.job_ok THEN 'limit_job'
                                              ELSE 'limit_folder' END)::int
             END AS guard
        FROM r`.execute(db);
    const r = rows[0]!;
    // The guard column raises for every refusal, so reaching here means every guard passed.
    return { kind: "booked", frameVersion: r.version!, host: { idleCoreUnits: r.cores_idle!, idleMemoryKb: r.mem_idle!, idleGpus: r.gpus_idle!, idleGpuMemoryKb: r.gpu_mem_idle! } };
  } catch (e) {
    const m = e instanceof Error && (e as { code?: string }).code === "22P02" ? REFUSED_RE.exec(e.message) : null;
    const refused = m ? refusal(m[1]!) : null;
    if (refused) return refused;
    throw e;
  }
}

/**
 * Undoes a committed booking whose launch failed (reference §2.10), in one transaction: proc deleted,
 * host idle and every accounting row restored, frame back to WAITING (exit 299, version bumped) only
 * if it is still the RUNNING frame we booked and no proc references it. Returns what was restored.
 */
export async function compensateBooking(db: Kysely<Database>, b: FrameBooking, bookedVersion: number): Promise<{ procDeleted: boolean; frameCleared: boolean }> {
  return db.transaction().execute(async (trx) => {
    const del = await sql<{ pk_proc: string }>`DELETE FROM proc WHERE pk_proc = ${b.procId} RETURNING pk_proc`.execute(trx);
    const procDeleted = del.rows.length > 0;
    if (procDeleted) {
      // Restore only what this booking took, never past the host's totals.
      await sql`
        UPDATE host SET int_cores_idle = int_cores_idle + ${b.coreUnits}, int_mem_idle = int_mem_idle + ${b.memoryKb},
               int_gpus_idle = int_gpus_idle + ${b.gpus}, int_gpu_mem_idle = int_gpu_mem_idle + ${b.gpuMemoryKb}
         WHERE pk_host = ${b.hostId} AND int_cores_idle + ${b.coreUnits} <= int_cores AND int_mem_idle + ${b.memoryKb} <= int_mem
           AND int_gpus_idle + ${b.gpus} <= int_gpus AND int_gpu_mem_idle + ${b.gpuMemoryKb} <= int_gpu_mem`.execute(trx);
      if (b.updateStat) {
        await sql`UPDATE host_stat SET int_mem_free = LEAST(int_mem_total, int_mem_free + ${b.memoryKb}),
                         int_gpu_mem_free = LEAST(int_gpu_mem_total, int_gpu_mem_free + ${b.gpuMemoryKb})
                   WHERE pk_host = ${b.hostId}`.execute(trx);
      }
      await sql`UPDATE subscription SET int_cores = GREATEST(0, int_cores - ${b.coreUnits}), int_gpus = GREATEST(0, int_gpus - ${b.gpus})
                 WHERE pk_show = ${b.showId} AND pk_alloc = ${b.allocId}`.execute(trx);
      await sql`UPDATE job_resource SET int_cores = GREATEST(0, int_cores - ${b.coreUnits}), int_gpus = GREATEST(0, int_gpus - ${b.gpus})
                 WHERE pk_job = ${b.jobId}`.execute(trx);
      await sql`UPDATE layer_resource SET int_cores = GREATEST(0, int_cores - ${b.coreUnits}), int_gpus = GREATEST(0, int_gpus - ${b.gpus})
                 WHERE pk_layer = ${b.layerId}`.execute(trx);
      await sql`UPDATE folder_resource SET int_cores = GREATEST(0, int_cores - ${b.coreUnits}), int_gpus = GREATEST(0, int_gpus - ${b.gpus})
                 WHERE pk_folder = ${b.folderId}`.execute(trx);
      await sql`UPDATE point SET int_cores = GREATEST(0, int_cores - ${b.coreUnits}), int_gpus = GREATEST(0, int_gpus - ${b.gpus})
                 WHERE pk_show = ${b.showId} AND pk_dept = ${b.deptId}`.execute(trx);
    }
    const cleared = await sql<{ pk_frame: string }>`
      UPDATE frame SET str_state = 'WAITING', int_exit_status = 299, ts_stopped = current_timestamp,
             ts_updated = current_timestamp, int_version = int_version + 1
       WHERE pk_frame = ${b.frameId} AND str_state = 'RUNNING' AND int_version = ${bookedVersion}
         AND NOT EXISTS (SELECT 1 FROM proc WHERE pk_frame = ${b.frameId})
      RETURNING pk_frame`.execute(trx);
    return { procDeleted, frameCleared: cleared.rows.length > 0 };
  });
}
