// `dummy-cuebot jobs`: every job (or the pending ones) with its frame counts from job_stat and
// layer_stat, as CueGUI shows them; also what the demo's progress bars read.
import type { CuebotDb } from "./db-types.js";

export interface FrameCounts {
  readonly total: number;
  readonly succeeded: number;
  readonly running: number;
  readonly waiting: number;
  readonly depend: number;
  readonly dead: number;
  readonly eaten: number;
}

export interface LayerProgress extends FrameCounts {
  readonly id: string;
  readonly name: string;
}

export interface JobProgress extends FrameCounts {
  readonly id: string;
  readonly name: string;
  readonly show: string;
  readonly state: string;
  readonly startedAt: Date;
  readonly stoppedAt: Date | null;
  readonly layers: readonly LayerProgress[];
}

/** Jobs with their layers, oldest first; `jobs` filters by name or id, `pendingOnly` drops FINISHED ones. */
export async function readJobProgress(db: CuebotDb, filter: { readonly jobs?: readonly string[]; readonly pendingOnly?: boolean } = {}): Promise<JobProgress[]> {
  let query = db
    .selectFrom("job")
    .innerJoin("job_stat", "job_stat.pk_job", "job.pk_job")
    .select([
      "job.pk_job", "job.str_name", "job.str_show", "job.str_state", "job.ts_started", "job.ts_stopped", "job.int_frame_count",
      "job_stat.int_succeeded_count", "job_stat.int_running_count", "job_stat.int_waiting_count", "job_stat.int_depend_count", "job_stat.int_dead_count", "job_stat.int_eaten_count",
    ])
    .orderBy("job.ts_started")
    .orderBy("job.str_name");
  if (filter.pendingOnly) query = query.where("job.str_state", "=", "PENDING");
  if (filter.jobs && filter.jobs.length > 0) {
    const names = [...filter.jobs];
    query = query.where((eb) => eb.or([eb("job.str_name", "in", names), eb("job.pk_job", "in", names)]));
  }
  const jobs = await query.execute();
  if (jobs.length === 0) return [];
  const layers = await db
    .selectFrom("layer")
    .innerJoin("layer_stat", "layer_stat.pk_layer", "layer.pk_layer")
    .select([
      "layer.pk_layer", "layer.pk_job", "layer.str_name", "layer_stat.int_total_count", "layer_stat.int_succeeded_count", "layer_stat.int_running_count",
      "layer_stat.int_waiting_count", "layer_stat.int_depend_count", "layer_stat.int_dead_count", "layer_stat.int_eaten_count",
    ])
    .where("layer.pk_job", "in", jobs.map((j) => j.pk_job))
    .orderBy("layer.int_dispatch_order")
    .execute();
  return jobs.map((j) => ({
    id: j.pk_job, name: j.str_name, show: j.str_show, state: j.str_state, startedAt: j.ts_started as unknown as Date, stoppedAt: j.ts_stopped,
    total: j.int_frame_count, succeeded: j.int_succeeded_count, running: j.int_running_count, waiting: j.int_waiting_count,
    depend: j.int_depend_count, dead: j.int_dead_count, eaten: j.int_eaten_count,
    layers: layers.filter((l) => l.pk_job === j.pk_job).map((l) => ({
      id: l.pk_layer, name: l.str_name, total: l.int_total_count, succeeded: l.int_succeeded_count, running: l.int_running_count,
      waiting: l.int_waiting_count, depend: l.int_depend_count, dead: l.int_dead_count, eaten: l.int_eaten_count,
    })),
  }));
}

/** "done/total" where done counts succeeded and eaten frames (what lets dependents go). */
export const doneCount = (c: FrameCounts): number => c.succeeded + c.eaten;
