// Kysely table types for the subset of Cuebot's schema the scheduler and the report handling use.
// Names and types follow Cuebot's migrations; ids are varchar(36) UUID strings, core counts are
// centicores (cores x 100) and memory is KB. int8 and numeric columns are parsed to JS numbers by
// createCuebotDb (every Cuebot counter fits in 2^53).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/** A timestamp column: read as Date, written as Date or an ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface ShowTable {
  pk_show: string;
  str_name: string;
  b_paused: Generated<boolean>;
  int_default_min_cores: Generated<number>;
  int_default_max_cores: Generated<number>;
  b_booking_enabled: Generated<boolean>;
  b_dispatch_enabled: Generated<boolean>;
  b_active: Generated<boolean>;
  str_comment_email: string | null;
  int_default_min_gpus: Generated<number>;
  int_default_max_gpus: Generated<number>;
  b_scheduler_managed: Generated<boolean>;
}

export interface ShowAliasTable {
  pk_show_alias: string;
  pk_show: string;
  str_name: string;
}

export interface FacilityTable {
  pk_facility: string;
  str_name: string;
  b_default: Generated<boolean>;
}

export interface DeptTable {
  pk_dept: string;
  str_name: string;
  b_default: Generated<boolean>;
}

export interface AllocTable {
  pk_alloc: string;
  str_name: string;
  b_allow_edit: Generated<boolean>;
  b_default: Generated<boolean>;
  str_tag: string | null;
  b_billable: Generated<boolean>;
  pk_facility: string;
  b_enabled: Generated<boolean | null>;
}

export interface SubscriptionTable {
  pk_subscription: string;
  pk_alloc: string;
  pk_show: string;
  int_size: Generated<number>;
  int_burst: Generated<number>;
  int_cores: Generated<number>;
  float_tier: Generated<number>;
  int_gpus: Generated<number>;
}

export interface FolderTable {
  pk_folder: string;
  pk_parent_folder: string | null;
  pk_show: string;
  str_name: string;
  int_priority: Generated<number>;
  b_default: Generated<boolean>;
  pk_dept: string;
  int_job_min_cores: Generated<number>;
  int_job_max_cores: Generated<number>;
  int_job_priority: Generated<number>;
  int_min_cores: Generated<number>;
  int_max_cores: Generated<number>;
  b_exclude_managed: Generated<boolean>;
  f_order: Generated<number>;
  int_job_min_gpus: Generated<number>;
  int_job_max_gpus: Generated<number>;
  int_min_gpus: Generated<number>;
  int_max_gpus: Generated<number>;
}

export interface FolderLevelTable {
  pk_folder_level: string;
  pk_folder: string;
  int_level: Generated<number>;
}

export interface FolderResourceTable {
  pk_folder_resource: string;
  pk_folder: string;
  int_cores: Generated<number>;
  int_max_cores: Generated<number>;
  int_min_cores: Generated<number>;
  float_tier: Generated<number>;
  int_gpus: Generated<number>;
  int_max_gpus: Generated<number>;
  int_min_gpus: Generated<number>;
}

export interface PointTable {
  pk_point: string;
  pk_dept: string;
  pk_show: string;
  str_ti_task: string | null;
  int_cores: Generated<number>;
  b_managed: Generated<boolean>;
  int_min_cores: Generated<number>;
  float_tier: Generated<number>;
  ts_updated: Generated<Timestamp>;
  int_gpus: Generated<number>;
  int_min_gpus: Generated<number>;
}

export interface HostTable {
  pk_host: string;
  pk_alloc: string;
  str_name: string;
  str_lock_state: string;
  b_nimby: Generated<boolean>;
  ts_created: Generated<Timestamp>;
  int_cores: Generated<number>;
  int_procs: Generated<number>;
  int_cores_idle: Generated<number>;
  int_mem: Generated<number>;
  int_mem_idle: Generated<number>;
  b_unlock_boot: Generated<boolean>;
  b_unlock_idle: Generated<boolean>;
  b_reboot_idle: Generated<boolean>;
  str_tags: string | null;
  str_fqdn: string | null;
  b_comment: Generated<boolean>;
  int_thread_mode: Generated<number>;
  str_lock_source: string | null;
  int_gpu_mem: Generated<number>;
  int_gpu_mem_idle: Generated<number>;
  int_gpus: Generated<number>;
  int_gpus_idle: Generated<number>;
}

