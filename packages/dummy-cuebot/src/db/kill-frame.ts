// `dummy-cuebot kill-frame JOB FRAME`: finds where a frame runs (its proc's host) and asks that
// host's RQD to kill it, as Cuebot's JobManagerSupport.kill does. The frame's next state comes from
// the completion report RQD then sends (retried or DEAD by the job's rules).
import type { CuebotDb } from "./db-types.js";
import { DummyCuebotError } from "./errors.js";

export interface RunningFrameLocation {
  readonly jobId: string;
  readonly frameId: string;
  readonly frameName: string;
  readonly procId: string;
  readonly hostName: string;
}

export async function locateRunningFrame(db: CuebotDb, jobName: string, frameName: string): Promise<RunningFrameLocation> {
  const frame = await db
    .selectFrom("frame")
    .innerJoin("job", "job.pk_job", "frame.pk_job")
    .select(["frame.pk_frame", "frame.pk_job", "frame.str_name", "frame.str_state"])
    .where((eb) => eb.or([eb("job.str_name", "=", jobName), eb("job.pk_job", "=", jobName)]))
    .where("frame.str_name", "=", frameName)
    .orderBy("job.ts_started", "desc")
    .executeTakeFirst();
  if (!frame) throw new DummyCuebotError("NOT_FOUND", `no frame ${frameName} in job ${jobName}`);
  const proc = await db
    .selectFrom("proc")
    .innerJoin("host", "host.pk_host", "proc.pk_host")
    .select(["proc.pk_proc", "host.str_name"])
    .where("proc.pk_frame", "=", frame.pk_frame)
    .executeTakeFirst();
  if (!proc) throw new DummyCuebotError("NOT_RUNNING", `frame ${frameName} of job ${jobName} is ${frame.str_state}, not running on any host`);
  return { jobId: frame.pk_job, frameId: frame.pk_frame, frameName: frame.str_name, procId: proc.pk_proc, hostName: proc.str_name };
}
