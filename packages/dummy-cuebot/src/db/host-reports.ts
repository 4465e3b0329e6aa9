// What Cuebot's HostReportHandler writes for a boot or status report, reduced to what a farm needs:
// register an unknown host (host, host_stat, host_tag rows in an allocation), refresh host_stat
// (memory, swap, temp space, load, boot time, OS, ts_ping) and the hardware/NIMBY state, on boot
// refresh the host's resources (only while nothing is booked on it) and its hardware tags, then
// copy each running frame's memory and log-update time to its frame and proc rows.
import { randomUUID } from "node:crypto";
import type { Timestamp } from "@opencue-ts/cuebot-db";
import { HardwareState, type RenderHost, type RunningFrameInfo } from "@opencue-ts/proto";
import { allocationForHost } from "./allocation.js";
import type { CuebotDb } from "./db-types.js";
import { DummyCuebotError } from "./errors.js";

export interface HostRegistrationOptions {
  /** Facility for hosts that report none, and of the allocation created when the farm has none. */
  readonly defaultFacility: string;
  /** Tag (and name suffix) of the allocation created when the farm has no default one. */
  readonly defaultAllocationTag: string;
  /** dispatcher.memory.mem_reserved_system (KB) kept back from every host's memory (Cuebot: 524288). */
  readonly memReservedSystemKb: number;
  /** dispatcher.memory.mem_reserved_min (KB): hosts with less bookable memory are refused (Cuebot: 262144). */
  readonly memReservedMinKb: number;
}

/** Cuebot's OS when a host reports no SP_OS attribute (Dispatcher.OS_DEFAULT). */
export const DEFAULT_OS = "rhel40";

export interface HostRow {
  readonly id: string;
  readonly name: string;
  readonly allocId: string;
  /** True when this report created the host. */
  readonly created: boolean;
}

/** Cuebot's convertMemoryUnits: whole GiB (rounded up with the "64bit" tag, else down) minus the system reserve. */
export function bookableMemoryKb(host: RenderHost, options: Pick<HostRegistrationOptions, "memReservedSystemKb">): number {
  const gib = Number(host.totalMem) / 1_048_576;
  let kb = (host.tags.includes("64bit") ? Math.ceil(gib) : Math.floor(gib)) * 1_048_576 - options.memReservedSystemKb;
  // A desktop (NIMBY enabled) gives the farm only part of its memory.
  if (host.nimbyEnabled) kb = Math.floor(kb / 1.5) + options.memReservedSystemKb;
  return kb;
}

const hardwareStateName = (state: HardwareState): string => HardwareState[state] ?? "UP";

/** Space-joined host_tag names into host.str_tags (Cuebot's recalculate_tags). */
async function recalculateTags(db: CuebotDb, hostId: string): Promise<void> {
  const tags = await db.selectFrom("host_tag").select("str_tag").where("pk_host", "=", hostId).orderBy("str_tag_type").orderBy("str_tag").execute();
  await db.updateTable("host").set({ str_tags: tags.map((t) => t.str_tag).join(" ").slice(0, 128) }).where("pk_host", "=", hostId).execute();
}

