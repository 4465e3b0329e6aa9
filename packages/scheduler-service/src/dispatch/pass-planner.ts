// Decisions of one cluster pass: which of the queried frames go on which of the queried hosts, with
// how many cores. Pure (inputs in, decisions out) and greedy in the reference's order: jobs by
// priority, layers by dispatch order, frames in dispatch order; each layer's frames fill one host
// before moving to the next (host attempts per layer bounded). Host copies are decremented as
// decisions are made, so one pass never plans more than a host has.
import type { DispatchHost } from "../db/hosts.js";
import type { DispatchFrame, DispatchLayer } from "../db/layers.js";
import { chooseCores } from "./core-sizing.js";
import { chooseHost, epvmScore, type BookingStrategy } from "./placement.js";

export interface PassPlanOptions {
  readonly strategy: BookingStrategy;
  readonly coreMultiplier: number;
  readonly strandedThresholdKb: number;
  readonly memReservedMinKb: number;
  readonly selfishServices: readonly string[];
  readonly hostAttemptsPerLayer: number;
  /** Hosts not to use (backed off after failed launches). */
  readonly excludedHosts: ReadonlySet<string>;
}

export interface PassJob {
  readonly id: string;
  /** Cores in use by the job now (core units). */
  readonly coresInUse: number;
  readonly layers: readonly DispatchLayer[];
}

export interface Decision {
  readonly layer: DispatchLayer;
  readonly frame: DispatchFrame;
  readonly host: DispatchHost;
  readonly coreUnits: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  readonly score?: number;
}

export interface PassPlan {
  readonly decisions: Decision[];
  /** Layers for which no host was found (for scheduler_no_candidate_iterations_total). */
  readonly noCandidate: number;
  /** Layers skipped because their job was at its cap. */
  readonly jobCapSkips: number;
  /** Host attempts (+1) per fully consumed layer. */
  readonly attemptsPerLayer: number[];
}

export function planPass(jobs: readonly PassJob[], hosts: readonly DispatchHost[], o: PassPlanOptions): PassPlan {
  // Work on copies: the caller's host objects keep the database's view.
  const local = hosts.map((h) => ({ ...h }));
  const original = new Map(hosts.map((h) => [h.id, h]));
  const decisions: Decision[] = [];
  let noCandidate = 0;
  let jobCapSkips = 0;
  const attemptsPerLayer: number[] = [];
  const m = o.coreMultiplier;
  for (const job of jobs) {
    let jobInUse = job.coresInUse;
    for (const layer of job.layers) {
      if (layer.frames.length === 0) continue;
      const minCores = Math.trunc(layer.minCoreUnits / m);
      if (layer.jobMaxCoreUnits > 0 && jobInUse + Math.max(0, minCores) * m > layer.jobMaxCoreUnits) {
        jobCapSkips++;
        continue;
      }
      const selfish = layer.services.some((s) => o.selfishServices.includes(s));
      const excluded = new Set(o.excludedHosts);
      let next = 0;
      let attempts = 0;
      while (next < layer.frames.length && attempts < o.hostAttemptsPerLayer) {
        const host = chooseHost(local, layer, o.strategy, m, excluded);
        if (!host) {
          noCandidate++;
          break;
        }
        attempts++;
        excluded.add(host.id);
        const score = o.strategy.type === "epvm" ? epvmScore(host, layer, o.strategy.weights, m) : undefined;
        let placedHere = 0;
        while (next < layer.frames.length) {
          const remaining = layer.jobMaxCoreUnits > 0 ? Math.trunc((layer.jobMaxCoreUnits - jobInUse) / m) : null;
          const idleCores = Math.trunc(host.idleCoreUnits / m);
          const cores = chooseCores({
            minCores, threadable: layer.threadable, coresLimit: layer.maxCoreUnits > 0 ? Math.trunc(layer.maxCoreUnits / m) : 0,
            selfish, minMemoryKb: layer.minMemoryKb, threadMode: host.threadMode, idleCores,
            totalCores: Math.trunc(host.totalCoreUnits / m), idleMemoryKb: host.idleMemoryKb, totalMemoryKb: host.totalMemoryKb,
            strandedThresholdKb: o.strandedThresholdKb, jobRemaining: remaining,
          });
          const memoryKb = Math.max(layer.minMemoryKb, 0);
          if (cores <= 0 || cores > idleCores || host.idleMemoryKb < memoryKb || host.idleGpus < layer.minGpus || host.idleGpuMemoryKb < layer.minGpuMemoryKb) break;
          const frame = layer.frames[next++]!;
          decisions.push({ layer, frame, host: original.get(host.id)!, coreUnits: cores * m, memoryKb, gpus: layer.minGpus, gpuMemoryKb: layer.minGpuMemoryKb, ...(score !== undefined ? { score } : {}) });
          host.idleCoreUnits -= cores * m;
          host.idleMemoryKb -= memoryKb;
          host.idleGpus -= layer.minGpus;
          host.idleGpuMemoryKb -= layer.minGpuMemoryKb;
          jobInUse += cores * m;
          placedHere++;
        }
        if (placedHere === 0 && remainingJobCores(layer, jobInUse, m) === 0) break;
      }
      if (next >= layer.frames.length) attemptsPerLayer.push(attempts + 1);
    }
  }
  return { decisions, noCandidate, jobCapSkips, attemptsPerLayer };
}

function remainingJobCores(layer: DispatchLayer, inUse: number, m: number): number | null {
  return layer.jobMaxCoreUnits > 0 ? Math.max(0, Math.trunc((layer.jobMaxCoreUnits - inUse) / m)) : null;
}
