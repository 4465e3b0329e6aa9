// A farm with one allocation (one alloc cluster) per group of hosts, for multi-instance tests and
// benchmarks: `clusters` allocations, `hostsPerCluster` hosts each, `jobsPerCluster` jobs each.
import { createFarm, gibToKb, type Database, type Farm } from "@opencue-ts/cuebot-db";
import type { Kysely } from "kysely";

export interface TagFarmSpec {
  readonly clusters: number;
  readonly hostsPerCluster: number;
  readonly hostCores?: number;
  readonly jobsPerCluster: number;
  readonly framesPerJob: number;
  readonly burst?: number;
}

export async function createTagFarm(db: Kysely<Database>, spec: TagFarmSpec): Promise<{ farm: Farm; frames: number }> {
  const farm = createFarm(db);
  const facility = await farm.createFacility("multi");
  const show = await farm.createShow({ name: "multi", schedulerManaged: true });
  let frames = 0;
  for (let c = 0; c < spec.clusters; c++) {
    const alloc = await farm.createAlloc({ facility, name: `multi.a${c}`, tag: `a${c}` });
    await farm.createSubscription({ show, alloc, size: 1000, burst: spec.burst ?? 100_000 });
    await farm.registerHosts(Array.from({ length: spec.hostsPerCluster }, (_, h) => ({ name: `h${c}-${h}`, alloc, cores: spec.hostCores ?? 8, memoryKb: gibToKb(32) })));
    for (let j = 0; j < spec.jobsPerCluster; j++) {
      const job = await farm.submitJob({ show, facility, name: `multi-a${c}-j${j}`, priority: 1 + ((c * 7 + j) % 5), maxCores: 100_000, layers: [{ name: "r", range: `1-${spec.framesPerJob}`, minCores: 1, minMemoryKb: gibToKb(1), tags: [`a${c}`], threadable: false }] });
      frames += job.frameCount;
    }
  }
  return { farm, frames };
}
