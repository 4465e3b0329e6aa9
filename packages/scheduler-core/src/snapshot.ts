// The farm as the engine sees it: one immutable snapshot per plan step. Every type maps one-to-one
// from Cuebot rows (see README "Mapping from Cuebot"): ids are varchar(36) strings, cores are
// centicores (Cuebot's int_cores: cores x 100), memory and GPU memory are KB, GPUs are counts, time
// is epoch milliseconds. Caps use Cuebot's convention: a value <= 0 means "no cap".
import type { Reservation } from "./plan-result.js";

/** host.int_thread_mode: 0 AUTO, 1 ALL, 2 VARIABLE. */
export type ThreadMode = "AUTO" | "ALL" | "VARIABLE";
/** host.str_lock_state. Only OPEN hosts are booked. */
export type LockState = "OPEN" | "LOCKED" | "NIMBY_LOCKED";
/** host_stat.str_state (Cuebot's HardwareState). Only UP hosts are booked. */
export type HostState = "UP" | "DOWN" | "REBOOTING" | "REBOOT_WHEN_IDLE" | "REPAIR";
/** host_tag.str_tag_type. */
export type TagType = "ALLOC" | "MANUAL" | "HOSTNAME" | "HARDWARE";

/** A frame already running on a host (a proc row); used to project when resources free up. */
export interface RunningProc {
  readonly id: string;
  readonly jobId?: string;
  readonly layerId?: string;
  /** proc.int_cores_reserved (centicores). */
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  /** When the frame is expected to end (start + the layer's runtime estimate); absent = unknown. */
  readonly expectedEndMs?: number;
}

export interface Host {
  readonly id: string;
  readonly name: string;
  readonly allocId: string;
  /** The allocation's facility (alloc.pk_facility). */
  readonly facilityId: string;
  /** host_stat.str_os. */
  readonly os: string;
  /** host_tag.str_tag names, all types (the ALLOC tag included). */
  readonly tags: readonly string[];
  readonly totalCores: number;
  readonly idleCores: number;
  /** host_stat.int_mem_total. */
  readonly totalMemoryKb: number;
  /** LEAST(host.int_mem_idle, host_stat.int_mem_free): the booked ledger or the OS, whichever is lower. */
  readonly idleMemoryKb: number;
  readonly totalGpus: number;
  readonly idleGpus: number;
  readonly totalGpuMemoryKb: number;
  /** LEAST(host.int_gpu_mem_idle, host_stat.int_gpu_mem_free). */
  readonly idleGpuMemoryKb: number;
  readonly threadMode: ThreadMode;
  readonly lockState: LockState;
  readonly state: HostState;
  /** Optional: what runs there now, for reservations and backfill. */
  readonly runningProcs?: readonly RunningProc[];
}

export interface Allocation {
  readonly id: string;
  readonly name: string;
  readonly facilityId: string;
  /** alloc.str_tag: hosts of this allocation carry it as their ALLOC tag. */
  readonly tag: string;
}

export interface Show {
  readonly id: string;
  readonly name: string;
  /** show.b_active; default true. */
  readonly active?: boolean;
  /** show.b_scheduler_managed; only used for clusters. Default true. */
  readonly schedulerManaged?: boolean;
}

export interface Subscription {
  readonly id: string;
  readonly showId: string;
  readonly allocId: string;
  /** subscription.int_size (centicores): the show's entitlement on this allocation. */
  readonly size: number;
  /** subscription.int_burst (centicores): the hard cap. 0 = frozen (nothing is booked). */
  readonly burst: number;
  /** Cores booked now (live SUM(proc.int_cores_reserved) or the accounting store). */
  readonly bookedCores: number;
}

export interface Folder {
  readonly id: string;
  readonly showId: string;
  /** folder_resource.int_max_cores (centicores); <= 0 = no cap. */
  readonly maxCores: number;
  readonly minCores: number;
  readonly maxGpus: number;
  readonly minGpus: number;
  readonly bookedCores: number;
  readonly bookedGpus: number;
}

export type JobState = "PENDING" | "FINISHED";

export interface Job {
  readonly id: string;
  readonly name?: string;
  readonly showId: string;
  readonly folderId: string;
  readonly facilityId: string;
  /** job.str_os: the OS every layer of the job needs; null or "" = any. */
  readonly os: string | null;
  /** job_resource.int_priority (higher first). */
  readonly priority: number;
  readonly maxCores: number;
  readonly minCores: number;
  readonly maxGpus: number;
  readonly minGpus: number;
  readonly bookedCores: number;
  readonly bookedGpus: number;
  readonly state: JobState;
  readonly paused: boolean;
  /** job.ts_started: FIFO order within equal priority and the base of anti-starvation aging. */
  readonly submittedAtMs: number;
}

export type LayerType = "PRE" | "POST" | "RENDER" | "UTIL";

export interface Layer {
  readonly id: string;
  readonly name?: string;
  readonly jobId: string;
  readonly type?: LayerType;
  /** layer.int_dispatch_order: lower first within the job. */
  readonly dispatchOrder: number;
  /** layer.int_cores_min (centicores): > 0 cores wanted, 0 the whole host, < 0 all but that many. */
  readonly minCores: number;
  /** layer.int_cores_max (centicores): > 0 caps the cores one frame gets; <= 0 no cap. */
  readonly maxCores: number;
  readonly minMemoryKb: number;
  readonly minGpus: number;
  readonly minGpuMemoryKb: number;
  /** layer.str_tags split on "|", trimmed; a host must carry at least one. */
  readonly tags: readonly string[];
  /** layer.str_services split on ",". */
  readonly services: readonly string[];
  readonly threadable: boolean;
  /** layer_limit.pk_limit_record: every listed limit must have room. */
  readonly limitIds: readonly string[];
  /** layer.ts_start_after: frames wait until then. */
  readonly startAfterMs?: number | null;
  /** Expected frame runtime (e.g. layer_usage averages); used by backfill. Absent = unknown. */
  readonly runtimeEstimateMs?: number;
}

/** A WAITING frame (its dependencies are already satisfied: Cuebot moves DEPEND frames to WAITING). */
export interface Frame {
  readonly id: string;
  readonly layerId: string;
  /** frame.int_number. */
  readonly number: number;
  /** frame.int_dispatch_order. */
  readonly dispatchOrder: number;
  /** frame.int_layer_order (tie-break). */
  readonly layerOrder?: number;
}

/** A license / resource limit (limit_record), counted in running frames. */
export interface LimitRecord {
  readonly id: string;
  readonly name: string;
  /** limit_record.int_max_value; null = unlimited. */
  readonly maxValue: number | null;
  /** SUM(layer_stat.int_running_count) over the layers sharing it. */
  readonly running: number;
}

export interface FarmSnapshot {
  readonly hosts: readonly Host[];
  readonly allocations: readonly Allocation[];
  readonly shows: readonly Show[];
  readonly subscriptions: readonly Subscription[];
  readonly folders: readonly Folder[];
  readonly jobs: readonly Job[];
  readonly layers: readonly Layer[];
  readonly frames: readonly Frame[];
  readonly limits?: readonly LimitRecord[];
  /** The previous step's reservations (PlanResult.reservations): honoured while their frame still waits. */
  readonly reservations?: readonly Reservation[];
}
