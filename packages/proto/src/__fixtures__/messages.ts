import { create } from "@bufbuild/protobuf";
import { HardwareState } from "../gen/host_pb.js";
import {
  ChildrenProcStatsSchema,
  CoreDetailSchema,
  CoreIdSchema,
  FrameCompleteReportSchema,
  HostReportSchema,
  RenderHostSchema,
  RunningFrameInfoSchema,
  type ChildrenProcStats,
} from "../gen/report_pb.js";
import { RunFrameSchema } from "../gen/rqd_pb.js";

// Every field set to a non-default value, with int64s beyond 2^53 so that bigint handling shows.
const big = 9_007_199_254_740_993n;

export function children(): ChildrenProcStats {
  return create(ChildrenProcStatsSchema, {
    children: [
      {
        stat: { rss: big, pss: 7n, vsize: 8n, state: "R", name: "blender", pid: "4242" },
        statm: { rss: 11n, size: 12n },
        status: { vrss: 13n, vsize: 14n },
        cmdline: "blender -b scene.blend -f 1",
        startTime: "1700000000",
      },
      {
        stat: { rss: 1n, pss: 2n, vsize: 3n, state: "S", name: "sh", pid: "4241" },
        statm: { rss: 4n, size: 5n },
        status: { vrss: 6n, vsize: 7n },
        cmdline: "/bin/sh -c blender",
        startTime: "1699999999",
      },
    ],
  });
}

export function renderHost() {
  return create(RenderHostSchema, {
    name: "render-01",
    nimbyEnabled: true,
    nimbyLocked: true,
    facility: "local",
    numProcs: 2,
    coresPerProc: 800,
    totalSwap: 2_097_152n,
    totalMem: 67_108_864n,
    totalMcp: 1_048_576n,
    freeSwap: 1_048_576n,
    freeMem: big,
    freeMcp: 524_288n,
    load: 150,
    bootTime: 1_700_000_000,
    tags: ["general", "linux"],
    state: HardwareState.REBOOT_WHEN_IDLE,
    attributes: { SP_OS: "Linux", hyperthreadingMultiplier: "2" },
    numGpus: 1,
    freeGpuMem: 8_000_000n,
    totalGpuMem: 16_000_000n,
  });
}

export function runningFrameInfo() {
  return create(RunningFrameInfoSchema, {
    resourceId: "7a4c3f0e-0000-4000-8000-000000000001",
    jobId: "7a4c3f0e-0000-4000-8000-000000000002",
    jobName: "show-shot-user_job",
    frameId: "7a4c3f0e-0000-4000-8000-000000000003",
    frameName: "0001-render",
    layerId: "7a4c3f0e-0000-4000-8000-000000000004",
    numCores: 100,
    startTime: 1_700_000_000_000n,
    maxRss: big,
    rss: 2048n,
    maxVsize: 8192n,
    vsize: 4096n,
    attributes: { key: "value" },
    lluTime: 1_700_000_100n,
    numGpus: 1,
    maxUsedGpuMemory: 1024n,
    usedGpuMemory: 512n,
    children: children(),
    usedSwapMemory: 64n,
    maxPss: 3000n,
    pss: 1500n,
  });
}

export function runFrame() {
  return create(RunFrameSchema, {
    resourceId: "7a4c3f0e-0000-4000-8000-000000000001",
    jobId: "7a4c3f0e-0000-4000-8000-000000000002",
    jobName: "show-shot-user_job",
    frameId: "7a4c3f0e-0000-4000-8000-000000000003",
    frameName: "0001-render",
    layerId: "7a4c3f0e-0000-4000-8000-000000000004",
    command: "echo hello",
    userName: "artist",
    logDir: "/tmp/logs",
    show: "show",
    shot: "shot",
    jobTempDir: "/tmp/job",
    frameTempDir: "/tmp/frame",
    logFile: "0001-render.rqlog",
    logDirFile: "/tmp/logs/0001-render.rqlog",
    startTime: 1_700_000_000_000n,
    uidOptional: { case: "uid", value: 0 },
    numCores: 100,
    gid: 20,
    ignoreNimby: true,
    environment: { PATH: "/usr/bin", "CUE_THREADS": "1" },
    attributes: { priority: "high" },
    numGpus: 1,
    children: children(),
    os: "Linux",
    softMemoryLimit: 4_000_000n,
    hardMemoryLimit: big,
    pid: 31337,
    lokiUrl: "http://loki.local:3100",
  });
}

export function hostReport() {
  return create(HostReportSchema, {
    host: renderHost(),
    frames: [runningFrameInfo(), create(RunningFrameInfoSchema, { frameId: "second", numCores: 50 })],
    coreInfo: coreDetail(),
  });
}

export function coreDetail() {
  return create(CoreDetailSchema, {
    totalCores: 1600,
    idleCores: 1400,
    lockedCores: 100,
    bookedCores: 100,
    reservedCores: { "0": create(CoreIdSchema, { coreid: [0n, 1n, big] }), "1": create(CoreIdSchema, { coreid: [2n] }) },
  });
}

export function frameCompleteReport() {
  return create(FrameCompleteReportSchema, {
    host: renderHost(),
    frame: runningFrameInfo(),
    exitStatus: 1,
    exitSignal: 9,
    runTime: 3600,
  });
}
