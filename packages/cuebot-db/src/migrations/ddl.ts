// Builds CREATE TABLE statements from the column facts in schema/columns.ts, plus the table-level
// constraints Cuebot declares (same names, so errors read the same as on a real Cuebot database).
import { cuebotColumns, type ColumnSpec, type CuebotTableName } from "../schema/columns.js";

/** Table constraints as Cuebot names them: primary keys, unique keys and foreign keys. */
export const cuebotConstraints: Readonly<Record<CuebotTableName, readonly string[]>> = {
  show: ["CONSTRAINT c_show_pk PRIMARY KEY (pk_show)"],
  show_alias: [
    "CONSTRAINT c_show_alias_pk PRIMARY KEY (pk_show_alias)",
    "CONSTRAINT c_show_alias_pk_show FOREIGN KEY (pk_show) REFERENCES show(pk_show)",
  ],
  facility: ["CONSTRAINT c_facility_pk PRIMARY KEY (pk_facility)"],
  dept: ["CONSTRAINT c_dept_pk PRIMARY KEY (pk_dept)"],
  alloc: [
    "CONSTRAINT c_alloc_pk PRIMARY KEY (pk_alloc)",
    "CONSTRAINT c_alloc_name_uniq UNIQUE (str_name)",
    "CONSTRAINT c_alloc_pk_facility FOREIGN KEY (pk_facility) REFERENCES facility(pk_facility)",
  ],
  subscription: [
    "CONSTRAINT c_subscription_pk PRIMARY KEY (pk_subscription)",
    "CONSTRAINT c_subscription_uk UNIQUE (pk_show, pk_alloc)",
    "CONSTRAINT c_subscription_pk_alloc FOREIGN KEY (pk_alloc) REFERENCES alloc(pk_alloc)",
    "CONSTRAINT c_subscription_pk_show FOREIGN KEY (pk_show) REFERENCES show(pk_show)",
  ],
  folder: [
    "CONSTRAINT c_folder_pk PRIMARY KEY (pk_folder)",
    "CONSTRAINT c_folder_uk UNIQUE (pk_parent_folder, str_name)",
    "CONSTRAINT c_folder_pk_dept FOREIGN KEY (pk_dept) REFERENCES dept(pk_dept)",
    "CONSTRAINT c_folder_pk_show FOREIGN KEY (pk_show) REFERENCES show(pk_show)",
  ],
  folder_level: [
    "CONSTRAINT c_folder_level_pk PRIMARY KEY (pk_folder_level)",
    "CONSTRAINT c_folder_level_uk UNIQUE (pk_folder)",
    "CONSTRAINT c_folder_level_pk_folder FOREIGN KEY (pk_folder) REFERENCES folder(pk_folder)",
  ],
  folder_resource: [
    "CONSTRAINT c_folder_resource_pk PRIMARY KEY (pk_folder_resource)",
    "CONSTRAINT c_folder_resource_pk_folder FOREIGN KEY (pk_folder) REFERENCES folder(pk_folder)",
  ],
  point: [
    "CONSTRAINT c_point_pk PRIMARY KEY (pk_point)",
    "CONSTRAINT c_point_pk_show_dept UNIQUE (pk_show, pk_dept)",
    "CONSTRAINT c_point_pk_dept FOREIGN KEY (pk_dept) REFERENCES dept(pk_dept)",
    "CONSTRAINT c_point_pk_show FOREIGN KEY (pk_show) REFERENCES show(pk_show)",
  ],
  host: [
    "CONSTRAINT c_host_pk PRIMARY KEY (pk_host)",
    "CONSTRAINT c_host_uk UNIQUE (str_name)",
    "CONSTRAINT c_str_host_fqdn_uk UNIQUE (str_fqdn)",
    "CONSTRAINT c_host_pk_alloc FOREIGN KEY (pk_alloc) REFERENCES alloc(pk_alloc)",
  ],
  host_stat: [
    "CONSTRAINT c_hoststat_pk PRIMARY KEY (pk_host_stat)",
    "CONSTRAINT c_host_stat_pk_host_uk UNIQUE (pk_host)",
    "CONSTRAINT c_host_stat_pk_host FOREIGN KEY (pk_host) REFERENCES host(pk_host)",
  ],
  host_tag: ["CONSTRAINT c_host_tag_pk PRIMARY KEY (pk_host_tag)"],
  job: [
    "CONSTRAINT c_job_pk PRIMARY KEY (pk_job)",
    "CONSTRAINT c_job_uk UNIQUE (str_visible_name)",
    "CONSTRAINT c_job_pk_dept FOREIGN KEY (pk_dept) REFERENCES dept(pk_dept)",
    "CONSTRAINT c_job_pk_facility FOREIGN KEY (pk_facility) REFERENCES facility(pk_facility)",
    "CONSTRAINT c_job_pk_folder FOREIGN KEY (pk_folder) REFERENCES folder(pk_folder)",
    "CONSTRAINT c_job_pk_show FOREIGN KEY (pk_show) REFERENCES show(pk_show)",
  ],
  job_env: [
    "CONSTRAINT c_job_env_pk PRIMARY KEY (pk_job_env)",
    "CONSTRAINT c_job_env_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
  ],
  job_stat: [
    "CONSTRAINT c_job_stat_pk PRIMARY KEY (pk_job_stat)",
    "CONSTRAINT c_job_stat_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
  ],
  job_resource: [
    "CONSTRAINT c_job_resource_pk PRIMARY KEY (pk_job_resource)",
    "CONSTRAINT c_job_resource_uk UNIQUE (pk_job)",
    "CONSTRAINT c_job_resource_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
  ],
  job_usage: [
    "CONSTRAINT c_job_usage_pk PRIMARY KEY (pk_job_usage)",
    "CONSTRAINT c_job_usage_pk_job_uniq UNIQUE (pk_job)",
    "CONSTRAINT c_job_usage_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
  ],
  job_mem: [
    "CONSTRAINT c_job_mem_pk PRIMARY KEY (pk_job_mem)",
    "CONSTRAINT c_job_mem_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
  ],
  layer: [
    "CONSTRAINT c_layer_pk PRIMARY KEY (pk_layer)",
    "CONSTRAINT c_layer_str_name_unq UNIQUE (str_name, pk_job)",
    "CONSTRAINT c_layer_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
  ],
  layer_env: [
    "CONSTRAINT c_layer_env_pk PRIMARY KEY (pk_layer_env)",
    "CONSTRAINT c_layer_env_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
    "CONSTRAINT c_layer_env_pk_layer FOREIGN KEY (pk_layer) REFERENCES layer(pk_layer)",
  ],
  layer_stat: [
    "CONSTRAINT c_layerstat_pk PRIMARY KEY (pk_layer_stat)",
    "CONSTRAINT c_layer_stat_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
    "CONSTRAINT c_layer_stat_pk_layer FOREIGN KEY (pk_layer) REFERENCES layer(pk_layer)",
  ],
  layer_resource: [
    "CONSTRAINT c_layerresource_pk PRIMARY KEY (pk_layer_resource)",
    "CONSTRAINT c_layerresource_uk UNIQUE (pk_layer)",
    "CONSTRAINT c_layer_resource_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
    "CONSTRAINT c_layer_resource_pk_layer FOREIGN KEY (pk_layer) REFERENCES layer(pk_layer)",
  ],
  layer_usage: [
    "CONSTRAINT c_layer_usage_pk PRIMARY KEY (pk_layer_usage)",
    "CONSTRAINT c_layer_usage_pk_layer_uk UNIQUE (pk_layer)",
    "CONSTRAINT c_layer_usage_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
    "CONSTRAINT c_layer_usage_pk_layer FOREIGN KEY (pk_layer) REFERENCES layer(pk_layer)",
  ],
  layer_mem: [
    "CONSTRAINT c_layer_mem_pk PRIMARY KEY (pk_layer_mem)",
    "CONSTRAINT c_layer_mem_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
    "CONSTRAINT c_layer_mem_pk_layer FOREIGN KEY (pk_layer) REFERENCES layer(pk_layer)",
  ],
  // Cuebot declares no keys on these two; only indexes (see cuebotIndexes).
  layer_limit: [],
  limit_record: [],
  frame: [
    "CONSTRAINT c_frame_pk PRIMARY KEY (pk_frame)",
    "CONSTRAINT c_frame_str_name_unq UNIQUE (str_name, pk_job)",
    "CONSTRAINT c_frame_pk_job FOREIGN KEY (pk_job) REFERENCES job(pk_job)",
    "CONSTRAINT c_frame_pk_layer FOREIGN KEY (pk_layer) REFERENCES layer(pk_layer)",
  ],
  proc: [
    "CONSTRAINT c_proc_pk PRIMARY KEY (pk_proc)",
    "CONSTRAINT c_proc_uk UNIQUE (pk_frame)",
    "CONSTRAINT c_proc_pk_frame FOREIGN KEY (pk_frame) REFERENCES frame(pk_frame)",
    "CONSTRAINT c_proc_pk_host FOREIGN KEY (pk_host) REFERENCES host(pk_host)",
  ],
  depend: ["CONSTRAINT c_depend_pk PRIMARY KEY (pk_depend)"],
  service: ["CONSTRAINT c_pk_service PRIMARY KEY (pk_service)"],
  show_service: [
    "CONSTRAINT c_pk_show_service PRIMARY KEY (pk_show_service)",
    "CONSTRAINT c_show_service_pk_show FOREIGN KEY (pk_show) REFERENCES show(pk_show)",
  ],
};

