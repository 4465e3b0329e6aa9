// Booking many frames (on one or more hosts) in one transaction of two statements. A single booking
// costs a round trip, a statement plan and a turn on the hot accounting rows (one subscription, folder
// and point row shared by every frame of a show), so here the writes of dozens of frames are made
// together and the accounting rows once per group with the summed amounts.
//
// Each frame is checked on its own, under the same guards as bookFrame, and the statement books every
// frame that passes and reports why each other one did not: its host's advisory lock is held by
// someone else (host_locked); it is no longer WAITING at its version, its start-after has not passed,
// or another transaction holds its row (frame_taken); its host has no room left for it after the
// batch's earlier frames on that host, or is no longer OPEN and UP (host_exhausted); the subscription
// burst, job max or folder max would be passed (limit_*). Checks are running sums in batch order, so
// a batch books the longest prefix that fits, never more. Layers with limit records are refused
// (layer_limits): their limit counts running frames, which a batch cannot check row by row; book them
// with bookFrame.
//
// Locks: host room is read from the host rows locked FOR UPDATE (newest values; the advisory lock
// keeps other schedulers off them). The rows every booking of a show shares (subscription, job,
// folder and layer resource, point) are not locked up front, which would serialise all concurrent
// batches for their whole length: they are checked against the first statement's snapshot and written
// by a second statement in the same transaction, whose updates re-check the cap on the newest row.
// (In one statement they would be held through the costly part: Cuebot's row triggers on frame run
// when their statement ends, after every CTE.) If a write does not match its check (another booking
// took the room in between, a proc already exists for a frame, a row vanished) the statement raises
// and the transaction writes nothing ("aborted", with the reason); the caller retries or books those
// frames one by one.
import { sql, type Kysely } from "kysely";
import { preparedStatement, type Database } from "@opencue-ts/cuebot-db";
import { NOT_A_RETRY, type FrameBooking } from "./booking.js";

export type BatchRefusal =
  | "host_locked" | "frame_taken" | "host_exhausted" | "limit_subscription" | "limit_job" | "limit_folder" | "layer_limits"
  /** Set by the booking queue: the statement that carried this frame aborted or failed, nothing was written for it. */
  | "statement_aborted";

export type BatchOutcome =
  | {
      readonly kind: "ran";
      /** Frame id -> int_version after the booking (for compensation), for every booked frame. */
      readonly booked: ReadonlyMap<string, number>;
      /** Frame id -> why it was not booked, for every other frame of the batch. */
      readonly refused: ReadonlyMap<string, BatchRefusal>;
      /** Host id -> idle values after the booking, for every host that got a frame. */
      readonly hosts: ReadonlyMap<string, { idleCoreUnits: number; idleMemoryKb: number; idleGpus: number; idleGpuMemoryKb: number }>;
    }
  /** A write did not match its check; nothing was written. */
  | { readonly kind: "aborted"; readonly reason: string };

const ABORTED = "cue-scheduler batch aborted:";
const ABORTED_RE = /cue-scheduler batch aborted:([a-z_]+)/;

interface BatchRow {
  frames: [string, BatchRefusal | null, number | null][] | null;
  hosts: [string, number, number, number, number][] | null;
}

// One constant text (every value is a parameter), so PostgreSQL parses it once per connection.
const statement = preparedStatement("cue_scheduler_book_batch");