async function createHost(db: CuebotDb, host: RenderHost, options: HostRegistrationOptions, now: Date): Promise<HostRow> {
  const memoryKb = bookableMemoryKb(host, options);
  if (memoryKb < options.memReservedMinKb) {
    throw new DummyCuebotError("HOST_TOO_SMALL", `could not create host ${host.name}, must have at least ${options.memReservedMinKb} KB free memory (reports ${host.totalMem} KB total, ${memoryKb} KB bookable)`);
  }
  const alloc = await allocationForHost(db, { facility: host.facility, tags: host.tags }, { facility: options.defaultFacility, tag: options.defaultAllocationTag });
  const id = randomUUID();
  const cores = host.numProcs * host.coresPerProc;
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("host")
      .values({
        pk_host: id, pk_alloc: alloc.id, str_name: host.name, b_nimby: host.nimbyEnabled, str_lock_state: "OPEN",
        int_procs: host.numProcs, int_cores: cores, int_cores_idle: cores, int_mem: memoryKb, int_mem_idle: memoryKb,
        int_gpus: host.numGpus, int_gpus_idle: host.numGpus, int_gpu_mem: Number(host.totalGpuMem), int_gpu_mem_idle: Number(host.totalGpuMem),
        str_fqdn: host.name, int_thread_mode: host.nimbyEnabled ? 1 : 0,
      })
      .onConflict((oc) => oc.column("str_name").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
      // Registered meanwhile by a concurrent report: use that row.
      const row = await trx.selectFrom("host").select(["pk_host", "pk_alloc"]).where("str_name", "=", host.name).executeTakeFirstOrThrow();
      return { id: row.pk_host, name: host.name, allocId: row.pk_alloc, created: false };
    }
    await trx.insertInto("host_stat").values((eb) => ({
      pk_host_stat: id, pk_host: id, ...hostStatValues(host),
      ts_booted: eb.fn<Timestamp>("to_timestamp", [eb.val(host.bootTime)]), ts_ping: eb.fn<Timestamp>("to_timestamp", [eb.val(now.getTime() / 1000)]),
    })).execute();
    const tags = [
      { tag: alloc.tag, type: "ALLOC" },
      { tag: host.name, type: "HOSTNAME" },
      ...[...new Set(host.tags)].map((tag) => ({ tag, type: "HARDWARE" })),
    ];
    await trx.insertInto("host_tag").values(tags.map((t) => ({ pk_host_tag: randomUUID(), pk_host: id, str_tag: t.tag, str_tag_type: t.type }))).execute();
    await recalculateTags(trx, id);
    return { id, name: host.name, allocId: alloc.id, created: true };
  });
}

// ts_ping and ts_booted are written as to_timestamp(epoch seconds): cuebot-db types them
// Generated<Timestamp>, which Kysely's types do not let a Date through.
function hostStatValues(host: RenderHost) {
  return {
    int_mem_total: Number(host.totalMem), int_mem_free: Number(host.freeMem),
    int_swap_total: Number(host.totalSwap), int_swap_free: Number(host.freeSwap),
    int_mcp_total: Number(host.totalMcp), int_mcp_free: Number(host.freeMcp),
    int_gpu_mem_total: Number(host.totalGpuMem), int_gpu_mem_free: Number(host.freeGpuMem),
    int_load: host.load,
    str_state: hardwareStateName(host.state), str_os: host.attributes["SP_OS"] ?? DEFAULT_OS,
  };
}

/**
 * Applies the host part of a boot (isBoot) or status report: creates the host when it is unknown,
 * otherwise refreshes its statistics and states (and, on boot, resources and hardware tags).
 */
export async function applyRenderHost(db: CuebotDb, host: RenderHost, isBoot: boolean, options: HostRegistrationOptions, now: Date): Promise<HostRow> {
  if (!host.name) throw new DummyCuebotError("INVALID_REPORT", "report has no host.name");
  const existing = await db
    .selectFrom("host")
    .innerJoin("host_stat", "host_stat.pk_host", "host.pk_host")
    .select(["host.pk_host", "host.pk_alloc", "host.str_lock_state", "host_stat.str_state"])
    .where((eb) => eb.or([eb("host.str_name", "=", host.name), eb("host.str_fqdn", "=", host.name)]))
    .executeTakeFirst();
  if (!existing) return createHost(db, host, options, now);

  const hostId = existing.pk_host;
  await db.transaction().execute(async (trx) => {
    const stat = hostStatValues(host);
    // Hardware state: DOWN hosts come back UP; REBOOTING ones only with a boot report; REPAIR stays.
    let state = existing.str_state;
    if (state !== stat.str_state) {
      if (state === "DOWN") state = "UP";
      else if (state === "REBOOTING" || state === "REBOOT_WHEN_IDLE") state = isBoot ? "UP" : state;
      else if (state !== "REPAIR") state = stat.str_state;
    }
    await trx.updateTable("host_stat").set((eb) => ({
      ...stat, str_state: state,
      ts_booted: eb.fn<Timestamp>("to_timestamp", [eb.val(host.bootTime)]), ts_ping: eb.fn<Timestamp>("to_timestamp", [eb.val(now.getTime() / 1000)]),
    })).where("pk_host", "=", hostId).execute();
    // NIMBY: a NIMBY-locked report locks an open host; an unlocked report reopens a NIMBY-locked one.
    if (host.nimbyLocked && existing.str_lock_state === "OPEN") {
      await trx.updateTable("host").set({ str_lock_state: "NIMBY_LOCKED", str_lock_source: "NIMBY" }).where("pk_host", "=", hostId).execute();
    } else if (!host.nimbyLocked && existing.str_lock_state === "NIMBY_LOCKED") {
      await trx.updateTable("host").set({ str_lock_state: "OPEN", str_lock_source: null }).where("pk_host", "=", hostId).execute();
    }
    if (isBoot) {
      const memoryKb = bookableMemoryKb(host, options);
      const cores = host.numProcs * host.coresPerProc;
      // Only while nothing is booked: a booked host keeps its idle counts (the dispatchers own them).
      await trx
        .updateTable("host")
        .set({
          b_nimby: host.nimbyEnabled, int_procs: host.numProcs, int_cores: cores, int_cores_idle: cores, int_mem: memoryKb, int_mem_idle: memoryKb,
          int_gpus: host.numGpus, int_gpus_idle: host.numGpus, int_gpu_mem: Number(host.totalGpuMem), int_gpu_mem_idle: Number(host.totalGpuMem),
        })
        .where("pk_host", "=", hostId)
        .where((eb) => eb.not(eb.exists(eb.selectFrom("proc").select("proc.pk_proc").whereRef("proc.pk_host", "=", "host.pk_host"))))
        .execute();
      // Hardware tags are whatever RQD reports now (same-named tags of other types give way).
      await trx.deleteFrom("host_tag").where("pk_host", "=", hostId).where("str_tag_type", "=", "HARDWARE").execute();
      const tags = [...new Set(host.tags)];
      if (tags.length > 0) {
        await trx.deleteFrom("host_tag").where("pk_host", "=", hostId).where("str_tag", "in", tags).execute();
        await trx.insertInto("host_tag").values(tags.map((tag) => ({ pk_host_tag: randomUUID(), pk_host: hostId, str_tag: tag, str_tag_type: "HARDWARE" }))).execute();
      }
      await recalculateTags(trx, hostId);
    }
  });
  return { id: hostId, name: host.name, allocId: existing.pk_alloc, created: false };
}

