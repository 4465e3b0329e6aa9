// Trigger behaviour the scheduler and report handling rely on, written for this package with the
// same function and trigger names as Cuebot's so a real Cuebot database and this one behave alike.
// History tables (frame_history, job_history, layer_history) are not part of the subset, so the
// history side effects of Cuebot's triggers are left out.

/** Helper functions Cuebot's tier triggers call. */
export const tierFunctions: readonly string[] = [
  // Hard tier: usage relative to a share; with no share the tier grows with usage.
  `CREATE OR REPLACE FUNCTION tier(numeric, numeric) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
  cores ALIAS FOR $1;
  share ALIAS FOR $2;
BEGIN
  IF share = 0 THEN
    RETURN (cores / 100) + 1;
  END IF;
  IF cores = 0 THEN
    RETURN share * -1;
  END IF;
  RETURN cores / share;
END;
$$`,
  // Soft tier: 1 once the minimum is met, otherwise the fraction reached (negative minimum when idle).
  `CREATE OR REPLACE FUNCTION soft_tier(numeric, numeric) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
  cores ALIAS FOR $1;
  minimum ALIAS FOR $2;
BEGIN
  IF cores IS NULL THEN
    RETURN 0;
  END IF;
  IF minimum = 0 OR cores >= minimum THEN
    RETURN 1;
  END IF;
  IF cores = 0 THEN
    RETURN minimum * -1;
  END IF;
  RETURN cores / minimum;
END;
$$`,
];

interface TriggerDef {
  readonly name: string;
  readonly table: string;
  /** e.g. "BEFORE UPDATE" */
  readonly timing: string;
  readonly when?: string;
  readonly body: string;
  /** What the function returns at the end of the body. */
  readonly returns: "NEW" | "OLD" | "NULL";
}