export async function bookFrames(db: Kysely<Database>, list: readonly FrameBooking[]): Promise<BatchOutcome> {
  if (list.length === 0) return { kind: "ran", booked: new Map(), refused: new Map(), hosts: new Map() };
  const col = <T>(f: (b: FrameBooking) => T): T[] => list.map(f);
  const updateStat = list[0]!.updateStat;
  try {
    return await db.transaction().execute(async (trx) => {
      const { rows } = await sql<BatchRow>`${sql.raw(statement)}
        WITH d AS (
          SELECT * FROM unnest(${col((b) => b.procId)}::varchar[], ${col((b) => b.frameId)}::varchar[], ${col((b) => b.frameVersion)}::int[],
                               ${col((b) => b.layerId)}::varchar[], ${col((b) => b.jobId)}::varchar[], ${col((b) => b.showId)}::varchar[],
                               ${col((b) => b.folderId)}::varchar[], ${col((b) => b.deptId)}::varchar[], ${col((b) => b.hostId)}::varchar[],
                               ${col((b) => b.hostName)}::varchar[], ${col((b) => b.allocId)}::varchar[], ${col((b) => b.coreUnits)}::bigint[],
                               ${col((b) => b.memoryKb)}::bigint[], ${col((b) => b.gpus)}::int[], ${col((b) => b.gpuMemoryKb)}::bigint[],
                               ${col((b) => b.memUsedKb)}::bigint[]) WITH ORDINALITY
            AS d(proc_id, frame_id, version, layer_id, job_id, show_id, folder_id, dept_id, host_id, host_name, alloc_id, cores, mem, gpus, gpu_mem, mem_used, ord)
        ), lk AS (
          -- Try-locks never wait, so their order does not matter.
          SELECT host_id, pg_try_advisory_xact_lock(hashtext(host_id)) AS ok FROM (SELECT DISTINCT host_id FROM d) x
        ), lim AS (
          SELECT DISTINCT ll.pk_layer FROM layer_limit ll WHERE ll.pk_layer IN (SELECT layer_id FROM d)
        ), fc AS (
          -- Frames still bookable on a host whose lock we hold (the others are left unlocked for whoever
          -- holds their host); SKIP LOCKED: a frame another transaction is writing is taken. A semi-join:
          -- as a plain join with lk the planner chose a nested loop over every locked host per frame.
          SELECT fr.pk_frame FROM frame fr
            JOIN d ON d.frame_id = fr.pk_frame AND fr.int_version = d.version
           WHERE d.host_id IN (SELECT host_id FROM lk WHERE ok)
             AND fr.str_state = 'WAITING'
             AND NOT EXISTS (SELECT 1 FROM lim WHERE lim.pk_layer = fr.pk_layer)
             AND EXISTS (SELECT 1 FROM layer l WHERE l.pk_layer = fr.pk_layer
                          AND (l.ts_start_after IS NULL OR l.ts_start_after <= current_timestamp))
          FOR UPDATE OF fr SKIP LOCKED
        ), sl AS (
          -- Counter rows as of the statement's snapshot: the checks below use them, and the guarded
          -- updates at the end re-check the newest values (see the header).
          SELECT pk_show, pk_alloc, int_cores, int_burst FROM subscription WHERE (pk_show, pk_alloc) IN (SELECT show_id, alloc_id FROM d)
        ), jl AS (
          SELECT pk_job, int_cores, int_max_cores, int_gpus, int_max_gpus FROM job_resource WHERE pk_job IN (SELECT job_id FROM d)
        ), fl AS (
          SELECT pk_folder, int_cores, int_max_cores, int_gpus, int_max_gpus FROM folder_resource WHERE pk_folder IN (SELECT folder_id FROM d)
        ), hl AS (
          -- A host no longer OPEN and UP has no room (the caller's host list may be older than that).
          SELECT pk_host, int_cores_idle, int_mem_idle, int_gpus_idle, int_gpu_mem_idle FROM host
           WHERE pk_host IN (SELECT host_id FROM lk WHERE ok) AND str_lock_state = 'OPEN'
             AND EXISTS (SELECT 1 FROM host_stat hs WHERE hs.pk_host = host.pk_host AND hs.str_state = 'UP')
           ORDER BY pk_host FOR NO KEY UPDATE OF host
        ), x1 AS (
          -- Running sums per host over the frames that passed the lock and frame checks.
          SELECT d.*, lk.ok AS locked, fc.pk_frame IS NOT NULL AS frame_ok, e.c, e.m, e.g, e.gm,
                 sum(e.c) OVER wh AS h_cores, sum(e.m) OVER wh AS h_mem, sum(e.g) OVER wh AS h_gpus, sum(e.gm) OVER wh AS h_gpu_mem
            FROM d JOIN lk ON lk.host_id = d.host_id LEFT JOIN fc ON fc.pk_frame = d.frame_id
            CROSS JOIN LATERAL (SELECT CASE WHEN fc.pk_frame IS NULL THEN 0 ELSE d.cores END AS c,
                                       CASE WHEN fc.pk_frame IS NULL THEN 0 ELSE d.mem END AS m,
                                       CASE WHEN fc.pk_frame IS NULL THEN 0 ELSE d.gpus END AS g,
                                       CASE WHEN fc.pk_frame IS NULL THEN 0 ELSE d.gpu_mem END AS gm) e
          WINDOW wh AS (PARTITION BY d.host_id ORDER BY d.ord)
        ), x2 AS (
          -- Then running sums per subscription, job and folder over the frames that fit their hosts.
          SELECT x.*, y.c2, y.g2,
                 sum(y.c2) OVER ws AS s_cores, sum(y.c2) OVER wj AS j_cores, sum(y.g2) OVER wj AS j_gpus,
                 sum(y.c2) OVER wf AS f_cores, sum(y.g2) OVER wf AS f_gpus
            FROM (SELECT x1.*, x1.frame_ok AND hl.pk_host IS NOT NULL AND x1.h_cores <= hl.int_cores_idle AND x1.h_mem <= hl.int_mem_idle
                               AND x1.h_gpus <= hl.int_gpus_idle AND x1.h_gpu_mem <= hl.int_gpu_mem_idle AS host_ok
                    FROM x1 LEFT JOIN hl ON hl.pk_host = x1.host_id) x
            CROSS JOIN LATERAL (SELECT CASE WHEN x.host_ok THEN x.cores ELSE 0 END AS c2, CASE WHEN x.host_ok THEN x.gpus ELSE 0 END AS g2) y
          WINDOW ws AS (PARTITION BY x.show_id, x.alloc_id ORDER BY x.ord), wj AS (PARTITION BY x.job_id ORDER BY x.ord),
                 wf AS (PARTITION BY x.folder_id ORDER BY x.ord)
        ), c AS (
          SELECT x2.*,
                 sl.pk_show IS NOT NULL AND sl.int_cores + x2.s_cores <= sl.int_burst AS sub_ok,
                 jl.pk_job IS NOT NULL AND jl.int_cores + x2.j_cores <= jl.int_max_cores
                   AND (x2.gpus = 0 OR jl.int_gpus + x2.j_gpus <= jl.int_max_gpus) AS job_ok,
                 fl.pk_folder IS NOT NULL AND (fl.int_max_cores <= 0 OR fl.int_cores + x2.f_cores <= fl.int_max_cores)
                   AND (x2.gpus = 0 OR fl.int_max_gpus <= 0 OR fl.int_gpus + x2.f_gpus <= fl.int_max_gpus) AS folder_ok,
                 EXISTS (SELECT 1 FROM lim WHERE lim.pk_layer = x2.layer_id) AS limited
            FROM x2
            LEFT JOIN sl ON sl.pk_show = x2.show_id AND sl.pk_alloc = x2.alloc_id
            LEFT JOIN jl ON jl.pk_job = x2.job_id
            LEFT JOIN fl ON fl.pk_folder = x2.folder_id
        ), sel AS (
          SELECT * FROM c WHERE locked AND frame_ok AND host_ok AND sub_ok AND job_ok AND folder_ok
        ), w1 AS (
          -- Before the writes, the shared rows they touch are locked in one global order, table by table
          -- and by key within a table: writes in join order would let two batches sharing jobs deadlock.
          -- The table order is the one bookFrame writes in (the frame update's trigger takes layer_stat,
          -- then job_stat; then subscription, job, folder and layer resources, point), so single and
          -- batch bookings cannot deadlock each other either.
          SELECT count(*) AS n FROM (SELECT 1 FROM layer_stat WHERE pk_layer IN (SELECT layer_id FROM sel) ORDER BY pk_layer FOR NO KEY UPDATE) x
        ), w2 AS (
          SELECT count(*) AS n FROM (SELECT 1 FROM job_stat WHERE pk_job IN (SELECT job_id FROM sel) ORDER BY pk_job FOR NO KEY UPDATE) x
        ), f AS (
          UPDATE frame SET str_state = 'RUNNING', str_host = sel.host_name, int_cores = sel.cores, int_mem_reserved = sel.mem,
                 int_gpus = sel.gpus, int_gpu_mem_reserved = sel.gpu_mem,
                 ts_updated = current_timestamp, ts_started = current_timestamp, ts_stopped = NULL,
                 int_version = frame.int_version + 1,
                 int_retries = frame.int_retries + CASE WHEN frame.int_exit_status = ANY(${NOT_A_RETRY}::bigint[]) THEN 0 ELSE 1 END
            FROM sel
           WHERE frame.pk_frame = sel.frame_id AND frame.str_state = 'WAITING' AND frame.int_version = sel.version
          RETURNING frame.pk_frame, frame.int_version
        ), p AS (
          INSERT INTO proc (pk_proc, pk_host, pk_show, pk_layer, pk_job, pk_frame, int_cores_reserved, int_mem_reserved,
                            int_mem_pre_reserved, int_mem_used, int_gpus_reserved, int_gpu_mem_reserved,
                            int_gpu_mem_pre_reserved, int_gpu_mem_used, b_local)
          SELECT proc_id, host_id, show_id, layer_id, job_id, frame_id, cores, mem, mem, mem_used, gpus, gpu_mem, gpu_mem, 0, FALSE
            FROM sel
          ON CONFLICT (pk_frame) DO NOTHING
          RETURNING pk_proc
        ), hsum AS (
          SELECT host_id, sum(cores) AS cores, sum(mem) AS mem, sum(gpus) AS gpus, sum(gpu_mem) AS gpu_mem FROM sel GROUP BY host_id
        ), h AS (
          UPDATE host SET int_cores_idle = int_cores_idle - hsum.cores, int_mem_idle = int_mem_idle - hsum.mem,
                 int_gpus_idle = int_gpus_idle - hsum.gpus, int_gpu_mem_idle = int_gpu_mem_idle - hsum.gpu_mem
            FROM hsum
           WHERE host.pk_host = hsum.host_id
          RETURNING host.pk_host, host.int_cores_idle, host.int_mem_idle, host.int_gpus_idle, host.int_gpu_mem_idle
        ), hs AS (
          UPDATE host_stat SET int_mem_free = int_mem_free - hsum.mem, int_gpu_mem_free = int_gpu_mem_free - hsum.gpu_mem
            FROM hsum
           WHERE host_stat.pk_host = hsum.host_id AND ${updateStat}::boolean
          RETURNING 1
        ), r AS MATERIALIZED (
          -- Materialized (not folded into the final SELECT), its columns are evaluated left to right,
          -- which orders the writes: per-host rows and procs first (no other booking wants them: the
          -- advisory locks); then the layers' and jobs' stat rows are locked and the frames updated (the
          -- costly part: its trigger writes those stat rows, once per frame, when the statement ends).
          SELECT (SELECT count(*) FROM sel) AS n,
                 (SELECT count(*) FROM h) = (SELECT count(*) FROM hsum) AS hosts_ok,
                 (SELECT count(*) FROM hs) AS _hs,
                 (SELECT count(*) FROM p) AS procs,
                 (SELECT n FROM w1) + (SELECT n FROM w2) AS _locked_job_rows,
                 (SELECT count(*) FROM f) AS frames
        )
        SELECT (SELECT json_agg(json_build_array(c.frame_id,
                  CASE WHEN f.pk_frame IS NOT NULL THEN NULL
                       WHEN c.limited THEN 'layer_limits'
                       WHEN NOT c.locked THEN 'host_locked'
                       WHEN NOT c.frame_ok THEN 'frame_taken'
                       WHEN NOT c.host_ok THEN 'host_exhausted'
                       WHEN NOT c.sub_ok THEN 'limit_subscription'
                       WHEN NOT c.job_ok THEN 'limit_job'
                       ELSE 'limit_folder' END, f.int_version) ORDER BY c.ord)
                  FROM c LEFT JOIN f ON f.pk_frame = c.frame_id) AS frames,
               (SELECT json_agg(json_build_array(pk_host, int_cores_idle, int_mem_idle, int_gpus_idle, int_gpu_mem_idle)) FROM h) AS hosts,
               CASE WHEN r.frames = r.n AND r.procs = r.n AND r.hosts_ok THEN 0
                    ELSE (${ABORTED}::text || CASE WHEN r.frames <> r.n THEN 'frame_changed'
                                                   WHEN r.procs <> r.n THEN 'proc_exists'
                                                   ELSE 'host_row_missing' END)::int
               END AS guard
          FROM r`.execute(trx);
      const r = rows[0]!;
      const booked = new Map<string, number>();
      const refused = new Map<string, BatchRefusal>();
      for (const [id, why, version] of r.frames ?? []) {
        if (why === null) booked.set(id, Number(version));
        else refused.set(id, why);
      }
      if (booked.size > 0) await writeSharedRows(trx, list.filter((b) => booked.has(b.frameId)));
      return {
        kind: "ran", booked, refused,
        hosts: new Map((r.hosts ?? []).map(([id, c, mem, g, gm]) => [id, { idleCoreUnits: Number(c), idleMemoryKb: Number(mem), idleGpus: Number(g), idleGpuMemoryKb: Number(gm) }])),
      } satisfies BatchOutcome;
    });
  } catch (e) {
    const m = e instanceof Error && (e as { code?: string }).code === "22P02" ? ABORTED_RE.exec(e.message) : null;
    if (m) return { kind: "aborted", reason: m[1]! };
    throw e;
  }
}