export interface HostStatTable {
  pk_host_stat: string;
  pk_host: string;
  int_mem_total: Generated<number>;
  int_mem_free: Generated<number>;
  int_swap_total: Generated<number>;
  int_swap_free: Generated<number>;
  int_mcp_total: Generated<number>;
  int_mcp_free: Generated<number>;
  int_load: Generated<number>;
  ts_ping: Generated<Timestamp>;
  ts_booted: Generated<Timestamp>;
  str_state: Generated<string>;
  str_os: Generated<string>;
  int_gpu_mem_total: Generated<number>;
  int_gpu_mem_free: Generated<number>;
}

export interface HostTagTable {
  pk_host_tag: string;
  pk_host: string;
  str_tag: string;
  str_tag_type: Generated<string>;
  b_constant: Generated<boolean>;
}

export interface JobTable {
  pk_job: string;
  pk_folder: string;
  pk_show: string;
  str_name: string;
  str_visible_name: string | null;
  str_shot: string;
  str_user: string;
  str_state: string;
  str_log_dir: Generated<string>;
  int_uid: number | null;
  b_paused: Generated<boolean>;
  b_autoeat: Generated<boolean>;
  int_frame_count: Generated<number>;
  int_layer_count: Generated<number>;
  int_max_retries: Generated<number>;
  b_auto_book: Generated<boolean>;
  b_auto_unbook: Generated<boolean>;
  b_comment: Generated<boolean>;
  str_email: string | null;
  pk_facility: string;
  pk_dept: string;
  ts_started: Generated<Timestamp>;
  ts_stopped: Timestamp | null;
  int_min_cores: Generated<number>;
  int_max_cores: Generated<number>;
  str_show: Generated<string>;
  ts_updated: Generated<Timestamp>;
  str_os: string | null;
  int_min_gpus: Generated<number>;
  int_max_gpus: Generated<number>;
  str_loki_url: string | null;
  ts_eligible: Generated<Timestamp>;
}

export interface JobEnvTable {
  pk_job_env: string;
  pk_job: string | null;
  str_key: string | null;
  str_value: string | null;
}

export interface JobStatTable {
  pk_job_stat: string;
  pk_job: string;
  int_waiting_count: Generated<number>;
  int_running_count: Generated<number>;
  int_dead_count: Generated<number>;
  int_depend_count: Generated<number>;
  int_eaten_count: Generated<number>;
  int_succeeded_count: Generated<number>;
  int_checkpoint_count: Generated<number>;
}

export interface JobResourceTable {
  pk_job_resource: string;
  pk_job: string;
  int_cores: Generated<number>;
  int_max_rss: Generated<number>;
  int_max_vss: Generated<number>;
  int_min_cores: Generated<number>;
  int_max_cores: Generated<number>;
  float_tier: Generated<number>;
  int_priority: Generated<number>;
  int_local_cores: Generated<number>;
  int_gpus: Generated<number>;
  int_min_gpus: Generated<number>;
  int_max_gpus: Generated<number>;
  int_local_gpus: Generated<number>;
  int_gpu_mem_max: Generated<number>;
  int_max_pss: Generated<number | null>;
}

export interface JobUsageTable {
  pk_job_usage: string;
  pk_job: string;
  int_core_time_success: Generated<number>;
  int_core_time_fail: Generated<number>;
  int_frame_success_count: Generated<number>;
  int_frame_fail_count: Generated<number>;
  int_clock_time_fail: Generated<number>;
  int_clock_time_high: Generated<number>;
  int_clock_time_success: Generated<number>;
  int_gpu_time_success: Generated<number>;
  int_gpu_time_fail: Generated<number>;
}

export interface JobMemTable {
  pk_job_mem: string;
  pk_job: string;
  int_max_rss: Generated<number>;
  int_max_vss: Generated<number>;
  int_gpu_mem_max: Generated<number>;
  int_max_pss: Generated<number | null>;
}

export interface LayerTable {
  pk_layer: string;
  pk_job: string;
  str_name: string;
  str_cmd: string;
  str_range: string;
  int_chunk_size: Generated<number>;
  int_dispatch_order: Generated<number>;
  int_cores_min: Generated<number>;
  int_mem_min: Generated<number>;
  str_tags: Generated<string>;
  str_type: string;
  b_threadable: Generated<boolean>;
  str_services: Generated<string>;
  b_optimize: Generated<boolean>;
  int_cores_max: Generated<number>;
  int_gpu_mem_min: Generated<number>;
  int_timeout: Generated<number>;
  int_timeout_llu: Generated<number>;
  int_gpus_min: Generated<number>;
  int_gpus_max: Generated<number>;
  ts_eligible: Generated<Timestamp>;
  ts_start_after: Timestamp | null;
  str_start_after_reason: string | null;
}

