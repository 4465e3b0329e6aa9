// The reference's stress-test audit (§6.2) on the database's own counters: every accounting row
// (subscription, job/layer/folder resource, host idle) equals the sum over live procs, no cap is
// exceeded, RUNNING frames and procs agree one to one, and job_stat's waiting count is exact. Shared
// by the tests and the benchmark so both check the same invariants.
import { sql, type Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";

export interface AuditResult {
  readonly violations: string[];
  readonly procs: number;
}

/** The reference's audit (§6.2) on the database's own counters. */
export async function auditBookings(db: Kysely<Database>): Promise<AuditResult> {
  const v: string[] = [];
  const q = async <T>(s: ReturnType<typeof sql<T>>) => (await s.execute(db)).rows;
  const subs = await q<{ pk_show: string; pk_alloc: string; int_cores: number; int_burst: number; live: number }>(sql`
    SELECT s.pk_show, s.pk_alloc, s.int_cores, s.int_burst,
           COALESCE((SELECT SUM(p.int_cores_reserved) FROM proc p JOIN host h ON h.pk_host = p.pk_host
                      WHERE p.pk_show = s.pk_show AND h.pk_alloc = s.pk_alloc AND NOT p.b_local), 0) AS live
      FROM subscription s`);
  for (const s of subs) {
    if (s.live !== s.int_cores) v.push(`subscription ${s.pk_show}/${s.pk_alloc}: int_cores ${s.int_cores} != SUM(proc) ${s.live}`);
    if (s.live > s.int_burst) v.push(`subscription ${s.pk_show}/${s.pk_alloc}: booked ${s.live} > burst ${s.int_burst}`);
  }
  const jobs = await q<{ pk_job: string; int_cores: number; int_max_cores: number; live: number }>(sql`
    SELECT jr.pk_job, jr.int_cores, jr.int_max_cores, COALESCE((SELECT SUM(p.int_cores_reserved) FROM proc p WHERE p.pk_job = jr.pk_job), 0) AS live
      FROM job_resource jr`);
  for (const j of jobs) {
    if (j.live !== j.int_cores) v.push(`job_resource ${j.pk_job}: int_cores ${j.int_cores} != SUM(proc) ${j.live}`);
    if (j.int_max_cores > 0 && j.live > j.int_max_cores) v.push(`job ${j.pk_job}: ${j.live} > max ${j.int_max_cores}`);
  }
  const folders = await q<{ pk_folder: string; int_cores: number; live: number }>(sql`
    SELECT fr.pk_folder, fr.int_cores, COALESCE((SELECT SUM(p.int_cores_reserved) FROM proc p JOIN job j ON j.pk_job = p.pk_job WHERE j.pk_folder = fr.pk_folder), 0) AS live
      FROM folder_resource fr`);
  for (const f of folders) if (f.live !== f.int_cores) v.push(`folder_resource ${f.pk_folder}: int_cores ${f.int_cores} != SUM(proc) ${f.live}`);
  const layers = await q<{ pk_layer: string; int_cores: number; live: number }>(sql`
    SELECT lr.pk_layer, lr.int_cores, COALESCE((SELECT SUM(p.int_cores_reserved) FROM proc p WHERE p.pk_layer = lr.pk_layer), 0) AS live FROM layer_resource lr`);
  for (const l of layers) if (l.live !== l.int_cores) v.push(`layer_resource ${l.pk_layer}: int_cores ${l.int_cores} != SUM(proc) ${l.live}`);
  const hosts = await q<{ str_name: string; int_cores: number; int_cores_idle: number; int_mem: number; int_mem_idle: number; cores: number; mem: number }>(sql`
    SELECT h.str_name, h.int_cores, h.int_cores_idle, h.int_mem, h.int_mem_idle,
           COALESCE(SUM(p.int_cores_reserved), 0) AS cores, COALESCE(SUM(p.int_mem_reserved), 0) AS mem
      FROM host h LEFT JOIN proc p ON p.pk_host = h.pk_host GROUP BY h.pk_host`);
  for (const h of hosts) {
    if (h.int_cores_idle < 0) v.push(`host ${h.str_name}: idle cores ${h.int_cores_idle} < 0`);
    if (h.int_cores - h.int_cores_idle !== h.cores) v.push(`host ${h.str_name}: booked cores ${h.int_cores - h.int_cores_idle} != SUM(proc) ${h.cores}`);
    if (h.int_mem - h.int_mem_idle !== h.mem) v.push(`host ${h.str_name}: booked memory ${h.int_mem - h.int_mem_idle} != SUM(proc) ${h.mem}`);
  }
  const [running] = await q<{ frames: number; procs: number; dup: number }>(sql`
    SELECT (SELECT count(*) FROM frame WHERE str_state = 'RUNNING')::int AS frames, (SELECT count(*) FROM proc)::int AS procs,
           (SELECT count(*) FROM (SELECT pk_frame FROM proc GROUP BY pk_frame HAVING count(*) > 1) d)::int AS dup`);
  if (running!.frames !== running!.procs) v.push(`RUNNING frames ${running!.frames} != procs ${running!.procs}`);
  if (running!.dup > 0) v.push(`${running!.dup} frames have more than one proc`);
  const [waiting] = await q<{ counted: number; actual: number }>(sql`
    SELECT (SELECT COALESCE(SUM(int_waiting_count), 0) FROM job_stat)::int AS counted, (SELECT count(*) FROM frame WHERE str_state = 'WAITING')::int AS actual`);
  if (waiting!.counted !== waiting!.actual) v.push(`job_stat waiting ${waiting!.counted} != WAITING frames ${waiting!.actual}`);
  return { violations: v, procs: running!.procs };
}
