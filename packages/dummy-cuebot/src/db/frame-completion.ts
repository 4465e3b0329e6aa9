// A completion report applied as Cuebot's FrameCompleteHandler does, for what a farm needs:
//  1. ownership: the report's resource_id must be a proc that still holds the frame; a proc that
//     lost its frame is released, a proc already on another frame means a duplicate (dropped), and
//     a missing proc finalises a still-RUNNING frame no proc holds (an orphan), else the report is stale;
//  2. in one transaction: stop the frame (version-fenced, new state by determineFrameState, exit
//     status, max RSS, past core time), raise layer/job max RSS, count usage, release the proc.
//     dummy-cuebot never books, so the proc is always released (Cuebot would book the same job's
//     next frame on it for shows it dispatches itself; it also releases for scheduler-managed shows);
//  3. after commit (so the last of several concurrent completions sees all of them): satisfy what
//     depends on the frame, on its layer once complete, and finish the job once complete.
import type { Timestamp } from "@opencue-ts/cuebot-db";
import type { FrameCompleteReport } from "@opencue-ts/proto";
import type { CuebotDb } from "./db-types.js";
import { isJobComplete, isLayerComplete, satisfyWhatDependsOnFrame, satisfyWhatDependsOnJob, satisfyWhatDependsOnLayer } from "./depends.js";
import { DummyCuebotError } from "./errors.js";
import { determineFrameState, type FrameState } from "./frame-state.js";
import { releaseProc } from "./release-proc.js";

export type CompletionOutcome =
  | {
      readonly kind: "applied";
      readonly jobId: string;
      readonly frameName: string;
      readonly state: FrameState;
      readonly exitStatus: number;
      /** The proc was found gone and the frame finalised without it. */
      readonly orphan: boolean;
      readonly procReleased: boolean;
      /** Frames whose depend count this completion decremented. */
      readonly dependentsReleased: number;
      readonly layerComplete: boolean;
      readonly jobFinished: boolean;
    }
  | { readonly kind: "stale" | "duplicate" | "dropped"; readonly frameName: string; readonly reason: string; readonly procReleased: boolean };

interface FrameFacts {
  readonly pk_frame: string;
  readonly pk_layer: string;
  readonly pk_job: string;
  readonly str_name: string;
  readonly str_state: string;
  readonly int_retries: number;
  readonly int_version: number | null;
  readonly int_cores: number;
  readonly int_gpus: number;
  readonly ts_started: Date | null;
  readonly int_max_retries: number;
  readonly b_autoeat: boolean;
  readonly int_timeout: number;
  readonly int_timeout_llu: number;
}

async function loadFrame(db: CuebotDb, frameId: string): Promise<FrameFacts | undefined> {
  return db
    .selectFrom("frame")
    .innerJoin("job", "job.pk_job", "frame.pk_job")
    .innerJoin("layer", "layer.pk_layer", "frame.pk_layer")
    .select([
      "frame.pk_frame", "frame.pk_layer", "frame.pk_job", "frame.str_name", "frame.str_state", "frame.int_retries", "frame.int_version",
      "frame.int_cores", "frame.int_gpus", "frame.ts_started", "job.int_max_retries", "job.b_autoeat", "layer.int_timeout", "layer.int_timeout_llu",
    ])
    .where("frame.pk_frame", "=", frameId)
    .executeTakeFirst();
}

async function releaseOnly(db: CuebotDb, procId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => (await releaseProc(trx, procId)) !== undefined);
}

