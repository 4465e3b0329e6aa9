import { SchedulerCoreError } from "./errors.js";
import { defaultPlanOptions, defaultScoreWeights, planOptionsFromConfig, type SchedulerConfigLike } from "./options.js";

// The shape cue-scheduler's loader produces from config/scheduler.yaml (sizes already in bytes).
const base: SchedulerConfigLike = {
  queue: {
    core_multiplier: 100,
    dispatch_frames_per_layer_limit: 20,
    host_candidate_attempts_per_layer: 10,
    mem_reserved_min: 262_144_000, // 250 MiB
    memory_stranded_threshold: 2 * 1024 ** 3, // 2 GiB
    selfish_services: [],
    host_booking_strategy: { type: "saturation" },
  },
};
const withQueue = (q: Partial<SchedulerConfigLike["queue"]>, rest: Omit<SchedulerConfigLike, "queue"> = {}): SchedulerConfigLike => ({ ...rest, queue: { ...base.queue, ...q } });

describe("planOptionsFromConfig", () => {
  it("maps saturation to first fit and keeps engine defaults for absent keys", () => {
    const o = planOptionsFromConfig(base);
    expect(o.placement).toBe("first-fit");
    expect(o.coreSaturation).toBe(defaultPlanOptions.coreSaturation);
    expect(o.memorySaturation).toBe(defaultPlanOptions.memorySaturation);
    expect(o.maxCandidates).toBe(defaultPlanOptions.maxCandidates);
    expect(o.weights).toEqual(defaultScoreWeights);
    expect(o.reservations).toBe(defaultPlanOptions.reservations);
    expect(o.agingPerHour).toBe(defaultPlanOptions.agingPerHour);
    expect(o.memoryBucketKb).toBe(defaultPlanOptions.memoryBucketKb);
    expect(o.ignoreTags).toEqual([]);
    expect(o.fairShare).toBe(true);
  });

  it("converts byte sizes to KB", () => {
    const o = planOptionsFromConfig(withQueue({ mem_reserved_min: 262_144_000, memory_stranded_threshold: 3 * 1024 ** 3 + 1023 }, { host_cache: { memory_key_divisor: 4 * 1024 ** 3 } }));
    expect(o.memReservedMinKb).toBe(256_000);
    expect(o.memoryStrandedThresholdKb).toBe(3 * 1024 * 1024); // partial KB rounds down
    expect(o.memoryBucketKb).toBe(4 * 1024 * 1024);
  });

  it("maps epvm to scored placement with its candidates and weights; queue and scheduler keys carry over", () => {
    const o = planOptionsFromConfig(
      withQueue(
        {
          core_multiplier: 50,
          dispatch_frames_per_layer_limit: 7,
          host_candidate_attempts_per_layer: 3,
          selfish_services: ["arnold"],
          reservations: false,
          aging_per_hour: 0.5,
          host_booking_strategy: {
            type: "epvm",
            core_saturation: false,
            memory_saturation: true,
            max_candidates: 25,
            weights: { cores: 3, mem: 2, gpus: 4, gpu_mem: 1.5, gpu_count_reservation: 0, gpu_mem_reservation: 6 },
          },
        },
        { scheduler: { ignore_tags: ["retired"] } },
      ),
    );
    expect(o).toMatchObject({
      placement: "scored",
      coreSaturation: false,
      memorySaturation: true,
      maxCandidates: 25,
      weights: { cores: 3, mem: 2, gpus: 4, gpuMem: 1.5, gpuCountReservation: 0, gpuMemReservation: 6 },
      coreMultiplier: 50,
      dispatchFramesPerLayerLimit: 7,
      hostCandidateAttemptsPerLayer: 3,
      selfishServices: ["arnold"],
      reservations: false,
      agingPerHour: 0.5,
      ignoreTags: ["retired"],
    });
  });

  it("a null max_candidates (the YAML's optional, unset) keeps the default", () => {
    expect(planOptionsFromConfig(withQueue({ host_booking_strategy: { type: "epvm", max_candidates: null } })).maxCandidates).toBe(defaultPlanOptions.maxCandidates);
  });

  it("extra options override the config", () => {
    const o = planOptionsFromConfig(base, { placement: "scored", seed: 42, fairShare: false });
    expect(o).toMatchObject({ placement: "scored", seed: 42, fairShare: false });
  });

  it.each([
    ["an unknown strategy", withQueue({ host_booking_strategy: { type: "best-fit" } }), "queue.host_booking_strategy.type"],
    ["a zero core multiplier", withQueue({ core_multiplier: 0 }), "coreMultiplier"],
    ["a negative reserved memory", withQueue({ mem_reserved_min: -1024 }), "memReservedMinKb"],
    ["a negative weight", withQueue({ host_booking_strategy: { type: "epvm", weights: { cores: -1, mem: 1, gpus: 1, gpu_mem: 1, gpu_count_reservation: 1, gpu_mem_reservation: 1 } } }), "weights.cores"],
  ])("rejects %s with invalid-options", (_what, config, field) => {
    let error: unknown;
    try {
      planOptionsFromConfig(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchedulerCoreError);
    expect(error).toMatchObject({ code: "invalid-options", field });
  });
});
