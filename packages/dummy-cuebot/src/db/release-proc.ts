// Unbooking a proc the way Cuebot's ProcDaoJdbc.deleteVirtualProc + procDestroyed does: delete the
// row (taking its reservation as stored at delete time), give the host its idle cores, memory and
// GPUs back, then either tell the standalone scheduler through NOTIFY acct_release (scheduler-managed
// shows: the scheduler owns the accounting tables and only books those shows) or lower the
// subscription, layer, job, folder and point counters (Cuebot-managed shows, which Cuebot booked).
import type { CuebotDb } from "./db-types.js";

export interface ReleasedProc {
  readonly procId: string;
  readonly hostId: string;
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  /** True when an acct_release notification was sent (scheduler-managed show). */
  readonly notified: boolean;
}

/** The centicores-per-core factor Cuebot divides by in acct_release payloads. */
const CENTICORES_PER_CORE = 100;

/** Releases one proc inside `trx`; undefined when it no longer exists. */
export async function releaseProc(trx: CuebotDb, procId: string): Promise<ReleasedProc | undefined> {
  const proc = await trx
    .deleteFrom("proc")
    .where("pk_proc", "=", procId)
    .returning(["pk_proc", "pk_host", "pk_show", "pk_job", "pk_layer", "b_local", "int_cores_reserved", "int_mem_reserved", "int_gpus_reserved", "int_gpu_mem_reserved"])
    .executeTakeFirst();
  if (!proc) return undefined;
  const cores = proc.int_cores_reserved;
  const memoryKb = proc.int_mem_reserved;
  const gpus = proc.int_gpus_reserved;
  const gpuMemoryKb = proc.int_gpu_mem_reserved;
  const host = await trx
    .updateTable("host")
    .set((eb) => ({
      int_cores_idle: eb("int_cores_idle", "+", cores),
      int_mem_idle: eb("int_mem_idle", "+", memoryKb),
      int_gpus_idle: eb("int_gpus_idle", "+", gpus),
      int_gpu_mem_idle: eb("int_gpu_mem_idle", "+", gpuMemoryKb),
    }))
    .where("pk_host", "=", proc.pk_host)
    .returning("pk_alloc")
    .executeTakeFirst();
  const released = { procId: proc.pk_proc, hostId: proc.pk_host, cores, memoryKb, gpus, gpuMemoryKb };
  if (proc.pk_job === null || proc.pk_show === null) return { ...released, notified: false };
  const job = await trx.selectFrom("job").select(["pk_folder", "pk_dept", "pk_show"]).where("pk_job", "=", proc.pk_job).executeTakeFirst();
  const show = await trx.selectFrom("show").select("b_scheduler_managed").where("pk_show", "=", proc.pk_show).executeTakeFirst();
  if (!job || !show) return { ...released, notified: false };

  if (show.b_scheduler_managed && !proc.b_local) {
    const payload = JSON.stringify({
      show: proc.pk_show, alloc: host?.pk_alloc ?? null, folder: job.pk_folder, job: proc.pk_job, layer: proc.pk_layer,
      dept: job.pk_dept, cores: -Math.trunc(cores / CENTICORES_PER_CORE), gpus: -gpus,
    });
    // Delivered by PostgreSQL only if this transaction commits, like Cuebot's AccountingNotifier.
    await trx.selectNoFrom((eb) => eb.fn("pg_notify", [eb.val("acct_release"), eb.val(payload)]).as("notified")).execute();
    return { ...released, notified: true };
  }

  const minus = { int_cores: cores, int_gpus: gpus };
  if (host) {
    await trx.updateTable("subscription")
      .set((eb) => ({ int_cores: eb("int_cores", "-", minus.int_cores), int_gpus: eb("int_gpus", "-", minus.int_gpus) }))
      .where("pk_show", "=", proc.pk_show).where("pk_alloc", "=", host.pk_alloc).execute();
  }
  if (proc.pk_layer !== null) {
    await trx.updateTable("layer_resource")
      .set((eb) => ({ int_cores: eb("int_cores", "-", minus.int_cores), int_gpus: eb("int_gpus", "-", minus.int_gpus) }))
      .where("pk_layer", "=", proc.pk_layer).execute();
  }
  await trx.updateTable("job_resource")
    .set((eb) => ({ int_cores: eb("int_cores", "-", minus.int_cores), int_gpus: eb("int_gpus", "-", minus.int_gpus) }))
    .where("pk_job", "=", proc.pk_job).execute();
  await trx.updateTable("folder_resource")
    .set((eb) => ({ int_cores: eb("int_cores", "-", minus.int_cores), int_gpus: eb("int_gpus", "-", minus.int_gpus) }))
    .where("pk_folder", "=", job.pk_folder).execute();
  await trx.updateTable("point")
    .set((eb) => ({ int_cores: eb("int_cores", "-", minus.int_cores), int_gpus: eb("int_gpus", "-", minus.int_gpus) }))
    .where("pk_dept", "=", job.pk_dept).where("pk_show", "=", job.pk_show).execute();
  return { ...released, notified: false };
}