/** Indexes the scheduler's queries and the tests' ON CONFLICT targets rely on (Cuebot's names). */
export const cuebotIndexes: readonly string[] = [
  "CREATE INDEX IF NOT EXISTS i_alloc_pk_facility ON alloc (pk_facility)",
  "CREATE INDEX IF NOT EXISTS i_subscription_pkalloc ON subscription (pk_alloc)",
  "CREATE INDEX IF NOT EXISTS i_sub_tier ON subscription (float_tier)",
  "CREATE INDEX IF NOT EXISTS i_folder_pkshow ON folder (pk_show)",
  "CREATE INDEX IF NOT EXISTS i_folder_pkparentfolder ON folder (pk_parent_folder)",
  "CREATE INDEX IF NOT EXISTS i_folderresource_pkfolder ON folder_resource (pk_folder)",
  "CREATE INDEX IF NOT EXISTS i_host_pkalloc ON host (pk_alloc)",
  "CREATE INDEX IF NOT EXISTS i_host_strlockstate ON host (str_lock_state)",
  "CREATE INDEX IF NOT EXISTS i_host_tag_pk_host ON host_tag (pk_host)",
  "CREATE INDEX IF NOT EXISTS i_host_str_tag_type ON host_tag (str_tag_type)",
  "CREATE INDEX IF NOT EXISTS i_host_stat_str_os ON host_stat (str_os)",
  "CREATE INDEX IF NOT EXISTS i_job_pkshow ON job (pk_show)",
  "CREATE INDEX IF NOT EXISTS i_job_pkgroup ON job (pk_folder)",
  "CREATE INDEX IF NOT EXISTS i_job_str_state ON job (str_state)",
  "CREATE INDEX IF NOT EXISTS i_booking_3 ON job (str_state, b_paused, pk_show, pk_facility)",
  "CREATE INDEX IF NOT EXISTS i_job_active_pkjob ON job (pk_job) WHERE str_state <> 'FINISHED'",
  "CREATE INDEX IF NOT EXISTS idx_job_pending_lookup ON job (pk_show, pk_facility, str_state, b_paused) WHERE str_state = 'PENDING' AND b_paused = false",
  "CREATE INDEX IF NOT EXISTS i_job_env_pk_job ON job_env (pk_job)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_job_stat_pk_job ON job_stat (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_job_stat_int_waiting_count ON job_stat (int_waiting_count)",
  "CREATE INDEX IF NOT EXISTS i_job_resource_int_priority ON job_resource (int_priority)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_job_mem_pk_job ON job_mem (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_layer_pkjob ON layer (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_layer_int_dispatch_order ON layer (int_dispatch_order)",
  "CREATE INDEX IF NOT EXISTS idx_layer_tags_array ON layer USING gin (string_to_array(replace(str_tags::text, ' ', ''), '|'))",
  "CREATE INDEX IF NOT EXISTS i_layer_start_after ON layer (ts_start_after) WHERE ts_start_after IS NOT NULL",
  "CREATE INDEX IF NOT EXISTS i_layer_env_pk_layer ON layer_env (pk_layer)",
  "CREATE INDEX IF NOT EXISTS i_layer_env_pk_job ON layer_env (pk_job)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_layer_stat_pk_layer ON layer_stat (pk_layer)",
  "CREATE INDEX IF NOT EXISTS i_layerstat_pkjob ON layer_stat (pk_job)",
  "CREATE INDEX IF NOT EXISTS idx_layer_stat_waiting ON layer_stat (pk_layer) WHERE int_waiting_count > 0",
  "CREATE INDEX IF NOT EXISTS i_layer_resource_pk_job ON layer_resource (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_layer_usage_pk_job ON layer_usage (pk_job)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_layer_mem_pk_layer ON layer_mem (pk_layer)",
  "CREATE INDEX IF NOT EXISTS i_layer_mem_pk_job ON layer_mem (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_layer_limit_pk_layer ON layer_limit (pk_layer)",
  "CREATE INDEX IF NOT EXISTS i_layer_limit_pk_limit_record ON layer_limit (pk_limit_record)",
  "CREATE INDEX IF NOT EXISTS i_limit_record_pk_limit_record ON limit_record (pk_limit_record)",
  "CREATE INDEX IF NOT EXISTS i_frame_pk_job ON frame (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_frame_pkjoblayer ON frame (pk_layer)",
  "CREATE INDEX IF NOT EXISTS i_frame_state_job ON frame (str_state, pk_job)",
  "CREATE INDEX IF NOT EXISTS i_frame_dispatch_idx ON frame (int_dispatch_order, int_layer_order)",
  "CREATE INDEX IF NOT EXISTS i_frame_depend_candidates ON frame (pk_job, pk_layer, pk_frame) WHERE str_state = 'DEPEND' AND int_depend_count > 0",
  "CREATE INDEX IF NOT EXISTS i_proc_pkhost ON proc (pk_host)",
  "CREATE INDEX IF NOT EXISTS i_proc_pkjob ON proc (pk_job)",
  "CREATE INDEX IF NOT EXISTS i_proc_pklayer ON proc (pk_layer)",
  "CREATE INDEX IF NOT EXISTS i_proc_pkshow ON proc (pk_show)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_depend_signature ON depend (str_signature)",
  "CREATE INDEX IF NOT EXISTS i_depend_pkparent ON depend (pk_parent)",
  "CREATE INDEX IF NOT EXISTS i_depend_on_layer ON depend (pk_layer_depend_on)",
  "CREATE INDEX IF NOT EXISTS i_depend_on_frame ON depend (pk_frame_depend_on)",
  "CREATE INDEX IF NOT EXISTS i_depend_er_layer ON depend (pk_layer_depend_er)",
  "CREATE INDEX IF NOT EXISTS i_depend_er_frame ON depend (pk_frame_depend_er)",
  "CREATE INDEX IF NOT EXISTS i_depend_pk_on_job ON depend (pk_job_depend_on)",
  "CREATE INDEX IF NOT EXISTS i_depend_pk_er_job ON depend (pk_job_depend_er)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_service_str_name ON service (str_name)",
  "CREATE UNIQUE INDEX IF NOT EXISTS i_show_service_str_name ON show_service (str_name, pk_show)",
  "CREATE INDEX IF NOT EXISTS i_show_alias_pk_show ON show_alias (pk_show)",
  "CREATE INDEX IF NOT EXISTS i_point_pk_show ON point (pk_show)",
];

