// What cue-scheduler writes when it dispatches one frame (scheduler-spec §2.8), so report handling
// can be tested against exactly the rows a real booking leaves: frame RUNNING on the host, the
// retry counter, a proc, the host's idle resources lowered.
import { randomUUID } from "node:crypto";
import type { Timestamp } from "@opencue-ts/cuebot-db";
import type { CuebotDb } from "../db/db-types.js";

export interface Booking {
  readonly procId: string;
  readonly frameId: string;
  readonly jobId: string;
  readonly layerId: string;
  readonly frameName: string;
  readonly hostName: string;
}

export async function bookFrame(db: CuebotDb, spec: { jobId: string; frameName: string; hostName: string; cores?: number; memoryKb?: number }): Promise<Booking> {
  const cores = (spec.cores ?? 1) * 100;
  const memoryKb = spec.memoryKb ?? 262_144;
  return db.transaction().execute(async (trx) => {
    const frame = await trx.selectFrom("frame").selectAll().where("pk_job", "=", spec.jobId).where("str_name", "=", spec.frameName).executeTakeFirstOrThrow();
    const host = await trx.selectFrom("host").selectAll().where("str_name", "=", spec.hostName).executeTakeFirstOrThrow();
    const job = await trx.selectFrom("job").select("pk_show").where("pk_job", "=", spec.jobId).executeTakeFirstOrThrow();
    const started = await trx
      .updateTable("frame")
      .set((eb) => ({ str_state: "RUNNING", str_host: host.str_name, int_cores: cores, int_mem_reserved: memoryKb, ts_started: new Date(), ts_updated: new Date(), ts_stopped: null, int_version: eb(eb.fn.coalesce("int_version", eb.val(0)), "+", 1) }))
      .where("pk_frame", "=", frame.pk_frame)
      .where("str_state", "=", "WAITING")
      .executeTakeFirst();
    if (Number(started.numUpdatedRows) !== 1) throw new Error(`frame ${spec.frameName} is ${frame.str_state}, not WAITING`);
    await trx.updateTable("frame").set((eb) => ({ int_retries: eb("int_retries", "+", 1) })).where("pk_frame", "=", frame.pk_frame)
      .where("int_exit_status", "not in", [286, 256, 299, 301, 302, 399, -1]).execute();
    const procId = randomUUID();
    await trx.insertInto("proc").values((eb) => ({
      pk_proc: procId, pk_host: host.pk_host, pk_show: job.pk_show, pk_layer: frame.pk_layer, pk_job: spec.jobId, pk_frame: frame.pk_frame,
      int_cores_reserved: cores, int_mem_reserved: memoryKb, int_mem_pre_reserved: memoryKb, int_mem_used: 262_144,
      ts_ping: eb.fn<Timestamp>("now", []),
    })).execute();
    await trx.updateTable("host").set((eb) => ({ int_cores_idle: eb("int_cores_idle", "-", cores), int_mem_idle: eb("int_mem_idle", "-", memoryKb) })).where("pk_host", "=", host.pk_host).execute();
    return { procId, frameId: frame.pk_frame, jobId: spec.jobId, layerId: frame.pk_layer, frameName: spec.frameName, hostName: host.str_name };
  });
}
