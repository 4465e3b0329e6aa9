// Farm model: builds a Cuebot-shaped farm (facilities, shows, allocations, subscriptions, folders,
// hosts, jobs with layers, frames and dependencies) the way Cuebot leaves it in its database, for
// tests, the demo and benchmarks. Frames are created in their final state (WAITING, or DEPEND when
// they have unsatisfied dependencies) with the stat counts Cuebot's job activation writes; large
// layers go in with one array-parameter INSERT per 50 000 frames.
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../schema/tables.js";
import { dependSignature } from "./depend-signature.js";
import { chunkFrames, frameName, parseFrameSet } from "./frame-set.js";
import { coreUnits } from "./units.js";

export interface FacilityRef { readonly id: string; readonly name: string }
export interface DeptRef { readonly id: string; readonly name: string }
export interface FolderRef { readonly id: string; readonly name: string; readonly showId: string; readonly deptId: string }
export interface ShowRef { readonly id: string; readonly name: string; readonly rootFolder: FolderRef }
export interface AllocRef { readonly id: string; readonly name: string; readonly tag: string; readonly facilityId: string }
export interface SubscriptionRef { readonly id: string; readonly showId: string; readonly allocId: string }
export interface LimitRef { readonly id: string; readonly name: string }
export interface HostRef { readonly id: string; readonly name: string; readonly allocId: string }

export type HostLockState = "OPEN" | "LOCKED" | "NIMBY_LOCKED";
/** host.int_thread_mode: 0 AUTO, 1 ALL, 2 VARIABLE. */
export type ThreadMode = 0 | 1 | 2;

export interface HostSpec {
  readonly name: string;
  readonly alloc: AllocRef;
  /** Whole cores (stored as centicores). */
  readonly cores: number;
  /** Total memory in KB; also reported free in host_stat unless freeMemoryKb says otherwise. */
  readonly memoryKb: number;
  readonly freeMemoryKb?: number;
  readonly gpus?: number;
  readonly gpuMemoryKb?: number;
  /** Manual tags (host_tag type MANUAL); the alloc tag (ALLOC) and host name (HOSTNAME) are added. */
  readonly tags?: readonly string[];
  /** host_stat.str_os (default "linux"). */
  readonly os?: string;
  readonly lockState?: HostLockState;
  /** host_stat.str_state (default "UP"). */
  readonly state?: string;
  readonly threadMode?: ThreadMode;
}

export interface LayerSpec {
  readonly name: string;
  /** Frame range, e.g. "1-100x2", "1-10:2", "1,3,5". */
  readonly range: string;
  readonly command?: string;
  readonly chunkSize?: number;
  /** Minimum cores per frame, whole cores (default 1; 0 = whole host, negative = all but N). */
  readonly minCores?: number;
  /** Per-frame core limit, whole cores (default 0 = none). */
  readonly maxCores?: number;
  /** Minimum memory per frame in KB (default 4 194 304 = 4 GiB, Cuebot's default). */
  readonly minMemoryKb?: number;
  readonly minGpus?: number;
  readonly minGpuMemoryKb?: number;
  /** Host tags the layer runs on (default ["general"]); stored joined with " | ". */
  readonly tags?: readonly string[];
  /** Services (default ["default"]); stored comma-joined. */
  readonly services?: readonly string[];
  /** Limit records by reference or name; they must exist. */
  readonly limits?: readonly (LimitRef | string)[];
  readonly threadable?: boolean;
  /** layer.str_type (default "Render"). */
  readonly type?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** layer.ts_start_after: frames are not dispatched before this time. */
  readonly startAfter?: Date;
}

export type DependencyType = "LAYER_ON_LAYER" | "FRAME_BY_FRAME";

export interface DependencySpec {
  /** LAYER_ON_LAYER: every frame of `layer` waits for all of `onLayer`. FRAME_BY_FRAME: frame N waits for frame N. */
  readonly type: DependencyType;
  /** The waiting layer, by name, in the job being submitted. */
  readonly layer: string;
  /** The layer waited on: a layer name in this job, or a layer of an earlier job. */
  readonly onLayer: string | SubmittedLayer;
}

