// `dummy-cuebot submit`: a job described in YAML/JSON (or assembled from CLI flags), validated into
// cuebot-db's farm model and submitted. Whatever the job needs and the farm lacks is created first:
// the facility, the show (scheduler-managed by default, so cue-scheduler books it), the allocation
// and the show's subscription to it.
import { randomUUID } from "node:crypto";
import { createFarm, parseFrameSet, type DependencyType, type FacilityRef, type LayerSpec, type ShowRef, type SubmittedJob } from "@opencue-ts/cuebot-db";
import { parse as parseYaml } from "yaml";
import { allocationTag, ensureAllocation } from "./allocation.js";
import type { CuebotDb } from "./db-types.js";
import { DummyCuebotError } from "./errors.js";

export interface LayerInput {
  readonly name: string;
  readonly command: string;
  readonly range: string;
  readonly chunk?: number;
  /** Whole cores per frame (default 1). */
  readonly cores?: number;
  /** Memory per frame: KB as a number, or a size string such as "256MiB", "4GiB", "512MB". */
  readonly memory?: number | string;
  readonly tags?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface DependInput {
  /** The waiting layer. */
  readonly layer: string;
  /** The layer waited on. */
  readonly on: string;
  /** Default LAYER_ON_LAYER. */
  readonly type?: DependencyType;
}

export interface JobInput {
  readonly show: string;
  readonly name: string;
  readonly facility?: string;
  /** Allocation the show subscribes to (default "<facility>.general"). */
  readonly alloc?: string;
  /** Subscription created when the show has none on the allocation (whole cores; default 1000/1000). */
  readonly subscription?: { readonly size?: number; readonly burst?: number };
  /** show.b_scheduler_managed for a show this creates (default true). */
  readonly schedulerManaged?: boolean;
  readonly user?: string;
  readonly shot?: string;
  readonly logDir?: string;
  readonly priority?: number;
  readonly maxRetries?: number;
  readonly maxCores?: number;
  readonly layers: readonly LayerInput[];
  readonly depends?: readonly DependInput[];
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i;
const KB_PER: Record<string, number> = { k: 1, kb: 1, kib: 1, m: 1024, mb: 1024, mib: 1024, g: 1_048_576, gb: 1_048_576, gib: 1_048_576, t: 1_073_741_824, tb: 1_073_741_824, tib: 1_073_741_824 };

/** A memory size in KB (Cuebot's unit); a bare number is KB. Binary units either way, as Cuebot's tools. */
export function parseMemoryKb(value: number | string, where: string): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value <= 0) throw new DummyCuebotError("INVALID_SPEC", `${where}: memory must be a positive number of KB, got ${value}`);
    return value;
  }
  const m = SIZE.exec(value.trim());
  if (!m) throw new DummyCuebotError("INVALID_SPEC", `${where}: memory "${value}" is not a size such as 256MiB or 4GiB`);
  const kb = Math.round(Number(m[1]) * KB_PER[(m[2] ?? "k").toLowerCase()]!);
  if (kb <= 0) throw new DummyCuebotError("INVALID_SPEC", `${where}: memory must be positive`);
  return kb;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, key: string, where: string, required: true): string;
function str(o: Record<string, unknown>, key: string, where: string, required?: false): string | undefined;
function str(o: Record<string, unknown>, key: string, where: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new DummyCuebotError("INVALID_SPEC", `${where}: "${key}" is required`);
    return undefined;
  }
  if (typeof v !== "string" && typeof v !== "number") throw new DummyCuebotError("INVALID_SPEC", `${where}: "${key}" must be a string`);
  const s = String(v);
  if (required && s.trim() === "") throw new DummyCuebotError("INVALID_SPEC", `${where}: "${key}" must not be empty`);
  return s;
}