export const cuebotTriggers: readonly TriggerDef[] = [
  // --- folders: every folder gets its level and resource row (the job query inner-joins it) ---
  {
    name: "before_insert_folder", table: "folder", timing: "BEFORE INSERT", returns: "NEW",
    body: `IF NEW.pk_parent_folder IS NULL THEN NEW.b_default := true; END IF;`,
  },
  {
    name: "after_insert_folder", table: "folder", timing: "AFTER INSERT", returns: "NULL",
    body: `INSERT INTO folder_level (pk_folder_level, pk_folder, int_level)
  VALUES (NEW.pk_folder, NEW.pk_folder,
          COALESCE((SELECT int_level + 1 FROM folder_level WHERE pk_folder = NEW.pk_parent_folder), 0));
INSERT INTO folder_resource (pk_folder_resource, pk_folder) VALUES (NEW.pk_folder, NEW.pk_folder);`,
  },
  {
    name: "before_delete_folder", table: "folder", timing: "BEFORE DELETE", returns: "OLD",
    body: `DELETE FROM folder_level WHERE pk_folder = OLD.pk_folder;
DELETE FROM folder_resource WHERE pk_folder = OLD.pk_folder;`,
  },
  // --- jobs and layers: their stat/resource/usage/mem rows are keyed by the parent id ---
  {
    name: "after_insert_job", table: "job", timing: "AFTER INSERT", returns: "NULL",
    body: `INSERT INTO job_stat (pk_job_stat, pk_job) VALUES (NEW.pk_job, NEW.pk_job);
INSERT INTO job_resource (pk_job_resource, pk_job) VALUES (NEW.pk_job, NEW.pk_job);
INSERT INTO job_usage (pk_job_usage, pk_job) VALUES (NEW.pk_job, NEW.pk_job);
INSERT INTO job_mem (pk_job_mem, pk_job) VALUES (NEW.pk_job, NEW.pk_job);`,
  },
  {
    name: "before_delete_job", table: "job", timing: "BEFORE DELETE", returns: "OLD",
    body: `DELETE FROM depend WHERE pk_job_depend_on = OLD.pk_job OR pk_job_depend_er = OLD.pk_job;
DELETE FROM frame WHERE pk_job = OLD.pk_job;
DELETE FROM layer WHERE pk_job = OLD.pk_job;
DELETE FROM job_env WHERE pk_job = OLD.pk_job;
DELETE FROM job_stat WHERE pk_job = OLD.pk_job;
DELETE FROM job_resource WHERE pk_job = OLD.pk_job;
DELETE FROM job_usage WHERE pk_job = OLD.pk_job;
DELETE FROM job_mem WHERE pk_job = OLD.pk_job;`,
  },
  {
    name: "after_insert_layer", table: "layer", timing: "AFTER INSERT", returns: "NEW",
    body: `INSERT INTO layer_stat (pk_layer_stat, pk_layer, pk_job) VALUES (NEW.pk_layer, NEW.pk_layer, NEW.pk_job);
INSERT INTO layer_resource (pk_layer_resource, pk_layer, pk_job) VALUES (NEW.pk_layer, NEW.pk_layer, NEW.pk_job);
INSERT INTO layer_usage (pk_layer_usage, pk_layer, pk_job) VALUES (NEW.pk_layer, NEW.pk_layer, NEW.pk_job);
INSERT INTO layer_mem (pk_layer_mem, pk_layer, pk_job) VALUES (NEW.pk_layer, NEW.pk_layer, NEW.pk_job);`,
  },
  {
    name: "before_delete_layer", table: "layer", timing: "BEFORE DELETE", returns: "OLD",
    body: `DELETE FROM layer_resource WHERE pk_layer = OLD.pk_layer;
DELETE FROM layer_stat WHERE pk_layer = OLD.pk_layer;
DELETE FROM layer_usage WHERE pk_layer = OLD.pk_layer;
DELETE FROM layer_env WHERE pk_layer = OLD.pk_layer;
DELETE FROM layer_mem WHERE pk_layer = OLD.pk_layer;`,
  },
  {
    name: "before_delete_layer_drop_limit", table: "layer", timing: "BEFORE DELETE", returns: "OLD",
    body: `DELETE FROM layer_limit WHERE pk_layer = OLD.pk_layer;`,
  },
  {
    name: "before_delete_host", table: "host", timing: "BEFORE DELETE", returns: "OLD",
    body: `DELETE FROM host_stat WHERE pk_host = OLD.pk_host;
DELETE FROM host_tag WHERE pk_host = OLD.pk_host;`,
  },
  // --- frames: state counts and dependency gating ---
  {
    // Moves one unit from int_<old>_count to int_<new>_count in layer_stat and job_stat. Frames
    // leaving SETUP are counted by job activation instead, as in Cuebot.
    name: "update_frame_status_counts", table: "frame", timing: "AFTER UPDATE", returns: "NULL",
    when: "OLD.str_state <> 'SETUP' AND OLD.str_state <> NEW.str_state",
    body: `EXECUTE format('UPDATE layer_stat SET %1$I = %1$I - 1, %2$I = %2$I + 1 WHERE pk_layer = $1',
  'int_' || lower(OLD.str_state) || '_count', 'int_' || lower(NEW.str_state) || '_count') USING NEW.pk_layer;
EXECUTE format('UPDATE job_stat SET %1$I = %1$I - 1, %2$I = %2$I + 1 WHERE pk_job = $1',
  'int_' || lower(OLD.str_state) || '_count', 'int_' || lower(NEW.str_state) || '_count') USING NEW.pk_job;
IF NEW.str_state = 'RUNNING' THEN
  UPDATE layer_stat SET ts_started = COALESCE(ts_started, NEW.ts_started, current_timestamp)
   WHERE pk_layer = NEW.pk_layer;
END IF;
IF OLD.str_state = 'RUNNING' THEN
  UPDATE layer_stat SET ts_stopped = COALESCE(NEW.ts_stopped, current_timestamp)
   WHERE pk_layer = NEW.pk_layer;
END IF;`,
  },
  {
    // A frame that still has unsatisfied dependencies cannot be WAITING (or be retried).
    name: "update_frame_wait_to_dep", table: "frame", timing: "BEFORE UPDATE", returns: "NEW",
    when: "NEW.int_depend_count > 0 AND NEW.str_state IN ('DEAD', 'SUCCEEDED', 'WAITING', 'CHECKPOINT')",
    body: `NEW.str_state := 'DEPEND';
NEW.ts_updated := current_timestamp;
NEW.int_version := NEW.int_version + 1;`,
  },
  {
    // The last dependency satisfied releases the frame.
    name: "update_frame_dep_to_wait", table: "frame", timing: "BEFORE UPDATE", returns: "NEW",
    when: "OLD.int_depend_count > 0 AND NEW.int_depend_count < 1 AND OLD.str_state = 'DEPEND'",
    body: `NEW.str_state := 'WAITING';
NEW.ts_updated := current_timestamp;
NEW.ts_eligible := current_timestamp;
NEW.int_version := NEW.int_version + 1;`,
  },
  {
    name: "update_frame_eaten", table: "frame", timing: "BEFORE UPDATE", returns: "NEW",
    when: "NEW.str_state = 'EATEN' AND OLD.str_state = 'SUCCEEDED'",
    body: `NEW.str_state := 'SUCCEEDED';`,
  },
  {
    name: "update_frame_checkpoint_state", table: "frame", timing: "BEFORE UPDATE", returns: "NEW",
    when: "NEW.str_state = 'WAITING' AND OLD.str_state = 'RUNNING' AND NEW.str_checkpoint_state IN ('ENABLED', 'COPYING')",
    body: `NEW.str_state := 'CHECKPOINT';`,
  },
  {
    name: "set_frame_ts_eligible_on_insert", table: "frame", timing: "BEFORE INSERT", returns: "NEW",
    body: `IF NEW.str_state = 'WAITING' AND NEW.ts_eligible IS NULL THEN NEW.ts_eligible := current_timestamp; END IF;`,
  },
  {
    name: "set_frame_ts_eligible_setup_to_wait", table: "frame", timing: "BEFORE UPDATE", returns: "NEW",
    when: "OLD.str_state = 'SETUP' AND NEW.str_state = 'WAITING'",
    body: `NEW.ts_eligible := current_timestamp;`,
  },
  // --- procs ---
  {
    name: "before_insert_proc", table: "proc", timing: "BEFORE INSERT", returns: "NEW",
    body: `IF NEW.int_cores_reserved <= 0 THEN
  RAISE EXCEPTION 'failed to allocate proc, tried to allocate 0 cores';
END IF;`,
  },
  {
    // Report handling raises a proc's reservation when a frame outgrows it; the host pays for it.
    name: "upgrade_proc_memory_usage", table: "proc", timing: "AFTER UPDATE", returns: "NULL",
    when: "NEW.int_mem_reserved <> OLD.int_mem_reserved",
    body: `UPDATE host SET int_mem_idle = int_mem_idle - (NEW.int_mem_reserved - OLD.int_mem_reserved)
 WHERE pk_host = NEW.pk_host;`,
  },
  {
    name: "update_proc_update_layer", table: "proc", timing: "AFTER UPDATE", returns: "NULL",
    when: "NEW.pk_layer <> OLD.pk_layer",
    body: `UPDATE layer_resource SET int_cores = int_cores - OLD.int_cores_reserved, int_gpus = int_gpus - OLD.int_gpus_reserved
 WHERE pk_layer = OLD.pk_layer;
UPDATE layer_resource SET int_cores = int_cores + NEW.int_cores_reserved, int_gpus = int_gpus + NEW.int_gpus_reserved
 WHERE pk_layer = NEW.pk_layer;`,
  },
  // --- guards: the database refuses over-allocation whatever the dispatcher believed ---
  {
    name: "verify_host_resources", table: "host", timing: "BEFORE UPDATE", returns: "NEW",
    when: "NEW.int_cores_idle <> OLD.int_cores_idle OR NEW.int_mem_idle <> OLD.int_mem_idle OR NEW.int_gpus_idle <> OLD.int_gpus_idle OR NEW.int_gpu_mem_idle <> OLD.int_gpu_mem_idle",
    body: `IF NEW.int_cores_idle < 0 THEN RAISE EXCEPTION 'unable to allocate additional core units'; END IF;
IF NEW.int_mem_idle < 0 THEN RAISE EXCEPTION 'unable to allocate additional memory'; END IF;
IF NEW.int_gpus_idle < 0 THEN RAISE EXCEPTION 'unable to allocate additional GPU units'; END IF;
IF NEW.int_gpu_mem_idle < 0 THEN RAISE EXCEPTION 'unable to allocate additional GPU memory'; END IF;`,
  },
  {
    // Only when burst is unchanged and cores grow: changing burst in the same UPDATE bypasses it.
    name: "verify_subscription", table: "subscription", timing: "BEFORE UPDATE", returns: "NEW",
    when: "NEW.int_burst = OLD.int_burst AND NEW.int_cores > OLD.int_cores",
    body: `IF NEW.int_cores > NEW.int_burst THEN RAISE EXCEPTION 'subscription has exceeded burst size'; END IF;`,
  },
  {
    name: "verify_job_resources", table: "job_resource", timing: "BEFORE UPDATE", returns: "NEW",
    when: "(NEW.int_max_cores = OLD.int_max_cores AND NEW.int_cores > OLD.int_cores) OR (NEW.int_max_gpus = OLD.int_max_gpus AND NEW.int_gpus > OLD.int_gpus)",
    body: `IF NEW.int_cores > NEW.int_max_cores THEN RAISE EXCEPTION 'job has exceeded max cores'; END IF;
IF NEW.int_gpus > NEW.int_max_gpus THEN RAISE EXCEPTION 'job has exceeded max GPU units'; END IF;`,
  },
  // --- tiers (fair-share ordering for Cuebot's own dispatcher) ---
  {
    name: "tier_subscription", table: "subscription", timing: "BEFORE UPDATE", returns: "NEW",
    body: `NEW.float_tier := tier(NEW.int_cores, NEW.int_size);`,
  },
  {
    name: "tier_job", table: "job_resource", timing: "BEFORE UPDATE", returns: "NEW",
    body: `NEW.float_tier := tier(NEW.int_cores, NEW.int_min_cores);`,
  },
  {
    name: "tier_folder", table: "folder_resource", timing: "BEFORE UPDATE", returns: "NEW",
    body: `NEW.float_tier := soft_tier(NEW.int_cores, NEW.int_min_cores);`,
  },
  {
    name: "point_tier", table: "point", timing: "BEFORE UPDATE", returns: "NEW",
    body: `NEW.float_tier := soft_tier(NEW.int_cores, NEW.int_min_cores);`,
  },
];

/** The function and the trigger for one definition; both replaceable, so re-running is harmless. */
export function triggerSql(def: TriggerDef): readonly string[] {
  const fn = `trigger__${def.name}`;
  return [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
${def.body}
RETURN ${def.returns};
END;
$fn$`,
    `CREATE OR REPLACE TRIGGER ${def.name} ${def.timing} ON ${def.table} FOR EACH ROW` +
      (def.when ? ` WHEN (${def.when})` : "") + ` EXECUTE FUNCTION ${fn}()`,
  ];
}

/** vs_waiting: shows with a pending, unpaused job that has waiting frames and core head-room. */
export const vsWaitingViewSql = `CREATE OR REPLACE VIEW vs_waiting AS
SELECT job.pk_show
  FROM job_resource jr, job_stat, job
 WHERE job_stat.pk_job = job.pk_job
   AND jr.pk_job = job.pk_job
   AND job.str_state = 'PENDING'
   AND job.b_paused = false
   AND jr.int_max_cores - jr.int_cores >= 100
   AND job_stat.int_waiting_count <> 0
 GROUP BY job.pk_show`;