export interface JobSpec {
  readonly show: ShowRef;
  readonly facility: FacilityRef;
  readonly name: string;
  /** Default: the show's root folder. */
  readonly folder?: FolderRef;
  readonly user?: string;
  readonly shot?: string;
  readonly uid?: number | null;
  /** job.str_os: the OS every layer requires (default null = any). */
  readonly os?: string | null;
  readonly logDir?: string;
  /** job_resource.int_priority (default 1). */
  readonly priority?: number;
  /** Whole cores (default: Cuebot's defaults, 100 cores in job_resource). */
  readonly maxCores?: number;
  readonly minCores?: number;
  readonly maxGpus?: number;
  readonly paused?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  readonly layers: readonly LayerSpec[];
  readonly dependencies?: readonly DependencySpec[];
}

export interface SubmittedLayer {
  readonly id: string;
  readonly jobId: string;
  readonly name: string;
  /** Frame numbers in creation (dispatch) order. */
  readonly frameNumbers: readonly number[];
}

export interface SubmittedJob {
  readonly id: string;
  readonly name: string;
  readonly showId: string;
  readonly facilityId: string;
  readonly folderId: string;
  readonly deptId: string;
  readonly layers: Readonly<Record<string, SubmittedLayer>>;
  readonly frameCount: number;
  /** Ids of the depend rows created (composite parents included). */
  readonly dependIds: readonly string[];
}

export interface Farm {
  readonly db: Kysely<Database>;
  createFacility(name: string): Promise<FacilityRef>;
  createDept(name: string): Promise<DeptRef>;
  /** A show and its root folder (named after the show) in `dept` (default: a dept named "Unknown"). */
  createShow(spec: { name: string; schedulerManaged?: boolean; active?: boolean; dept?: DeptRef }): Promise<ShowRef>;
  /** An allocation; its tag defaults to the part of the name after the last ".". */
  createAlloc(spec: { facility: FacilityRef; name: string; tag?: string }): Promise<AllocRef>;
  /** size and burst in whole cores (stored as centicores). */
  createSubscription(spec: { show: ShowRef; alloc: AllocRef; size: number; burst: number }): Promise<SubscriptionRef>;
  /** A sub-folder (default parent: the show's root folder); caps in whole cores/GPUs, -1 = unlimited. */
  createFolder(spec: { show: ShowRef; name: string; parent?: FolderRef; dept?: DeptRef; maxCores?: number; maxGpus?: number; minCores?: number }): Promise<FolderRef>;
  /** A limit record; maxValue null means unlimited. */
  createLimit(spec: { name: string; maxValue: number | null }): Promise<LimitRef>;
  registerHost(spec: HostSpec): Promise<HostRef>;
  /** Many hosts with multi-row inserts. */
  registerHosts(specs: readonly HostSpec[]): Promise<HostRef[]>;
  /** A PENDING job with its layers, frames (WAITING or DEPEND) and dependencies, in one transaction. */
  submitJob(spec: JobSpec): Promise<SubmittedJob>;
  /**
   * Satisfies a dependency (and, for a composite one, its children): each waiting frame's depend
   * count drops by one and the triggers release frames reaching zero. Returns the frames updated.
   */
  satisfyDepend(dependId: string): Promise<number>;
}

const FRAME_BATCH = 50_000;
const HOST_BATCH = 1_000;

/** Frames leave the DB in these states; DEPEND when int_depend_count > 0. */
type InitialState = "WAITING" | "DEPEND";

interface PendingDepend {
  readonly id: string;
  readonly parent: string | null;
  readonly type: string;
  readonly erJob: string;
  readonly erLayer: string;
  readonly erFrame: string | null;
  readonly onJob: string;
  readonly onLayer: string;
  readonly onFrame: string | null;
  readonly composite: boolean;
}