export interface LayerEnvTable {
  pk_layer_env: string;
  pk_layer: string | null;
  pk_job: string | null;
  str_key: string | null;
  str_value: string | null;
}

export interface LayerStatTable {
  pk_layer_stat: string;
  pk_layer: string;
  pk_job: string;
  int_total_count: Generated<number>;
  int_waiting_count: Generated<number>;
  int_running_count: Generated<number>;
  int_dead_count: Generated<number>;
  int_depend_count: Generated<number>;
  int_eaten_count: Generated<number>;
  int_succeeded_count: Generated<number>;
  int_checkpoint_count: Generated<number>;
  ts_started: Timestamp | null;
  ts_stopped: Timestamp | null;
}

export interface LayerResourceTable {
  pk_layer_resource: string;
  pk_layer: string;
  pk_job: string;
  int_cores: Generated<number>;
  int_max_rss: Generated<number>;
  int_max_vss: Generated<number>;
  int_gpus: Generated<number>;
  int_gpu_mem_max: Generated<number>;
  int_max_pss: Generated<number | null>;
}

export interface LayerUsageTable {
  pk_layer_usage: string;
  pk_layer: string;
  pk_job: string;
  int_core_time_success: Generated<number>;
  int_core_time_fail: Generated<number>;
  int_frame_success_count: Generated<number>;
  int_frame_fail_count: Generated<number>;
  int_clock_time_fail: Generated<number>;
  int_clock_time_high: Generated<number>;
  int_clock_time_low: Generated<number>;
  int_clock_time_success: Generated<number>;
  int_gpu_time_success: Generated<number>;
  int_gpu_time_fail: Generated<number>;
}

export interface LayerMemTable {
  pk_layer_mem: string;
  pk_job: string;
  pk_layer: string;
  int_max_rss: Generated<number>;
  int_max_vss: Generated<number>;
  int_gpu_mem_max: Generated<number>;
  int_max_pss: Generated<number | null>;
}

export interface LayerLimitTable {
  pk_layer_limit: string;
  pk_layer: string;
  pk_limit_record: string;
}

export interface LimitRecordTable {
  pk_limit_record: string;
  str_name: string;
  int_max_value: number | null;
  b_host_limit: Generated<boolean>;
}

export interface FrameTable {
  pk_frame: string;
  pk_layer: string;
  pk_job: string;
  str_name: string;
  str_state: string;
  int_number: number;
  int_depend_count: Generated<number>;
  int_exit_status: Generated<number>;
  int_retries: Generated<number>;
  int_mem_reserved: Generated<number>;
  int_mem_max_used: Generated<number>;
  int_mem_used: Generated<number>;
  int_dispatch_order: Generated<number>;
  str_host: string | null;
  int_cores: Generated<number>;
  int_layer_order: number;
  ts_started: Timestamp | null;
  ts_stopped: Timestamp | null;
  ts_last_run: Timestamp | null;
  ts_updated: Timestamp | null;
  int_version: Generated<number | null>;
  str_checkpoint_state: Generated<string>;
  int_checkpoint_count: Generated<number>;
  int_gpu_mem_reserved: Generated<number>;
  int_total_past_core_time: Generated<number>;
  ts_llu: Timestamp | null;
  int_gpu_mem_used: Generated<number>;
  int_gpu_mem_max_used: Generated<number>;
  int_gpus: Generated<number>;
  int_total_past_gpu_time: Generated<number>;
  int_pss_max_used: Generated<number | null>;
  int_pss_used: Generated<number | null>;
  ts_eligible: Timestamp | null;
}

export interface ProcTable {
  pk_proc: string;
  pk_host: string;
  pk_job: string | null;
  pk_show: string | null;
  pk_layer: string | null;
  pk_frame: string | null;
  int_cores_reserved: number;
  int_mem_reserved: number;
  int_mem_used: Generated<number>;
  int_mem_max_used: Generated<number>;
  b_unbooked: Generated<boolean>;
  int_mem_pre_reserved: Generated<number>;
  int_virt_used: Generated<number>;
  int_virt_max_used: Generated<number>;
  str_redirect: string | null;
  b_local: Generated<boolean>;
  ts_ping: Generated<Timestamp>;
  ts_booked: Generated<Timestamp>;
  ts_dispatched: Generated<Timestamp>;
  int_gpu_mem_reserved: Generated<number>;
  int_gpus_reserved: Generated<number>;
  int_gpu_mem_used: Generated<number>;
  int_gpu_mem_max_used: Generated<number>;
  int_gpu_mem_pre_reserved: Generated<number>;
  bytea_children: Buffer | null;
  int_swap_used: Generated<number>;
  int_pss_max_used: Generated<number | null>;
  int_pss_used: Generated<number | null>;
}