function columnSql(name: string, spec: ColumnSpec): string {
  const parts = [name, spec.type];
  if (spec.default !== undefined) parts.push(`DEFAULT ${spec.default}`);
  if (!spec.nullable) parts.push("NOT NULL");
  return parts.join(" ");
}

/** CREATE TABLE IF NOT EXISTS for one declared table, columns in Cuebot's order. */
export function createTableSql(table: CuebotTableName): string {
  const columns: Record<string, ColumnSpec> = cuebotColumns[table];
  const lines = [
    ...Object.entries(columns).map(([name, spec]) => columnSql(name, spec)),
    ...cuebotConstraints[table],
  ];
  return `CREATE TABLE IF NOT EXISTS ${table} (\n  ${lines.join(",\n  ")}\n)`;
}

/** Tables in an order that satisfies every foreign key. */
export const tableCreationOrder: readonly CuebotTableName[] = [
  "show", "show_alias", "facility", "dept", "alloc", "subscription", "folder", "folder_level",
  "folder_resource", "point", "host", "host_stat", "host_tag", "job", "job_env", "job_stat",
  "job_resource", "job_usage", "job_mem", "layer", "layer_env", "layer_stat", "layer_resource",
  "layer_usage", "layer_mem", "limit_record", "layer_limit", "frame", "proc", "depend", "service",
  "show_service",
];
