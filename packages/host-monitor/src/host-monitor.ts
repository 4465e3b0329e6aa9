import { lookup } from "node:dns/promises";
import { tmpdir } from "node:os";
import { HostMonitorParseError } from "./errors.js";
import { createIdleDetector, type Clock, type IdleDetector } from "./idle.js";
import { createLinuxPlatform, type LinuxPlatformOptions } from "./linux/linux-platform.js";
import type { CpuTopology } from "./parsers/cpuinfo.js";
import type { HostPlatform } from "./platform.js";
import {
  buildCoreDetail,
  buildRenderHost,
  type CoreDetailLike,
  type HostFacts,
  type RenderHostConfig,
  type RenderHostLike,
  type RenderHostState,
} from "./render-host.js";

/** The platform implementation for this OS. Only Linux exists so far; others throw. */
export function createHostPlatform(options: LinuxPlatformOptions = {}, platform: string = process.platform): HostPlatform {
  if (platform === "linux") return createLinuxPlatform(options);
  throw new Error(`@opencue-ts/host-monitor: no HostPlatform for "${platform}" yet (Linux only)`);
}

export interface HostMonitorOptions extends RenderHostConfig {
  platform?: HostPlatform;
  /** Directory whose filesystem is reported as total/free "mcp". Default os.tmpdir(). */
  tempDir?: string;
  /** Report the host's first resolved address instead of its name (upstream use_ip_as_hostname). */
  useIpAsHostname?: boolean;
  /** Epoch ms. */
  clock?: Clock;
}

export interface HostMonitor {
  readonly platform: HostPlatform;
  /** Everything measured, raw (kB, epoch seconds). */
  readHostFacts(): Promise<HostFacts>;
  /** report.RenderHost-shaped facts (bigint kB for int64 fields). */
  readRenderHost(state?: RenderHostState): Promise<RenderHostLike>;
  /** report.CoreDetail-shaped core counts for the caller's bookings (counts of physical cores). */
  readCoreDetail(usage?: { lockedCores?: number; bookedCores?: number }): Promise<CoreDetailLike>;
  readCpuTopology(): Promise<CpuTopology>;
  /** NIMBY input detector using this platform's idle sources and login sessions. */
  createIdleDetector(options?: { mode?: "auto" | "off" }): IdleDetector;
}

export function createHostMonitor(options: HostMonitorOptions = {}): HostMonitor {
  const clock = options.clock ?? Date.now;
  const platform = options.platform ?? createHostPlatform({ clock });
  const tempDir = options.tempDir ?? tmpdir();
  let resolvedName: string | null = null;

  async function hostName(): Promise<string> {
    const name = await platform.readHostname();
    if (!options.useIpAsHostname) return name;
    if (resolvedName === null) {
      const short = name.split(".")[0] ?? name;
      resolvedName = (await lookup(short)).address;
    }
    return resolvedName;
  }

  async function readHostFacts(): Promise<HostFacts> {
    const [hostname, topology, memory, load, bootTime, os, temp, gpus, cgroup] = await Promise.all([
      hostName(),
      platform.readCpuTopology(),
      platform.readMemory(),
      platform.readLoadAverage(),
      // Upstream reports boot time 0 when /proc/stat is unreadable rather than failing the report.
      platform.readBootTime().catch((error: unknown) => {
        if (error instanceof HostMonitorParseError) return 0;
        throw error;
      }),
      platform.readOsFacts(),
      platform.readDiskSpace(tempDir),
      platform.readGpus(),
      platform.detectCgroupV2(),
    ]);
    return { hostname, topology, memory, load, bootTime, os, tempDir: temp, gpus, cgroup, sampledAt: clock() };
  }

  return {
    platform,
    readHostFacts,
    async readRenderHost(state = {}) {
      return buildRenderHost(await readHostFacts(), options, state);
    },
    async readCoreDetail(usage = {}) {
      return buildCoreDetail(await platform.readCpuTopology(), usage, options.coreMultiplier ?? 100);
    },
    readCpuTopology: () => platform.readCpuTopology(),
    createIdleDetector: (detectorOptions = {}) =>
      createIdleDetector({
        sources: platform.idleSources(clock),
        readSessions: () => platform.readLoginSessions(),
        clock,
        mode: detectorOptions.mode ?? "auto",
      }),
  };
}
