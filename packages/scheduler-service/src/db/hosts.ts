// Host query for one cluster pass (reference §2.4 step 1): OPEN, UP, recently pinged hosts of the
// facility carrying one of the cluster's tags, in an allocation the show subscribes to. Idle memory is
// the lower of the booking ledger and what the host reports free.
import { sql, type Kysely } from "kysely";
import { preparedStatement, type Database } from "@opencue-ts/cuebot-db";

export interface DispatchHost {
  readonly id: string;
  readonly name: string;
  readonly os: string;
  readonly allocId: string;
  readonly allocName: string;
  /** 0 AUTO, 1 ALL, 2 VARIABLE. */
  readonly threadMode: number;
  readonly totalCoreUnits: number;
  readonly totalMemoryKb: number;
  readonly totalGpus: number;
  readonly totalGpuMemoryKb: number;
  /** The host's tags among the cluster's. */
  readonly tags: readonly string[];
  idleCoreUnits: number;
  idleMemoryKb: number;
  idleGpus: number;
  idleGpuMemoryKb: number;
}

export interface HostQueryInput {
  readonly showId: string;
  readonly facilityId: string;
  readonly tags: readonly string[];
  readonly stalenessSeconds: number;
}

interface HostRow {
  pk_host: string; str_name: string; str_os: string; pk_alloc: string; alloc_name: string; int_thread_mode: number;
  int_cores: number; int_mem_total: number; int_gpus: number; int_gpu_mem: number; tags: string[]; int_cores_idle: number; mem_idle: number;
  int_gpus_idle: number; gpu_mem_idle: number;
}

export async function queryHosts(db: Kysely<Database>, q: HostQueryInput): Promise<DispatchHost[]> {
  const rows = await sql<HostRow>`${sql.raw(preparedStatement("cue_scheduler_hosts"))}
    SELECT h.pk_host, h.str_name, hs.str_os, a.pk_alloc, a.str_name AS alloc_name, h.int_thread_mode,
           h.int_cores, hs.int_mem_total, h.int_gpus, h.int_gpu_mem, array_agg(DISTINCT ht.str_tag) AS tags,
           h.int_cores_idle, LEAST(h.int_mem_idle, hs.int_mem_free) AS mem_idle, h.int_gpus_idle,
           LEAST(h.int_gpu_mem_idle, hs.int_gpu_mem_free) AS gpu_mem_idle
      FROM host h
      JOIN host_stat hs ON hs.pk_host = h.pk_host
      JOIN alloc a ON a.pk_alloc = h.pk_alloc
      JOIN subscription sub ON sub.pk_alloc = a.pk_alloc AND sub.pk_show = ${q.showId}
      JOIN host_tag ht ON ht.pk_host = h.pk_host AND ht.str_tag = ANY(${[...q.tags]}::varchar[])
     WHERE a.pk_facility = ${q.facilityId} AND h.str_lock_state = 'OPEN' AND hs.str_state = 'UP'
       AND hs.ts_ping > current_timestamp - make_interval(secs => ${q.stalenessSeconds})
       AND h.int_cores_idle >= 100
     GROUP BY h.pk_host, hs.pk_host_stat, a.pk_alloc
     ORDER BY h.str_name`.execute(db);
  return rows.rows.map((r) => ({
    id: r.pk_host, name: r.str_name, os: r.str_os, allocId: r.pk_alloc, allocName: r.alloc_name, threadMode: r.int_thread_mode,
    totalCoreUnits: r.int_cores, totalMemoryKb: r.int_mem_total, totalGpus: r.int_gpus, totalGpuMemoryKb: r.int_gpu_mem, tags: r.tags,
    idleCoreUnits: r.int_cores_idle, idleMemoryKb: r.mem_idle, idleGpus: r.int_gpus_idle, idleGpuMemoryKb: r.gpu_mem_idle,
  }));
}