/** Sums of cores and gpus per key, in first-seen order. */
function sums(list: readonly FrameBooking[], key: (b: FrameBooking) => string[]): { keys: string[][]; cores: number[]; gpus: number[] } {
  const at = new Map<string, number>();
  const out = { keys: [] as string[][], cores: [] as number[], gpus: [] as number[] };
  for (const b of list) {
    const k = key(b);
    const id = k.join("\u0000");
    let i = at.get(id);
    if (i === undefined) {
      at.set(id, (i = out.keys.length));
      out.keys.push(k);
      out.cores.push(0);
      out.gpus.push(0);
    }
    out.cores[i]! += b.coreUnits;
    out.gpus[i]! += b.gpus;
  }
  return out;
}

const sharedStatement = preparedStatement("cue_scheduler_book_batch_shared");

/**
 * The second statement of a batch's transaction: the rows every booking of a show shares
 * (subscription, job, folder and layer resources, point), locked in the global order and written with
 * the booked frames' sums, each update re-checking its cap on the newest row. A separate statement so
 * that these rows are locked only after the first statement's triggers have run (row triggers fire
 * when their statement ends, so in one statement they would be held through the costly part) and for
 * just this statement and the commit: concurrent batches of one show wait for each other only here.
 */
async function writeSharedRows(trx: Kysely<Database>, booked: readonly FrameBooking[]): Promise<void> {
  const sub = sums(booked, (b) => [b.showId, b.allocId]);
  const job = sums(booked, (b) => [b.jobId]);
  const layer = sums(booked, (b) => [b.layerId]);
  const folder = sums(booked, (b) => [b.folderId]);
  const point = sums(booked, (b) => [b.showId, b.deptId]);
  const k = (g: { keys: string[][] }, i: number): string[] => g.keys.map((x) => x[i]!);
  await sql`${sql.raw(sharedStatement)}
    WITH sg AS (
      SELECT * FROM unnest(${k(sub, 0)}::varchar[], ${k(sub, 1)}::varchar[], ${sub.cores}::bigint[], ${sub.gpus}::bigint[]) AS x(show_id, alloc_id, cores, gpus)
    ), jg AS (
      SELECT * FROM unnest(${k(job, 0)}::varchar[], ${job.cores}::bigint[], ${job.gpus}::bigint[]) AS x(job_id, cores, gpus)
    ), lg AS (
      SELECT * FROM unnest(${k(layer, 0)}::varchar[], ${layer.cores}::bigint[], ${layer.gpus}::bigint[]) AS x(layer_id, cores, gpus)
    ), fg AS (
      SELECT * FROM unnest(${k(folder, 0)}::varchar[], ${folder.cores}::bigint[], ${folder.gpus}::bigint[]) AS x(folder_id, cores, gpus)
    ), pg AS (
      SELECT * FROM unnest(${k(point, 0)}::varchar[], ${k(point, 1)}::varchar[], ${point.cores}::bigint[], ${point.gpus}::bigint[]) AS x(show_id, dept_id, cores, gpus)
    ), w3 AS (
      -- The global lock order (see w1 in the first statement): subscription, job, folder and layer
      -- resources, point; by key within a table.
      SELECT count(*) AS n FROM (SELECT 1 FROM subscription WHERE (pk_show, pk_alloc) IN (SELECT show_id, alloc_id FROM sg) ORDER BY pk_subscription FOR NO KEY UPDATE) x
    ), w4 AS (
      SELECT count(*) AS n FROM (SELECT 1 FROM job_resource WHERE pk_job IN (SELECT job_id FROM jg) ORDER BY pk_job FOR NO KEY UPDATE) x
    ), w5 AS (
      SELECT count(*) AS n FROM (SELECT 1 FROM folder_resource WHERE pk_folder IN (SELECT folder_id FROM fg) ORDER BY pk_folder FOR NO KEY UPDATE) x
    ), w6 AS (
      SELECT count(*) AS n FROM (SELECT 1 FROM layer_resource WHERE pk_layer IN (SELECT layer_id FROM lg) ORDER BY pk_layer FOR NO KEY UPDATE) x
    ), w7 AS (
      SELECT count(*) AS n FROM (SELECT 1 FROM point WHERE (pk_show, pk_dept) IN (SELECT show_id, dept_id FROM pg) ORDER BY pk_point FOR NO KEY UPDATE) x
    ), s AS (
      UPDATE subscription SET int_cores = int_cores + sg.cores, int_gpus = int_gpus + sg.gpus
        FROM sg WHERE subscription.pk_show = sg.show_id AND subscription.pk_alloc = sg.alloc_id
         AND subscription.int_cores + sg.cores <= subscription.int_burst
      RETURNING 1
    ), jr AS (
      UPDATE job_resource SET int_cores = int_cores + jg.cores, int_gpus = int_gpus + jg.gpus
        FROM jg WHERE job_resource.pk_job = jg.job_id AND job_resource.int_cores + jg.cores <= job_resource.int_max_cores
         AND (jg.gpus = 0 OR job_resource.int_gpus + jg.gpus <= job_resource.int_max_gpus)
      RETURNING 1
    ), lr AS (
      UPDATE layer_resource SET int_cores = int_cores + lg.cores, int_gpus = int_gpus + lg.gpus
        FROM lg WHERE layer_resource.pk_layer = lg.layer_id
      RETURNING 1
    ), fr AS (
      UPDATE folder_resource SET int_cores = int_cores + fg.cores, int_gpus = int_gpus + fg.gpus
        FROM fg WHERE folder_resource.pk_folder = fg.folder_id
         AND (folder_resource.int_max_cores <= 0 OR folder_resource.int_cores + fg.cores <= folder_resource.int_max_cores)
         AND (fg.gpus = 0 OR folder_resource.int_max_gpus <= 0 OR folder_resource.int_gpus + fg.gpus <= folder_resource.int_max_gpus)
      RETURNING 1
    ), pt AS (
      UPDATE point SET int_cores = int_cores + pg.cores, int_gpus = int_gpus + pg.gpus
        FROM pg WHERE point.pk_show = pg.show_id AND point.pk_dept = pg.dept_id
      RETURNING 1
    ), r AS MATERIALIZED (
      -- Evaluated left to right: every row locked (in order) before any is written.
      SELECT (SELECT n FROM w3) + (SELECT n FROM w4) + (SELECT n FROM w5) + (SELECT n FROM w6) + (SELECT n FROM w7) AS _locked,
             (SELECT count(*) FROM lr) AS _lr,
             (SELECT count(*) FROM jr) = (SELECT count(*) FROM jg) AS job_ok,
             (SELECT count(*) FROM fr) = (SELECT count(*) FROM fg) AS folder_ok,
             (SELECT count(*) FROM s) = (SELECT count(*) FROM sg) AS sub_ok,
             (SELECT count(*) FROM pt) AS _pt
    )
    SELECT CASE WHEN r.job_ok AND r.folder_ok AND r.sub_ok THEN 0
                ELSE (${ABORTED}::text || CASE WHEN NOT r.sub_ok THEN 'limit_subscription'
                                               WHEN NOT r.job_ok THEN 'limit_job'
                                               ELSE 'limit_folder' END)::int
           END AS guard
      FROM r`.execute(trx);
}
