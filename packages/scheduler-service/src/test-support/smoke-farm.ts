// The reference's smoke fixture (§6.1), on our farm model: three allocations, one host each (a
// host-name-tagged one, an alloc-tagged one, a manual-tagged one) and four jobs, 21 waiting frames.
import { createFarm, gibToKb, mibToKb, type Database, type Farm, type ShowRef, type SubmittedJob } from "@opencue-ts/cuebot-db";
import type { Kysely } from "kysely";

export interface SmokeFarm {
  readonly farm: Farm;
  readonly show: ShowRef;
  readonly jobs: { hostname: SubmittedJob; alloc: SubmittedJob; manual: SubmittedJob; mixed: SubmittedJob };
  /** Tag names by kind. */
  readonly tags: { hostname: string; alloc: string; manual: string; allocTags: string[]; hostNames: string[] };
}

export async function createSmokeFarm(db: Kysely<Database>, opts: { managed?: boolean; frames?: string } = {}): Promise<SmokeFarm> {
  const farm = createFarm(db);
  const facility = await farm.createFacility("integ");
  const show = await farm.createShow({ name: "integ_show", schedulerManaged: opts.managed ?? true });
  const aHost = await farm.createAlloc({ facility, name: "integ.hn", tag: "hn_alloc" });
  const aAlloc = await farm.createAlloc({ facility, name: "integ.general", tag: "alloc_tag" });
  const aManual = await farm.createAlloc({ facility, name: "integ.mn", tag: "mn_alloc" });
  await farm.createSubscription({ show, alloc: aHost, size: 10, burst: 12 });
  await farm.createSubscription({ show, alloc: aAlloc, size: 8, burst: 10 });
  await farm.createSubscription({ show, alloc: aManual, size: 6, burst: 8 });
  await farm.registerHost({ name: "hostname-host", alloc: aHost, cores: 16, memoryKb: gibToKb(32), gpus: 4, gpuMemoryKb: gibToKb(8) });
  await farm.registerHost({ name: "alloc-host", alloc: aAlloc, cores: 12, memoryKb: gibToKb(16), gpus: 2, gpuMemoryKb: gibToKb(4) });
  await farm.registerHost({ name: "manual-host", alloc: aManual, cores: 8, memoryKb: gibToKb(8), gpus: 1, gpuMemoryKb: gibToKb(2), tags: ["manual_tag"] });
  const range = opts.frames ?? "1-3";
  const base = { show, facility, priority: 1, maxCores: 100, maxGpus: 100 };
  const hostname = await farm.submitJob({ ...base, name: "integ-hostname_job", layers: [
    { name: "l1", range, minCores: 2, minMemoryKb: gibToKb(2), minGpus: 1, minGpuMemoryKb: gibToKb(1), tags: ["hostname-host"] },
    { name: "l2", range, minCores: 4, minMemoryKb: gibToKb(4), tags: ["no_host_has_this"] },
  ] });
  const alloc = await farm.submitJob({ ...base, name: "integ-alloc_job", layers: [
    { name: "l1", range, minCores: 1, minMemoryKb: gibToKb(1), minGpus: 1, minGpuMemoryKb: mibToKb(512), tags: ["alloc_tag"] },
  ] });
  const manual = await farm.submitJob({ ...base, name: "integ-manual_job", layers: [
    { name: "l1", range, minCores: 1, minMemoryKb: gibToKb(1), tags: ["manual_tag"] },
  ] });
  const mixed = await farm.submitJob({ ...base, name: "integ-mixed_job", layers: [
    { name: "lh", range, minCores: 1, minMemoryKb: gibToKb(1), tags: ["hostname-host"] },
    { name: "la", range, minCores: 1, minMemoryKb: gibToKb(1), tags: ["alloc_tag"] },
    { name: "lm", range, minCores: 1, minMemoryKb: gibToKb(1), tags: ["manual_tag"] },
  ] });
  return {
    farm, show, jobs: { hostname, alloc, manual, mixed },
    tags: { hostname: "hostname-host", alloc: "alloc_tag", manual: "manual_tag", allocTags: ["hn_alloc", "alloc_tag", "mn_alloc"], hostNames: ["hostname-host", "alloc-host", "manual-host"] },
  };
}
