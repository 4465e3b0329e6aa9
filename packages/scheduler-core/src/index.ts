// @opencue-ts/scheduler-core: a pure OpenCue matching engine (no I/O, time injected).
export const packageName = "@opencue-ts/scheduler-core";

export type * from "./snapshot.js";
export { SchedulerCoreError, type SchedulerCoreErrorCode, type SchedulerCoreErrorDetails } from "./errors.js";
export {
  defaultPlanOptions,
  defaultScoreWeights,
  resolvePlanOptions,
  planOptionsFromConfig,
  type PlanOptions,
  type Placement,
  type JobOrder,
  type ScoreWeights,
  type SchedulerConfigLike,
} from "./options.js";
export type * from "./plan-result.js";
export { plan } from "./plan.js";
export {
  buildClusters,
  clusterKey,
  compareClusters,
  compareClusterTags,
  type Cluster,
  type ClusterTag,
  type ClusterInput,
  type ClusterOptions,
  type HostTagRow,
} from "./clusters.js";
export { createHostIndex, type HostIndex, type HostIndexOptions, type IndexedHost, type CandidateQuery, type HostShape } from "./host-index.js";
export { coresForFrame, requestedCores, type CoreSizingInput } from "./core-sizing.js";
export { computeMaxMore, placementScore, type ScoreInput } from "./placement-score.js";
export { parseTagList, parseServiceList, threadModeFromInt, normaliseId } from "./cuebot-values.js";
export { createPrng, type Prng } from "./prng.js";
export type * from "./simulator/farm-spec.js";
export {
  simulate,
  type SimulateOptions,
  type SimulationResult,
  type SimSample,
  type SimShowReport,
} from "./simulator/simulate.js";
export { formatSimulationTable, renderSimulationSvg } from "./simulator/report.js";
export { createFarmPreset, farmPresetNames, type FarmPresetName, type FarmPresetOptions } from "./simulator/presets.js";