function int(o: Record<string, unknown>, key: string, where: string, min: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw new DummyCuebotError("INVALID_SPEC", `${where}: "${key}" must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function strings(o: Record<string, unknown>, key: string, where: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v.split(/[|,\s]+/).filter(Boolean);
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new DummyCuebotError("INVALID_SPEC", `${where}: "${key}" must be a list of strings`);
  return v as string[];
}

/** Validates a parsed YAML/JSON document into a JobInput; every problem names where it is. */
export function jobInputFromDocument(doc: unknown): JobInput {
  if (!isRecord(doc)) throw new DummyCuebotError("INVALID_SPEC", "job spec must be a mapping with show, name and layers");
  const layersRaw = doc["layers"];
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) throw new DummyCuebotError("INVALID_SPEC", `job spec: "layers" must be a non-empty list`);
  const layers = layersRaw.map((l: unknown, i): LayerInput => {
    const where = `layers[${i}]`;
    if (!isRecord(l)) throw new DummyCuebotError("INVALID_SPEC", `${where} must be a mapping`);
    const env = l["env"];
    if (env !== undefined && (!isRecord(env) || !Object.values(env).every((x) => typeof x === "string"))) throw new DummyCuebotError("INVALID_SPEC", `${where}: "env" must map names to strings`);
    const memory = l["memory"];
    if (memory !== undefined && typeof memory !== "string" && typeof memory !== "number") throw new DummyCuebotError("INVALID_SPEC", `${where}: "memory" must be a size`);
    return {
      name: str(l, "name", where, true), command: str(l, "command", where, true), range: str(l, "range", where, true),
      chunk: int(l, "chunk", where, 1), cores: int(l, "cores", where, 1), memory, tags: strings(l, "tags", where),
      env: env as Record<string, string> | undefined,
    };
  });
  const dependsRaw = doc["depends"] ?? [];
  if (!Array.isArray(dependsRaw)) throw new DummyCuebotError("INVALID_SPEC", `job spec: "depends" must be a list`);
  const depends = dependsRaw.map((d: unknown, i): DependInput => {
    const where = `depends[${i}]`;
    if (!isRecord(d)) throw new DummyCuebotError("INVALID_SPEC", `${where} must be a mapping with layer and on`);
    const type = str(d, "type", where) ?? "LAYER_ON_LAYER";
    if (type !== "LAYER_ON_LAYER" && type !== "FRAME_BY_FRAME") throw new DummyCuebotError("INVALID_SPEC", `${where}: "type" must be LAYER_ON_LAYER or FRAME_BY_FRAME, got ${type}`);
    return { layer: str(d, "layer", where, true), on: str(d, "on", where, true), type };
  });
  const sub = doc["subscription"];
  if (sub !== undefined && !isRecord(sub)) throw new DummyCuebotError("INVALID_SPEC", `job spec: "subscription" must be a mapping with size and burst`);
  const managed = doc["schedulerManaged"];
  if (managed !== undefined && typeof managed !== "boolean") throw new DummyCuebotError("INVALID_SPEC", `job spec: "schedulerManaged" must be true or false`);
  return {
    show: str(doc, "show", "job spec", true), name: str(doc, "name", "job spec", true), facility: str(doc, "facility", "job spec"),
    alloc: str(doc, "alloc", "job spec"), user: str(doc, "user", "job spec"), shot: str(doc, "shot", "job spec"), logDir: str(doc, "logDir", "job spec"),
    priority: int(doc, "priority", "job spec", 0), maxRetries: int(doc, "maxRetries", "job spec", 0), maxCores: int(doc, "maxCores", "job spec", 1),
    schedulerManaged: managed, subscription: sub ? { size: int(sub, "size", "subscription", 0), burst: int(sub, "burst", "subscription", 0) } : undefined,
    layers, depends,
  };
}

/** Parses a YAML or JSON job spec file's text (JSON is YAML). */
export function parseJobSpec(text: string, source: string): JobInput {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new DummyCuebotError("INVALID_SPEC", `${source}: not valid YAML or JSON: ${(e as Error).message}`);
  }
  return jobInputFromDocument(doc);
}

function checkJob(input: JobInput): LayerSpec[] {
  const names = new Set<string>();
  const layers = input.layers.map((l, i) => {
    const where = `layer ${l.name || i}`;
    if (names.has(l.name)) throw new DummyCuebotError("INVALID_SPEC", `duplicate layer name ${l.name}`);
    names.add(l.name);
    try {
      parseFrameSet(l.range);
    } catch (e) {
      throw new DummyCuebotError("INVALID_SPEC", `${where}: bad range "${l.range}": ${(e as Error).message}`);
    }
    return {
      name: l.name, command: l.command, range: l.range, chunkSize: l.chunk, minCores: l.cores ?? 1,
      minMemoryKb: l.memory === undefined ? undefined : parseMemoryKb(l.memory, where), tags: l.tags, env: l.env,
    } satisfies LayerSpec;
  });
  for (const d of input.depends ?? []) {
    if (!names.has(d.layer)) throw new DummyCuebotError("INVALID_SPEC", `depend: unknown layer ${d.layer}`);
    if (!names.has(d.on)) throw new DummyCuebotError("INVALID_SPEC", `depend: layer ${d.layer} depends on unknown layer ${d.on}`);
    if (d.layer === d.on) throw new DummyCuebotError("INVALID_SPEC", `depend: layer ${d.layer} cannot depend on itself`);
  }
  return layers;
}

/** Submits a job, creating the facility, show, allocation and subscription it needs when missing. */
export async function submitJob(db: CuebotDb, input: JobInput): Promise<SubmittedJob> {
  const layers = checkJob(input);
  const facilityName = input.facility ?? "local";
  const allocName = input.alloc ?? `${facilityName}.general`;
  const alloc = await ensureAllocation(db, { facility: facilityName, name: allocName, tag: allocationTag(allocName) });
  const facility: FacilityRef = { id: alloc.facilityId, name: facilityName };
  const farm = createFarm(db);
  const show = await findOrCreateShow(db, input);
  const hasSubscription = await db.selectFrom("subscription").select("pk_subscription").where("pk_show", "=", show.id).where("pk_alloc", "=", alloc.id).executeTakeFirst();
  if (!hasSubscription) {
    await farm.createSubscription({ show, alloc: { id: alloc.id, name: alloc.name, tag: alloc.tag, facilityId: alloc.facilityId }, size: input.subscription?.size ?? 1000, burst: input.subscription?.burst ?? 1000 });
  }
  const existing = await db.selectFrom("job").select("pk_job").where("str_visible_name", "=", input.name).executeTakeFirst();
  if (existing) throw new DummyCuebotError("INVALID_SPEC", `a pending job named ${input.name} already exists`);
  const job = await farm.submitJob({
    show, facility, name: input.name, user: input.user, shot: input.shot, logDir: input.logDir, priority: input.priority, maxCores: input.maxCores,
    layers, dependencies: (input.depends ?? []).map((d) => ({ type: d.type ?? "LAYER_ON_LAYER", layer: d.layer, onLayer: d.on })),
  });
  if (input.maxRetries !== undefined) await db.updateTable("job").set({ int_max_retries: input.maxRetries }).where("pk_job", "=", job.id).execute();
  return job;
}

async function findOrCreateShow(db: CuebotDb, input: JobInput): Promise<ShowRef> {
  const row = await db
    .selectFrom("show")
    .innerJoin("folder", "folder.pk_show", "show.pk_show")
    .select(["show.pk_show", "show.str_name", "folder.pk_folder", "folder.str_name as folder_name", "folder.pk_dept"])
    .where("show.str_name", "=", input.show)
    .where("folder.pk_parent_folder", "is", null)
    .executeTakeFirst();
  if (row) return { id: row.pk_show, name: row.str_name, rootFolder: { id: row.pk_folder, name: row.folder_name, showId: row.pk_show, deptId: row.pk_dept } };
  try {
    return await createFarm(db).createShow({ name: input.show, schedulerManaged: input.schedulerManaged ?? true });
  } catch (e) {
    // Created concurrently (two submits at once): use that one.
    const again = await db.selectFrom("show").select("pk_show").where("str_name", "=", input.show).executeTakeFirst();
    if (again) return findOrCreateShow(db, input);
    throw e;
  }
}

/** A job name Cuebot would accept for a show and shot: "<show>-<shot>-<user>_<suffix>". */
export const defaultJobName = (show: string, shot = "shot01", user = "opencue"): string => `${show}-${shot}-${user}_${randomUUID().slice(0, 8)}`;