export async function applyFrameCompletion(db: CuebotDb, report: FrameCompleteReport, now: Date): Promise<CompletionOutcome> {
  const rf = report.frame;
  if (!rf?.frameId || !rf.resourceId) throw new DummyCuebotError("INVALID_REPORT", "frame_complete_report.frame needs frame_id and resource_id");
  const frameName = rf.frameName || rf.frameId;
  const proc = await db.selectFrom("proc").select(["pk_proc", "pk_frame"]).where("pk_proc", "=", rf.resourceId).executeTakeFirst();
  let orphan = false;
  if (!proc) {
    const frame = await db.selectFrom("frame").select("str_state").where("pk_frame", "=", rf.frameId).executeTakeFirst();
    if (!frame) return { kind: "dropped", frameName, reason: "neither the proc nor the frame exists", procReleased: false };
    if (frame.str_state !== "RUNNING") return { kind: "stale", frameName, reason: `frame is ${frame.str_state}, not RUNNING`, procReleased: false };
    const owner = await db.selectFrom("proc").select("pk_proc").where("pk_frame", "=", rf.frameId).executeTakeFirst();
    if (owner) return { kind: "stale", frameName, reason: "frame is now held by another proc", procReleased: false };
    orphan = true;
  } else if (proc.pk_frame !== rf.frameId) {
    if (proc.pk_frame !== null) return { kind: "duplicate", frameName, reason: `proc has moved on to frame ${proc.pk_frame}`, procReleased: false };
    return { kind: "stale", frameName, reason: "proc no longer holds a frame", procReleased: await releaseOnly(db, proc.pk_proc) };
  }

  const frame = await loadFrame(db, rf.frameId);
  if (!frame) return { kind: "dropped", frameName, reason: "frame does not exist", procReleased: proc ? await releaseOnly(db, proc.pk_proc) : false };
  const state = determineFrameState({
    frameState: frame.str_state, retries: frame.int_retries, maxRetries: frame.int_max_retries, autoEat: frame.b_autoeat,
    layerTimeoutMin: frame.int_timeout, layerTimeoutLluMin: frame.int_timeout_llu, exitStatus: report.exitStatus, exitSignal: report.exitSignal,
    runTimeS: report.runTime, lluTimeS: Number(rf.lluTime), hostNimbyLocked: report.host?.nimbyLocked ?? false, nowS: Math.floor(now.getTime() / 1000),
  });
  const maxRss = Number(rf.maxRss);
  const seconds = frame.ts_started ? Math.max(0, (now.getTime() - frame.ts_started.getTime()) / 1000) : 0;

  const stopped = await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("frame")
      .set((eb) => ({
        str_state: state, int_exit_status: report.exitStatus, ts_stopped: now, ts_updated: now, int_mem_max_used: maxRss,
        int_version: eb(eb.fn.coalesce("int_version", eb.val(0)), "+", 1),
        int_total_past_core_time: eb("int_total_past_core_time", "+", Math.round((seconds * frame.int_cores) / 100)),
        int_total_past_gpu_time: eb("int_total_past_gpu_time", "+", Math.round(seconds * frame.int_gpus)),
      }))
      .where("pk_frame", "=", frame.pk_frame)
      .where("str_state", "=", "RUNNING")
      .where("int_version", "is not distinct from", frame.int_version)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return undefined;
    await trx.updateTable("layer_mem").set((eb) => ({ int_max_rss: eb.fn("greatest", [eb.ref("int_max_rss"), eb.val(maxRss)]) })).where("pk_layer", "=", frame.pk_layer).execute();
    await trx.updateTable("job_mem").set((eb) => ({ int_max_rss: eb.fn("greatest", [eb.ref("int_max_rss"), eb.val(maxRss)]) })).where("pk_job", "=", frame.pk_job).execute();
    const coreTime = Math.round((report.runTime * frame.int_cores) / 100);
    if (report.exitStatus === 0) {
      await trx.updateTable("layer_usage").set((eb) => ({
        int_core_time_success: eb("int_core_time_success", "+", coreTime), int_clock_time_success: eb("int_clock_time_success", "+", report.runTime),
        int_frame_success_count: eb("int_frame_success_count", "+", 1),
      })).where("pk_layer", "=", frame.pk_layer).execute();
      await trx.updateTable("job_usage").set((eb) => ({
        int_core_time_success: eb("int_core_time_success", "+", coreTime), int_clock_time_success: eb("int_clock_time_success", "+", report.runTime),
        int_frame_success_count: eb("int_frame_success_count", "+", 1),
      })).where("pk_job", "=", frame.pk_job).execute();
    } else {
      await trx.updateTable("layer_usage").set((eb) => ({
        int_core_time_fail: eb("int_core_time_fail", "+", coreTime), int_clock_time_fail: eb("int_clock_time_fail", "+", report.runTime),
        int_frame_fail_count: eb("int_frame_fail_count", "+", 1),
      })).where("pk_layer", "=", frame.pk_layer).execute();
      await trx.updateTable("job_usage").set((eb) => ({
        int_core_time_fail: eb("int_core_time_fail", "+", coreTime), int_clock_time_fail: eb("int_clock_time_fail", "+", report.runTime),
        int_frame_fail_count: eb("int_frame_fail_count", "+", 1),
      })).where("pk_job", "=", frame.pk_job).execute();
    }
    // Same transaction as the stop: nobody sees a stopped frame that still holds its proc.
    return { procReleased: proc ? (await releaseProc(trx, proc.pk_proc)) !== undefined : false };
  });
  if (!stopped) {
    // Someone else stopped the frame first (a kill with retry/eat, a second report): free the proc.
    return { kind: "stale", frameName, reason: "frame was already stopped", procReleased: proc ? await releaseOnly(db, proc.pk_proc) : false };
  }
  const { procReleased } = stopped;

  let dependentsReleased = 0;
  let layerComplete = false;
  let jobFinished = false;
  if (state === "SUCCEEDED") {
    dependentsReleased += await satisfyWhatDependsOnFrame(db, { jobId: frame.pk_job, layerId: frame.pk_layer, frameId: frame.pk_frame }, now);
    layerComplete = await isLayerComplete(db, frame.pk_layer);
    if (layerComplete) dependentsReleased += await satisfyWhatDependsOnLayer(db, { jobId: frame.pk_job, layerId: frame.pk_layer }, now);
  }
  if ((state === "SUCCEEDED" || state === "EATEN") && (await isJobComplete(db, frame.pk_job))) {
    const finished = await db
      .updateTable("job")
      .set((eb) => ({ str_state: "FINISHED", str_visible_name: null, ts_stopped: now, ts_updated: eb.fn<Timestamp>("to_timestamp", [eb.val(now.getTime() / 1000)]) }))
      .where("pk_job", "=", frame.pk_job)
      .where("str_state", "=", "PENDING")
      .executeTakeFirst();
    jobFinished = Number(finished.numUpdatedRows) === 1;
    if (jobFinished) dependentsReleased += await satisfyWhatDependsOnJob(db, frame.pk_job, now);
  }
  return { kind: "applied", jobId: frame.pk_job, frameName: frame.str_name, state, exitStatus: report.exitStatus, orphan, procReleased, dependentsReleased, layerComplete, jobFinished };
}
