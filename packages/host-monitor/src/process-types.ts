/** Memory in kB (KiB, as OpenCue's wire uses), times in seconds unless the name says otherwise. */
export interface ProcessSample {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** /proc/PID/stat comm. */
  name: string;
  /** One-letter state, e.g. "R", "S", "Z". */
  state: string;
  /** argv joined by spaces ("" for kernel threads / zombies). */
  cmdline: string;
  /** /proc/PID/stat field 22 (clock ticks since boot): identity check together with the pid. */
  startTicks: number;
  /** Epoch seconds the process started (boot time + startTicks / CLOCK_TICKS). */
  startTime: number;
  rssKb: number;
  vsizeKb: number;
  /** From smaps_rollup when readable, else null. */
  pssKb: number | null;
  /** Swapped-out kB (VmSwap; the Swap line of smaps_rollup when that file was read), 0 when absent. */
  swapKb: number;
  /** utime + stime + cutime + cstime (reaped children included), seconds. */
  cpuSeconds: number;
}

export interface ProcessTreeSample {
  rootPid: number;
  /** Epoch ms. */
  sampledAt: number;
  /**
   * Root first; every descendant found by ppid walk and any process whose session or process group is
   * the root's pid (frames are session leaders), plus cgroup members when a cgroupDir was given.
   */
  processes: ProcessSample[];
  /** Totals over the tree, kB. pssKb counts rss for processes without a readable PSS. */
  rssKb: number;
  vsizeKb: number;
  pssKb: number;
  swapKb: number;
  cpuSeconds: number;
}

export interface ProcessTreeOptions {
  /** Default "/proc". */
  procRoot?: string;
  /** When set, also include every pid listed in <cgroupDir>/cgroup.procs. */
  cgroupDir?: string;
  /**
   * Read smaps_rollup for PSS (default true). It is the most expensive file per process (the kernel
   * walks the page tables); false leaves pssKb null and reads VmSwap from status instead.
   */
  pss?: boolean;
  /** Read swap use (default true). false together with pss: false reads one file per process; swapKb is then 0. */
  swap?: boolean;
}

/** report.ChildrenProcStats-shaped plain object (no protobuf dependency). Memory fields in kB. */
export interface ChildProcStatsLike {
  stat: { rss: bigint; pss: bigint; vsize: bigint; state: string; name: string; pid: string };
  statm: { rss: bigint; size: bigint };
  status: { vrss: bigint; vsize: bigint };
  cmdline: string;
  /** Local time "YYYY-MM-DD HH:MM:SS", as the upstream RQDs write it. */
  startTime: string;
}

/** cgroup v2: whether this process may create and control child cgroups, and where. */
export interface CgroupSupport {
  usable: boolean;
  /** A directory we may mkdir child cgroups in, or null. */
  root: string | null;
  /** Why it is (not) usable, for logs. */
  reason: string;
  /** Controllers available in `root` (cgroup.controllers), [] when unknown. */
  controllers: string[];
}
