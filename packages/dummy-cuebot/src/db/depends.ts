// Dependency satisfaction as Cuebot's DependManagerService does it: find the active depends that
// wait on a frame, a layer or a job, set each inactive (only the writer that flips b_active
// decrements, so a duplicate report cannot count twice) and decrement int_depend_count on the
// frames that wait; the frame triggers then switch frames reaching 0 from DEPEND to WAITING.
import type { CuebotDb } from "./db-types.js";

interface DependRow {
  readonly pk_depend: string;
  readonly str_type: string;
  readonly pk_job_depend_er: string;
  readonly pk_layer_depend_er: string | null;
  readonly pk_frame_depend_er: string | null;
}

const JOB_TARGETS = new Set(["JOB_ON_JOB", "JOB_ON_LAYER", "JOB_ON_FRAME"]);
const LAYER_TARGETS = new Set(["LAYER_ON_JOB", "LAYER_ON_LAYER", "LAYER_ON_FRAME"]);
const FRAME_TARGETS = new Set(["FRAME_ON_JOB", "FRAME_ON_LAYER", "FRAME_ON_FRAME"]);

/** Satisfies one non-composite depend; returns how many frames' depend counts were decremented. */
async function satisfyDepend(db: CuebotDb, depend: DependRow, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const flipped = await trx
      .updateTable("depend")
      .set((eb) => ({ b_active: false, ts_satisfied: now, str_signature: eb.ref("pk_depend") }))
      .where("pk_depend", "=", depend.pk_depend)
      .where("b_active", "=", true)
      .where("b_composite", "=", false)
      .executeTakeFirst();
    if (Number(flipped.numUpdatedRows) !== 1) return 0;
    let query = trx
      .updateTable("frame")
      .set((eb) => ({ int_depend_count: eb("int_depend_count", "-", 1) }))
      .where("int_depend_count", ">", 0);
    if (JOB_TARGETS.has(depend.str_type)) query = query.where("pk_job", "=", depend.pk_job_depend_er);
    else if (LAYER_TARGETS.has(depend.str_type) && depend.pk_layer_depend_er !== null) query = query.where("pk_layer", "=", depend.pk_layer_depend_er);
    else if (FRAME_TARGETS.has(depend.str_type) && depend.pk_frame_depend_er !== null) query = query.where("pk_frame", "=", depend.pk_frame_depend_er);
    else return 0;
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  });
}

const dependColumns = ["pk_depend", "str_type", "pk_job_depend_er", "pk_layer_depend_er", "pk_frame_depend_er"] as const;

async function satisfyAll(db: CuebotDb, depends: readonly DependRow[], now: Date): Promise<number> {
  let released = 0;
  for (const d of depends) released += await satisfyDepend(db, d, now);
  return released;
}

/** What waits on one frame: *_ON_FRAME depends on it, and "any frame" layer-on-layer depends on its layer. */
export async function satisfyWhatDependsOnFrame(db: CuebotDb, frame: { readonly jobId: string; readonly layerId: string; readonly frameId: string }, now: Date): Promise<number> {
  const depends = await db
    .selectFrom("depend")
    .select(dependColumns)
    .where("b_active", "=", true)
    .where("pk_job_depend_on", "=", frame.jobId)
    .where((eb) =>
      eb.or([
        eb.and([eb("pk_frame_depend_on", "=", frame.frameId), eb("str_type", "in", ["FRAME_ON_FRAME", "LAYER_ON_FRAME", "JOB_ON_FRAME"])]),
        eb.and([eb("pk_layer_depend_on", "=", frame.layerId), eb("str_type", "=", "LAYER_ON_LAYER"), eb("b_any", "=", true)]),
      ]),
    )
    .execute();
  return satisfyAll(db, depends, now);
}

/** What waits on a whole layer (called once the layer is complete). */
export async function satisfyWhatDependsOnLayer(db: CuebotDb, layer: { readonly jobId: string; readonly layerId: string }, now: Date): Promise<number> {
  const depends = await db
    .selectFrom("depend")
    .select(dependColumns)
    .where("b_active", "=", true)
    .where("pk_job_depend_on", "=", layer.jobId)
    .where("pk_layer_depend_on", "=", layer.layerId)
    .where("str_type", "in", ["JOB_ON_LAYER", "LAYER_ON_LAYER", "FRAME_ON_LAYER"])
    .execute();
  return satisfyAll(db, depends, now);
}

/** What waits on a whole job (called once the job is finished). */
export async function satisfyWhatDependsOnJob(db: CuebotDb, jobId: string, now: Date): Promise<number> {
  const depends = await db
    .selectFrom("depend")
    .select(dependColumns)
    .where("b_active", "=", true)
    .where("pk_job_depend_on", "=", jobId)
    .where("str_type", "in", ["JOB_ON_JOB", "LAYER_ON_JOB", "FRAME_ON_JOB"])
    .execute();
  return satisfyAll(db, depends, now);
}

/** Cuebot's isLayerComplete: nothing waiting, running, dead or depending. */
export async function isLayerComplete(db: CuebotDb, layerId: string): Promise<boolean> {
  const s = await db.selectFrom("layer_stat").select(["int_waiting_count", "int_running_count", "int_dead_count", "int_depend_count"]).where("pk_layer", "=", layerId).executeTakeFirst();
  return s !== undefined && s.int_waiting_count + s.int_running_count + s.int_dead_count + s.int_depend_count === 0;
}

/** Cuebot's isJobComplete: the layer test plus checkpointing frames. */
export async function isJobComplete(db: CuebotDb, jobId: string): Promise<boolean> {
  const s = await db
    .selectFrom("job_stat")
    .select(["int_waiting_count", "int_running_count", "int_dead_count", "int_depend_count", "int_checkpoint_count"])
    .where("pk_job", "=", jobId)
    .executeTakeFirst();
  return s !== undefined && s.int_waiting_count + s.int_running_count + s.int_dead_count + s.int_depend_count + s.int_checkpoint_count === 0;
}
