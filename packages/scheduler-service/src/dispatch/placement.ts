// Choosing a host for a layer's next frame among the cluster's hosts (reference §2.4/§1.5 checkout):
// eligibility gate (tags, OS, thread mode, floors), then the booking strategy: saturation (best fit
// on idle cores, worst fit on memory by default) or E-PVM (lowest stranded-resource score).
import type { DispatchHost } from "../db/hosts.js";
import type { DispatchLayer } from "../db/layers.js";
import { THREAD_MODE_ALL } from "./core-sizing.js";

export type BookingStrategy =
  | { readonly type: "saturation"; readonly coreSaturation: boolean; readonly memorySaturation: boolean; readonly memoryKeyDivisorKb: number }
  | { readonly type: "epvm"; readonly maxCandidates: number; readonly weights: EpvmWeights };

export interface EpvmWeights {
  readonly cores: number; readonly mem: number; readonly gpus: number; readonly gpu_mem: number;
  readonly gpu_count_reservation: number; readonly gpu_mem_reservation: number;
}

export function hostFitsLayer(host: DispatchHost, layer: DispatchLayer, coreMultiplier: number): boolean {
  if (layer.os !== null && layer.os !== host.os) return false;
  if (host.threadMode === THREAD_MODE_ALL && !layer.threadable) return false;
  if (!host.tags.some((t) => layer.tags.includes(t))) return false;
  const minCores = Math.max(0, Math.trunc(layer.minCoreUnits / coreMultiplier));
  return Math.trunc(host.idleCoreUnits / coreMultiplier) >= Math.max(1, minCores)
    && host.idleMemoryKb >= layer.minMemoryKb && host.idleGpus >= layer.minGpus && host.idleGpuMemoryKb >= layer.minGpuMemoryKb;
}

/** How many more frames of the layer fit after one (for E-PVM). */
function maxMore(host: DispatchHost, layer: DispatchLayer, coreMultiplier: number): number {
  const bounds: number[] = [];
  const c = Math.trunc(layer.minCoreUnits / coreMultiplier);
  if (c > 0) bounds.push(Math.floor((Math.trunc(host.idleCoreUnits / coreMultiplier) - c) / c));
  if (layer.minMemoryKb > 0) bounds.push(Math.floor((host.idleMemoryKb - layer.minMemoryKb) / layer.minMemoryKb));
  if (layer.minGpus > 0) bounds.push(Math.floor((host.idleGpus - layer.minGpus) / layer.minGpus));
  if (layer.minGpuMemoryKb > 0) bounds.push(Math.floor((host.idleGpuMemoryKb - layer.minGpuMemoryKb) / layer.minGpuMemoryKb));
  return bounds.length === 0 ? 0 : Math.max(0, Math.min(...bounds));
}

export function epvmScore(host: DispatchHost, layer: DispatchLayer, w: EpvmWeights, coreMultiplier: number): number {
  const more = maxMore(host, layer, coreMultiplier);
  const waste = (idle: number, min: number) => (min > 0 ? (idle - min - more * min) / min : 0);
  const cores = waste(Math.trunc(host.idleCoreUnits / coreMultiplier), Math.trunc(layer.minCoreUnits / coreMultiplier));
  const mem = waste(host.idleMemoryKb, layer.minMemoryKb);
  const gpu = layer.minGpus > 0
    ? w.gpus * waste(host.idleGpus, layer.minGpus) + w.gpu_mem * waste(host.idleGpuMemoryKb, layer.minGpuMemoryKb)
    : w.gpu_count_reservation * host.idleGpus + w.gpu_mem_reservation * (host.idleGpuMemoryKb * 1024 / 1e9);
  return w.cores * cores + w.mem * mem + gpu;
}

/** The best eligible host for the layer, or null. `excluded` are hosts this pass gave up on. */
export function chooseHost(hosts: readonly DispatchHost[], layer: DispatchLayer, strategy: BookingStrategy, coreMultiplier: number, excluded: ReadonlySet<string>): DispatchHost | null {
  let best: DispatchHost | null = null;
  let bestKey: [number, number] = [0, 0];
  let scanned = 0;
  for (const h of hosts) {
    if (excluded.has(h.id) || !hostFitsLayer(h, layer, coreMultiplier)) continue;
    let key: [number, number];
    if (strategy.type === "saturation") {
      const coreKey = Math.trunc(h.idleCoreUnits / coreMultiplier);
      const memKey = Math.floor(h.idleMemoryKb / strategy.memoryKeyDivisorKb);
      key = [strategy.coreSaturation ? coreKey : -coreKey, strategy.memorySaturation ? memKey : -memKey];
    } else {
      if (scanned++ >= strategy.maxCandidates) break;
      key = [epvmScore(h, layer, strategy.weights, coreMultiplier), 0];
    }
    if (best === null || key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
      best = h;
      bestKey = key;
    }
  }
  return best;
}