/**
 * Copies running frames' memory and LLU time to frame and proc rows, for frames whose proc
 * (resource_id) still owns them; others are left alone (Cuebot would kill them after a grace
 * period; dummy-cuebot only counts them). Then raises job_mem/layer_mem max RSS. Returns how many
 * frames were verified.
 */
export async function applyRunningFrames(db: CuebotDb, frames: readonly RunningFrameInfo[], now: Date): Promise<{ verified: number; unverified: number }> {
  let verified = 0;
  for (const f of frames) {
    if (!f.resourceId || !f.frameId) continue;
    const owned = await db.selectFrom("proc").select("pk_proc").where("pk_proc", "=", f.resourceId).where("pk_frame", "=", f.frameId).executeTakeFirst();
    if (!owned) continue;
    verified++;
    const rss = Number(f.rss);
    const maxRss = Number(f.maxRss);
    const pss = Number(f.pss);
    const maxPss = Number(f.maxPss);
    await db.transaction().execute(async (trx) => {
      await trx.updateTable("frame").set({
        ts_updated: now, int_mem_used: rss, int_mem_max_used: maxRss, int_pss_used: pss, int_pss_max_used: maxPss,
        ...(f.lluTime > 0n ? { ts_llu: new Date(Number(f.lluTime) * 1000) } : {}),
      }).where("pk_frame", "=", f.frameId).execute();
      await trx.updateTable("proc").set((eb) => ({
        int_mem_used: rss, int_mem_max_used: maxRss, int_pss_used: pss, int_pss_max_used: maxPss,
        int_virt_used: Number(f.vsize), int_virt_max_used: Number(f.maxVsize),
        int_gpu_mem_used: Number(f.usedGpuMemory), int_gpu_mem_max_used: Number(f.maxUsedGpuMemory),
        int_swap_used: Number(f.usedSwapMemory), ts_ping: eb.fn<Timestamp>("to_timestamp", [eb.val(now.getTime() / 1000)]),
      })).where("pk_frame", "=", f.frameId).execute();
      await trx.updateTable("layer_mem").set((eb) => ({ int_max_rss: eb.fn("greatest", [eb.ref("int_max_rss"), eb.val(maxRss)]) })).where("pk_layer", "=", f.layerId).execute();
      await trx.updateTable("job_mem").set((eb) => ({ int_max_rss: eb.fn("greatest", [eb.ref("int_max_rss"), eb.val(maxRss)]) })).where("pk_job", "=", f.jobId).execute();
    });
  }
  return { verified, unverified: frames.length - verified };
}
