// Cuebot's maintenance for procs whose host went quiet, reduced to what a farm needs: a host whose
// host_stat.ts_ping is older than `downAfterMs` is marked DOWN and its procs are cleared (frames
// back to WAITING with exit status 399 DOWN_HOST, which does not count as a retry); a proc that no
// status report has mentioned for `orphanAfterMs` on a host that still reports is cleared the same
// way with 301 FRAME_ORPHAN (its RQD restarted without the frame). Cuebot first tries to kill such
// a frame on its host; for DOWN hosts there is nothing left to kill.
import type { Timestamp } from "@opencue-ts/cuebot-db";
import type { CuebotDb } from "./db-types.js";
import { EXIT_STATUS } from "./frame-state.js";
import { releaseProc } from "./release-proc.js";

export interface LostProcSweep {
  readonly hostsMarkedDown: readonly string[];
  /** Frame names put back to WAITING. */
  readonly framesRequeued: readonly string[];
}

async function requeue(db: CuebotDb, proc: { readonly pk_proc: string; readonly pk_frame: string | null }, exitStatus: number, now: Date): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    if ((await releaseProc(trx, proc.pk_proc)) === undefined || proc.pk_frame === null) return undefined;
    const frame = await trx
      .updateTable("frame")
      .set((eb) => ({ str_state: "WAITING", int_exit_status: exitStatus, ts_stopped: now, ts_updated: now, int_version: eb(eb.fn.coalesce("int_version", eb.val(0)), "+", 1) }))
      .where("pk_frame", "=", proc.pk_frame)
      .where("str_state", "=", "RUNNING")
      .returning("str_name")
      .executeTakeFirst();
    return frame?.str_name;
  });
}

export async function sweepLostProcs(db: CuebotDb, options: { readonly downAfterMs: number; readonly orphanAfterMs: number }, now: Date): Promise<LostProcSweep> {
  const down = await db
    .updateTable("host_stat")
    .set({ str_state: "DOWN" })
    .where("str_state", "=", "UP")
    .where((eb) => eb("ts_ping", "<", eb.fn<Timestamp>("to_timestamp", [eb.val((now.getTime() - options.downAfterMs) / 1000)])))
    .returning("pk_host")
    .execute();
  const downNames = down.length === 0 ? [] : await db.selectFrom("host").select("str_name").where("pk_host", "in", down.map((d) => d.pk_host)).execute();
  const framesRequeued: string[] = [];
  const onDownHosts = await db
    .selectFrom("proc")
    .innerJoin("host_stat", "host_stat.pk_host", "proc.pk_host")
    .select(["proc.pk_proc", "proc.pk_frame"])
    .where("host_stat.str_state", "=", "DOWN")
    .execute();
  for (const p of onDownHosts) {
    const name = await requeue(db, p, EXIT_STATUS.DOWN_HOST, now);
    if (name) framesRequeued.push(name);
  }
  const orphans = await db
    .selectFrom("proc")
    .innerJoin("host_stat", "host_stat.pk_host", "proc.pk_host")
    .select(["proc.pk_proc", "proc.pk_frame"])
    .where("host_stat.str_state", "=", "UP")
    .where((eb) => eb("proc.ts_ping", "<", eb.fn<Timestamp>("to_timestamp", [eb.val((now.getTime() - options.orphanAfterMs) / 1000)])))
    .execute();
  for (const p of orphans) {
    const name = await requeue(db, p, EXIT_STATUS.FRAME_ORPHAN, now);
    if (name) framesRequeued.push(name);
  }
  return { hostsMarkedDown: downNames.map((h) => h.str_name), framesRequeued };
}