export function createFarm(db: Kysely<Database>): Farm {
  async function ensureDept(trx: Kysely<Database> | Transaction<Database>, name: string): Promise<DeptRef> {
    const existing = await trx.selectFrom("dept").select(["pk_dept", "str_name"]).where("str_name", "=", name).executeTakeFirst();
    if (existing) return { id: existing.pk_dept, name: existing.str_name };
    const id = randomUUID();
    await trx.insertInto("dept").values({ pk_dept: id, str_name: name }).execute();
    return { id, name };
  }

  async function insertFolder(trx: Kysely<Database> | Transaction<Database>, spec: { showId: string; name: string; deptId: string; parentId: string | null; maxCores?: number; maxGpus?: number; minCores?: number }): Promise<FolderRef> {
    const id = randomUUID();
    await trx.insertInto("folder").values({ pk_folder: id, pk_parent_folder: spec.parentId, pk_show: spec.showId, str_name: spec.name, pk_dept: spec.deptId }).execute();
    const maxCores = spec.maxCores === undefined || spec.maxCores < 0 ? -1 : coreUnits(spec.maxCores);
    const minCores = spec.minCores === undefined ? 0 : coreUnits(spec.minCores);
    const maxGpus = spec.maxGpus === undefined || spec.maxGpus < 0 ? -1 : spec.maxGpus;
    if (maxCores !== -1 || minCores !== 0 || maxGpus !== -1) {
      await trx.updateTable("folder").set({ int_max_cores: maxCores, int_min_cores: minCores, int_max_gpus: maxGpus }).where("pk_folder", "=", id).execute();
      // folder_resource (created by the folder trigger) holds the caps the dispatchers read.
      await trx.updateTable("folder_resource").set({ int_max_cores: maxCores, int_min_cores: minCores, int_max_gpus: maxGpus }).where("pk_folder", "=", id).execute();
    }
    return { id, name: spec.name, showId: spec.showId, deptId: spec.deptId };
  }

  function hostRows(specs: readonly HostSpec[]) {
    const hosts = [];
    const stats = [];
    const tags = [];
    for (const spec of specs) {
      const id = randomUUID();
      const manual = spec.tags ?? [];
      const allTags = [spec.alloc.tag, spec.name, ...manual];
      const strTags = allTags.join(" ");
      if (strTags.length > 128) throw new Error(`host ${spec.name}: tags "${strTags}" exceed host.str_tags' 128 characters`);
      const cores = coreUnits(spec.cores);
      hosts.push({
        pk_host: id, pk_alloc: spec.alloc.id, str_name: spec.name, str_lock_state: spec.lockState ?? "OPEN",
        int_cores: cores, int_cores_idle: cores, int_mem: spec.memoryKb, int_mem_idle: spec.memoryKb,
        int_gpus: spec.gpus ?? 0, int_gpus_idle: spec.gpus ?? 0, int_gpu_mem: spec.gpuMemoryKb ?? 0, int_gpu_mem_idle: spec.gpuMemoryKb ?? 0,
        int_thread_mode: spec.threadMode ?? 0, str_tags: strTags, str_fqdn: spec.name,
      });
      stats.push({
        pk_host_stat: id, pk_host: id, int_mem_total: spec.memoryKb, int_mem_free: spec.freeMemoryKb ?? spec.memoryKb,
        int_gpu_mem_total: spec.gpuMemoryKb ?? 0, int_gpu_mem_free: spec.gpuMemoryKb ?? 0,
        str_state: spec.state ?? "UP", str_os: spec.os ?? "linux",
      });
      tags.push({ pk_host_tag: randomUUID(), pk_host: id, str_tag: spec.alloc.tag, str_tag_type: "ALLOC" });
      tags.push({ pk_host_tag: randomUUID(), pk_host: id, str_tag: spec.name, str_tag_type: "HOSTNAME" });
      for (const tag of manual) tags.push({ pk_host_tag: randomUUID(), pk_host: id, str_tag: tag, str_tag_type: "MANUAL" });
    }
    return { hosts, stats, tags };
  }

  async function registerHosts(specs: readonly HostSpec[]): Promise<HostRef[]> {
    if (specs.length === 0) return [];
    const { hosts, stats, tags } = hostRows(specs);
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < hosts.length; i += HOST_BATCH) await trx.insertInto("host").values(hosts.slice(i, i + HOST_BATCH)).execute();
      for (let i = 0; i < stats.length; i += HOST_BATCH) await trx.insertInto("host_stat").values(stats.slice(i, i + HOST_BATCH)).execute();
      for (let i = 0; i < tags.length; i += HOST_BATCH) await trx.insertInto("host_tag").values(tags.slice(i, i + HOST_BATCH)).execute();
    });
    return hosts.map((h) => ({ id: h.pk_host, name: h.str_name, allocId: h.pk_alloc }));
  }

  async function insertFrames(trx: Transaction<Database>, rows: { ids: string[]; layer: string; job: string; names: string[]; states: InitialState[]; numbers: number[]; dependCounts: number[]; layerOrder: number }): Promise<void> {
    for (let start = 0; start < rows.ids.length; start += FRAME_BATCH) {
      const end = Math.min(start + FRAME_BATCH, rows.ids.length);
      const order = Array.from({ length: end - start }, (_, i) => start + i);
      await sql`
        INSERT INTO frame (pk_frame, pk_layer, pk_job, str_name, str_state, int_number, int_depend_count,
                           int_dispatch_order, int_layer_order, ts_updated, ts_llu)
        SELECT f.id, ${rows.layer}, ${rows.job}, f.name, f.state, f.num, f.deps, f.ord, ${rows.layerOrder},
               current_timestamp, current_timestamp
          FROM unnest(${rows.ids.slice(start, end)}::varchar[], ${rows.names.slice(start, end)}::varchar[],
                      ${rows.states.slice(start, end)}::varchar[], ${rows.numbers.slice(start, end)}::bigint[],
                      ${rows.dependCounts.slice(start, end)}::bigint[], ${order}::bigint[])
               AS f(id, name, state, num, deps, ord)`.execute(trx);
    }
  }

  async function insertDepends(trx: Transaction<Database>, depends: readonly PendingDepend[]): Promise<void> {
    for (let start = 0; start < depends.length; start += FRAME_BATCH) {
      const batch = depends.slice(start, start + FRAME_BATCH);
      const column = <T>(pick: (d: PendingDepend) => T): T[] => batch.map(pick);
      await sql`
        INSERT INTO depend (pk_depend, pk_parent, pk_job_depend_er, pk_layer_depend_er, pk_frame_depend_er,
                            pk_job_depend_on, pk_layer_depend_on, pk_frame_depend_on, str_type, b_composite, str_signature)
        SELECT * FROM unnest(${column((d) => d.id)}::varchar[], ${column((d) => d.parent)}::varchar[],
                             ${column((d) => d.erJob)}::varchar[], ${column((d) => d.erLayer)}::varchar[],
                             ${column((d) => d.erFrame)}::varchar[], ${column((d) => d.onJob)}::varchar[],
                             ${column((d) => d.onLayer)}::varchar[], ${column((d) => d.onFrame)}::varchar[],
                             ${column((d) => d.type)}::varchar[], ${column((d) => d.composite)}::boolean[],
                             ${column((d) => dependSignature([d.type, d.erJob, d.erLayer, d.erFrame, d.onJob, d.onLayer, d.onFrame]))}::varchar[])`.execute(trx);
    }
  }

  async function submitJob(spec: JobSpec): Promise<SubmittedJob> {
    if (spec.layers.length === 0) throw new Error(`job ${spec.name} has no layers`);
    const names = new Set<string>();
    for (const layer of spec.layers) {
      if (names.has(layer.name)) throw new Error(`job ${spec.name}: duplicate layer name ${layer.name}`);
      names.add(layer.name);
    }
    const jobId = randomUUID();
    const folder = spec.folder ?? spec.show.rootFolder;
    const deptId = folder.deptId;

    // Frame numbers and ids per layer, before any dependency is counted.
    const plans = spec.layers.map((layer, index) => {
      const numbers = chunkFrames(parseFrameSet(layer.range), layer.chunkSize ?? 1);
      return {
        spec: layer,
        id: randomUUID(),
        order: index + 1,
        numbers,
        frameIds: numbers.map(() => randomUUID()),
        dependCounts: new Array<number>(numbers.length).fill(0),
      };
    });
    const byName = new Map(plans.map((p) => [p.spec.name, p]));

    const depends: PendingDepend[] = [];
    for (const dep of spec.dependencies ?? []) {
      const er = byName.get(dep.layer);
      if (!er) throw new Error(`job ${spec.name}: dependency on unknown layer ${dep.layer}`);
      const on = typeof dep.onLayer === "string"
        ? (() => {
          const p = byName.get(dep.onLayer as string);
          if (!p) throw new Error(`job ${spec.name}: layer ${dep.layer} depends on unknown layer ${dep.onLayer as string}`);
          return { id: p.id, jobId, numbers: p.numbers, frameIds: p.frameIds };
        })()
        : await (async () => {
          const layer = dep.onLayer as SubmittedLayer;
          const frames = await db.selectFrom("frame").select(["pk_frame", "int_number"]).where("pk_layer", "=", layer.id).execute();
          return { id: layer.id, jobId: layer.jobId, numbers: frames.map((f) => f.int_number), frameIds: frames.map((f) => f.pk_frame) };
        })();
      if (on.id === er.id) throw new Error(`job ${spec.name}: layer ${dep.layer} cannot depend on itself`);
      const base = { erJob: jobId, erLayer: er.id, onJob: on.jobId, onLayer: on.id };
      if (dep.type === "LAYER_ON_LAYER") {
        depends.push({ ...base, id: randomUUID(), parent: null, type: "LAYER_ON_LAYER", erFrame: null, onFrame: null, composite: false });
        for (let i = 0; i < er.dependCounts.length; i++) er.dependCounts[i]! += 1;
      } else {
        const parent = randomUUID();
        depends.push({ ...base, id: parent, parent: null, type: "FRAME_BY_FRAME", erFrame: null, onFrame: null, composite: true });
        const onFrameByNumber = new Map(on.numbers.map((n, i) => [n, on.frameIds[i]!]));
        er.numbers.forEach((n, i) => {
          const onFrame = onFrameByNumber.get(n);
          if (onFrame === undefined) return;
          depends.push({ ...base, id: randomUUID(), parent, type: "FRAME_ON_FRAME", erFrame: er.frameIds[i]!, onFrame, composite: false });
          er.dependCounts[i]! += 1;
        });
      }
    }

    await db.transaction().execute(async (trx) => {
      await trx.insertInto("job").values({
        pk_job: jobId, pk_folder: folder.id, pk_show: spec.show.id, pk_facility: spec.facility.id, pk_dept: deptId,
        str_name: spec.name, str_visible_name: spec.name, str_shot: spec.shot ?? "shot01", str_user: spec.user ?? "opencue",
        str_state: "PENDING", str_log_dir: spec.logDir ?? `/tmp/opencue-logs/${spec.name}`, int_uid: spec.uid ?? null,
        b_paused: spec.paused ?? false, str_show: spec.show.name, str_os: spec.os ?? null,
        ...(spec.maxCores !== undefined ? { int_max_cores: coreUnits(spec.maxCores) } : {}),
        ...(spec.minCores !== undefined ? { int_min_cores: coreUnits(spec.minCores) } : {}),
        ...(spec.maxGpus !== undefined ? { int_max_gpus: spec.maxGpus } : {}),
      }).execute();
      // job_resource was created by the job trigger with Cuebot's defaults; apply this job's values.
      await trx.updateTable("job_resource").set({
        int_priority: spec.priority ?? 1,
        ...(spec.maxCores !== undefined ? { int_max_cores: coreUnits(spec.maxCores) } : {}),
        ...(spec.minCores !== undefined ? { int_min_cores: coreUnits(spec.minCores) } : {}),
        ...(spec.maxGpus !== undefined ? { int_max_gpus: spec.maxGpus } : {}),
      }).where("pk_job", "=", jobId).execute();
      await sql`INSERT INTO point (pk_point, pk_dept, pk_show) VALUES (${randomUUID()}, ${deptId}, ${spec.show.id})
                ON CONFLICT (pk_show, pk_dept) DO NOTHING`.execute(trx);
      const jobEnv = Object.entries(spec.env ?? {});
      if (jobEnv.length > 0) await trx.insertInto("job_env").values(jobEnv.map(([k, v]) => ({ pk_job_env: randomUUID(), pk_job: jobId, str_key: k, str_value: v }))).execute();

      let waitingTotal = 0;
      let dependTotal = 0;
      for (const plan of plans) {
        const l = plan.spec;
        await trx.insertInto("layer").values({
          pk_layer: plan.id, pk_job: jobId, str_name: l.name, str_cmd: l.command ?? `echo frame #IFRAME# of ${l.name}`,
          str_range: l.range, int_chunk_size: l.chunkSize ?? 1, int_dispatch_order: plan.order,
          int_cores_min: coreUnits(l.minCores ?? 1), int_cores_max: coreUnits(l.maxCores ?? 0),
          int_mem_min: l.minMemoryKb ?? 4_194_304, int_gpus_min: l.minGpus ?? 0, int_gpu_mem_min: l.minGpuMemoryKb ?? 0,
          str_tags: (l.tags ?? ["general"]).join(" | "), str_type: l.type ?? "Render", b_threadable: l.threadable ?? true,
          str_services: (l.services ?? ["default"]).join(","), ts_start_after: l.startAfter ?? null,
        }).execute();
        const layerEnv = Object.entries(l.env ?? {});
        if (layerEnv.length > 0) await trx.insertInto("layer_env").values(layerEnv.map(([k, v]) => ({ pk_layer_env: randomUUID(), pk_layer: plan.id, pk_job: jobId, str_key: k, str_value: v }))).execute();
        for (const limit of l.limits ?? []) {
          const name = typeof limit === "string" ? limit : limit.name;
          const record = await trx.selectFrom("limit_record").select("pk_limit_record").where("str_name", "=", name).executeTakeFirst();
          if (!record) throw new Error(`layer ${l.name}: no limit named ${name}`);
          await trx.insertInto("layer_limit").values({ pk_layer_limit: randomUUID(), pk_layer: plan.id, pk_limit_record: record.pk_limit_record }).execute();
        }
        const states: InitialState[] = plan.dependCounts.map((c) => (c > 0 ? "DEPEND" : "WAITING"));
        await insertFrames(trx, {
          ids: plan.frameIds, layer: plan.id, job: jobId, names: plan.numbers.map((n) => frameName(n, l.name)),
          states, numbers: plan.numbers, dependCounts: plan.dependCounts, layerOrder: plan.order,
        });
        const depend = states.filter((s) => s === "DEPEND").length;
        const waiting = states.length - depend;
        waitingTotal += waiting;
        dependTotal += depend;
        // What Cuebot's job activation writes: frames leaving SETUP are not counted by the trigger.
        await trx.updateTable("layer_stat").set({ int_total_count: states.length, int_waiting_count: waiting, int_depend_count: depend }).where("pk_layer", "=", plan.id).execute();
      }
      await trx.updateTable("job_stat").set({ int_waiting_count: waitingTotal, int_depend_count: dependTotal }).where("pk_job", "=", jobId).execute();
      await trx.updateTable("job").set({ int_frame_count: waitingTotal + dependTotal, int_layer_count: plans.length }).where("pk_job", "=", jobId).execute();

      if (depends.length > 0) await insertDepends(trx, depends);
    });

    const layers: Record<string, SubmittedLayer> = {};
    for (const p of plans) layers[p.spec.name] = { id: p.id, jobId, name: p.spec.name, frameNumbers: p.numbers };
    return {
      id: jobId, name: spec.name, showId: spec.show.id, facilityId: spec.facility.id, folderId: folder.id, deptId,
      layers, frameCount: plans.reduce((n, p) => n + p.numbers.length, 0), dependIds: depends.map((d) => d.id),
    };
  }

  async function satisfyDepend(dependId: string): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const root = await trx.selectFrom("depend").selectAll().where("pk_depend", "=", dependId).executeTakeFirst();
      if (!root) throw new Error(`no depend ${dependId}`);
      const targets = root.b_composite
        ? await trx.selectFrom("depend").selectAll().where("pk_parent", "=", dependId).where("b_active", "=", true).execute()
        : root.b_active ? [root] : [];
      let updated = 0;
      for (const d of targets) {
        let query = trx.updateTable("frame").set((eb) => ({ int_depend_count: eb("int_depend_count", "-", 1) })).where("int_depend_count", ">", 0);
        if (d.pk_frame_depend_er !== null) query = query.where("pk_frame", "=", d.pk_frame_depend_er);
        else if (d.pk_layer_depend_er !== null) query = query.where("pk_layer", "=", d.pk_layer_depend_er);
        else query = query.where("pk_job", "=", d.pk_job_depend_er);
        const result = await query.executeTakeFirst();
        updated += Number(result.numUpdatedRows);
      }
      await trx.updateTable("depend").set({ b_active: false, ts_satisfied: new Date() })
        .where((eb) => eb.or([eb("pk_depend", "=", dependId), eb("pk_parent", "=", dependId)])).execute();
      return updated;
    });
  }

  return {
    db,
    async createFacility(name) {
      const id = randomUUID();
      await db.insertInto("facility").values({ pk_facility: id, str_name: name }).execute();
      return { id, name };
    },
    async createDept(name) {
      return ensureDept(db, name);
    },
    async createShow(spec) {
      const id = randomUUID();
      return db.transaction().execute(async (trx) => {
        await trx.insertInto("show").values({ pk_show: id, str_name: spec.name, b_scheduler_managed: spec.schedulerManaged ?? false, b_active: spec.active ?? true }).execute();
        const dept = spec.dept ?? (await ensureDept(trx, "Unknown"));
        const rootFolder = await insertFolder(trx, { showId: id, name: spec.name, deptId: dept.id, parentId: null });
        return { id, name: spec.name, rootFolder };
      });
    },
    async createAlloc(spec) {
      const id = randomUUID();
      const tag = spec.tag ?? spec.name.slice(spec.name.lastIndexOf(".") + 1);
      await db.insertInto("alloc").values({ pk_alloc: id, str_name: spec.name, str_tag: tag, pk_facility: spec.facility.id }).execute();
      return { id, name: spec.name, tag, facilityId: spec.facility.id };
    },
    async createSubscription(spec) {
      const id = randomUUID();
      await db.insertInto("subscription").values({ pk_subscription: id, pk_show: spec.show.id, pk_alloc: spec.alloc.id, int_size: coreUnits(spec.size), int_burst: coreUnits(spec.burst) }).execute();
      return { id, showId: spec.show.id, allocId: spec.alloc.id };
    },
    async createFolder(spec) {
      const parent = spec.parent ?? spec.show.rootFolder;
      return db.transaction().execute((trx) => insertFolder(trx, {
        showId: spec.show.id, name: spec.name, deptId: spec.dept?.id ?? parent.deptId, parentId: parent.id,
        maxCores: spec.maxCores, maxGpus: spec.maxGpus, minCores: spec.minCores,
      }));
    },
    async createLimit(spec) {
      const id = randomUUID();
      await db.insertInto("limit_record").values({ pk_limit_record: id, str_name: spec.name, int_max_value: spec.maxValue }).execute();
      return { id, name: spec.name };
    },
    async registerHost(spec) {
      const [host] = await registerHosts([spec]);
      return host!;
    },
    registerHosts,
    submitJob,
    satisfyDepend,
  };
}