export interface DependTable {
  pk_depend: string;
  pk_parent: string | null;
  pk_job_depend_on: string;
  pk_job_depend_er: string;
  pk_frame_depend_on: string | null;
  pk_frame_depend_er: string | null;
  pk_layer_depend_on: string | null;
  pk_layer_depend_er: string | null;
  str_type: string;
  b_active: Generated<boolean>;
  b_any: Generated<boolean>;
  ts_created: Generated<Timestamp>;
  ts_satisfied: Timestamp | null;
  str_target: Generated<string>;
  str_signature: string;
  b_composite: Generated<boolean>;
}

export interface ServiceTable {
  pk_service: string;
  str_name: string;
  b_threadable: boolean;
  int_cores_min: number;
  int_mem_min: number;
  str_tags: string;
  int_cores_max: Generated<number>;
  int_gpu_mem_min: Generated<number>;
  int_timeout: Generated<number>;
  int_timeout_llu: Generated<number>;
  int_gpus_min: Generated<number>;
  int_gpus_max: Generated<number>;
  int_min_memory_increase: Generated<number>;
}

export interface ShowServiceTable {
  pk_show_service: string;
  pk_show: string;
  str_name: string;
  b_threadable: boolean;
  int_cores_min: number;
  int_mem_min: number;
  str_tags: string;
  int_cores_max: Generated<number>;
  int_gpu_mem_min: Generated<number>;
  int_timeout: Generated<number>;
  int_timeout_llu: Generated<number>;
  int_gpus_min: Generated<number>;
  int_gpus_max: Generated<number>;
  int_min_memory_increase: Generated<number>;
}

/** The vs_waiting view: shows with at least one bookable, waiting job. */
export interface VsWaitingView {
  pk_show: string;
}

/** Every Cuebot table (and view) this package declares. */
export interface Database {
  show: ShowTable;
  show_alias: ShowAliasTable;
  facility: FacilityTable;
  dept: DeptTable;
  alloc: AllocTable;
  subscription: SubscriptionTable;
  folder: FolderTable;
  folder_level: FolderLevelTable;
  folder_resource: FolderResourceTable;
  point: PointTable;
  host: HostTable;
  host_stat: HostStatTable;
  host_tag: HostTagTable;
  job: JobTable;
  job_env: JobEnvTable;
  job_stat: JobStatTable;
  job_resource: JobResourceTable;
  job_usage: JobUsageTable;
  job_mem: JobMemTable;
  layer: LayerTable;
  layer_env: LayerEnvTable;
  layer_stat: LayerStatTable;
  layer_resource: LayerResourceTable;
  layer_usage: LayerUsageTable;
  layer_mem: LayerMemTable;
  layer_limit: LayerLimitTable;
  limit_record: LimitRecordTable;
  frame: FrameTable;
  proc: ProcTable;
  depend: DependTable;
  service: ServiceTable;
  show_service: ShowServiceTable;
  vs_waiting: VsWaitingView;
}

export type ShowRow = Selectable<ShowTable>;
export type NewShow = Insertable<ShowTable>;
export type ShowUpdate = Updateable<ShowTable>;
export type HostRow = Selectable<HostTable>;
export type NewHost = Insertable<HostTable>;
export type HostUpdate = Updateable<HostTable>;
export type JobRow = Selectable<JobTable>;
export type NewJob = Insertable<JobTable>;
export type JobUpdate = Updateable<JobTable>;
export type LayerRow = Selectable<LayerTable>;
export type NewLayer = Insertable<LayerTable>;
export type LayerUpdate = Updateable<LayerTable>;
export type FrameRow = Selectable<FrameTable>;
export type NewFrame = Insertable<FrameTable>;
export type FrameUpdate = Updateable<FrameTable>;
export type ProcRow = Selectable<ProcTable>;
export type NewProc = Insertable<ProcTable>;
export type ProcUpdate = Updateable<ProcTable>;
export type SubscriptionRow = Selectable<SubscriptionTable>;
export type NewSubscription = Insertable<SubscriptionTable>;
export type SubscriptionUpdate = Updateable<SubscriptionTable>;
export type DependRow = Selectable<DependTable>;
export type NewDepend = Insertable<DependTable>;
export type DependUpdate = Updateable<DependTable>;
