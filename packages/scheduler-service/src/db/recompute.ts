// Accounting reconciliation for scheduler-managed shows: Cuebot does not lower subscription,
// job/layer/folder resource or point counters when a managed show's frame ends (it only deletes the
// proc), so the leader instance sets them to SUM(proc) periodically. The rows are locked first, so a
// booking either committed before the sums are read (and is counted) or adds itself after.
import { sql, type Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";

export async function recomputeAccounting(db: Kysely<Database>, showIds: readonly string[]): Promise<void> {
  if (showIds.length === 0) return; // never widen to every show
  const shows = [...showIds];
  await db.transaction().execute(async (trx) => {
    await sql`SELECT 1 FROM subscription WHERE pk_show = ANY(${shows}::varchar[]) ORDER BY pk_subscription FOR UPDATE`.execute(trx);
    // Never raise over a cap (the verify_* triggers would abort): such rows keep their value.
    await sql`
      UPDATE subscription sub SET int_cores = t.cores, int_gpus = t.gpus
        FROM (SELECT s.pk_subscription, COALESCE(SUM(p.int_cores_reserved), 0) AS cores, COALESCE(SUM(p.int_gpus_reserved), 0) AS gpus
                FROM subscription s
                LEFT JOIN host h ON h.pk_alloc = s.pk_alloc
                LEFT JOIN proc p ON p.pk_host = h.pk_host AND p.pk_show = s.pk_show AND NOT p.b_local
               WHERE s.pk_show = ANY(${shows}::varchar[])
               GROUP BY s.pk_subscription) t
       WHERE sub.pk_subscription = t.pk_subscription
         AND (sub.int_cores IS DISTINCT FROM t.cores OR sub.int_gpus IS DISTINCT FROM t.gpus)
         AND (t.cores <= sub.int_cores OR t.cores <= sub.int_burst)`.execute(trx);
  });
  await db.transaction().execute(async (trx) => {
    await sql`SELECT 1 FROM job_resource jr JOIN job j ON j.pk_job = jr.pk_job
               WHERE j.pk_show = ANY(${shows}::varchar[]) AND j.str_state <> 'FINISHED' ORDER BY jr.pk_job FOR UPDATE OF jr`.execute(trx);
    await sql`
      UPDATE job_resource jr SET int_cores = t.cores, int_gpus = t.gpus
        FROM (SELECT j.pk_job, COALESCE(SUM(p.int_cores_reserved), 0) AS cores, COALESCE(SUM(p.int_gpus_reserved), 0) AS gpus
                FROM job j LEFT JOIN proc p ON p.pk_job = j.pk_job
               WHERE j.pk_show = ANY(${shows}::varchar[]) AND j.str_state <> 'FINISHED'
               GROUP BY j.pk_job) t
       WHERE jr.pk_job = t.pk_job AND (jr.int_cores IS DISTINCT FROM t.cores OR jr.int_gpus IS DISTINCT FROM t.gpus)
         AND ((t.cores <= jr.int_cores OR t.cores <= jr.int_max_cores) AND (t.gpus <= jr.int_gpus OR t.gpus <= jr.int_max_gpus))`.execute(trx);
    await sql`
      UPDATE layer_resource lr SET int_cores = t.cores, int_gpus = t.gpus
        FROM (SELECT l.pk_layer, COALESCE(SUM(p.int_cores_reserved), 0) AS cores, COALESCE(SUM(p.int_gpus_reserved), 0) AS gpus
                FROM layer l JOIN job j ON j.pk_job = l.pk_job LEFT JOIN proc p ON p.pk_layer = l.pk_layer
               WHERE j.pk_show = ANY(${shows}::varchar[]) AND j.str_state <> 'FINISHED'
               GROUP BY l.pk_layer) t
       WHERE lr.pk_layer = t.pk_layer AND (lr.int_cores IS DISTINCT FROM t.cores OR lr.int_gpus IS DISTINCT FROM t.gpus)`.execute(trx);
  });
  await db.transaction().execute(async (trx) => {
    await sql`SELECT 1 FROM folder_resource fr JOIN folder f ON f.pk_folder = fr.pk_folder
               WHERE f.pk_show = ANY(${shows}::varchar[]) ORDER BY fr.pk_folder FOR UPDATE OF fr`.execute(trx);
    await sql`
      UPDATE folder_resource fr SET int_cores = t.cores, int_gpus = t.gpus
        FROM (SELECT f.pk_folder, COALESCE(SUM(p.int_cores_reserved), 0) AS cores, COALESCE(SUM(p.int_gpus_reserved), 0) AS gpus
                FROM folder f
                LEFT JOIN job j ON j.pk_folder = f.pk_folder AND j.str_state <> 'FINISHED'
                LEFT JOIN proc p ON p.pk_job = j.pk_job
               WHERE f.pk_show = ANY(${shows}::varchar[])
               GROUP BY f.pk_folder) t
       WHERE fr.pk_folder = t.pk_folder AND (fr.int_cores IS DISTINCT FROM t.cores OR fr.int_gpus IS DISTINCT FROM t.gpus)`.execute(trx);
    await sql`
      UPDATE point pt SET int_cores = t.cores, int_gpus = t.gpus
        FROM (SELECT po.pk_point, COALESCE(SUM(p.int_cores_reserved), 0) AS cores, COALESCE(SUM(p.int_gpus_reserved), 0) AS gpus
                FROM point po
                LEFT JOIN job j ON j.pk_show = po.pk_show AND j.pk_dept = po.pk_dept AND j.str_state <> 'FINISHED'
                LEFT JOIN proc p ON p.pk_job = j.pk_job
               WHERE po.pk_show = ANY(${shows}::varchar[])
               GROUP BY po.pk_point) t
       WHERE pt.pk_point = t.pk_point AND (pt.int_cores IS DISTINCT FROM t.cores OR pt.int_gpus IS DISTINCT FROM t.gpus)`.execute(trx);
  });
}

/** Ids of the scheduled shows that are scheduler-managed (the ones Cuebot leaves to us). */
export async function managedShowIds(db: Kysely<Database>, candidates: readonly string[]): Promise<string[]> {
  if (candidates.length === 0) return [];
  const rows = await db.selectFrom("show").select("pk_show").where("pk_show", "in", [...candidates]).where("b_scheduler_managed", "=", true).execute();
  return rows.map((r) => r.pk_show);
}
