import { toChildrenProcStats, formatLocalTimestamp } from "./children-stats.js";
import { createFrameUsageTracker } from "./frame-usage.js";
import { indexChildren, selectProcessTree, type ProcessLink } from "./process-tree-select.js";
import type { ProcessSample, ProcessTreeSample } from "./process-types.js";

const links = (list: [number, number, number, number][]): Map<number, ProcessLink> =>
  new Map(list.map(([pid, ppid, pgid, sid]) => [pid, { pid, ppid, pgid, sid }]));

describe("selectProcessTree", () => {
  // 100 = frame (session leader); 101 child; 102 child that called setsid (own session);
  // 103 grandchild under 102; 104 orphan re-parented to 1 but still in session 100;
  // 200 unrelated process in session 50 whose parent is 1; 300 shell (session 300) that is 100's parent.
  const table = links([
    [1, 0, 0, 0], [300, 1, 300, 300], [100, 300, 100, 100], [101, 100, 100, 100], [102, 100, 102, 102],
    [103, 102, 102, 102], [104, 1, 100, 100], [200, 1, 200, 50],
  ]);
  const kids = indexChildren(table.values());

  test("descendants by ppid, session members and group members; root first", () => {
    const tree = selectProcessTree(table, kids, 100);
    expect(tree[0]).toBe(100);
    expect([...tree].sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104]);
  });

  test("a root that leads no session does not pull in its session", () => {
    expect(selectProcessTree(table, kids, 101)).toEqual([101]);
    expect(selectProcessTree(table, kids, 102).sort()).toEqual([102, 103]);
  });

  test("extra pids (cgroup members) and their descendants are included; unknown root gives []", () => {
    expect(selectProcessTree(table, kids, 101, [102, 999])).toEqual([101, 102, 103]);
    expect(selectProcessTree(table, kids, 555)).toEqual([]);
  });
});

const proc = (over: Partial<ProcessSample>): ProcessSample => ({
  pid: 10, ppid: 1, pgid: 10, sid: 10, name: "render", state: "R", cmdline: "render -f 1", startTicks: 500, startTime: 1_700_000_000,
  rssKb: 1000, vsizeKb: 5000, pssKb: 800, swapKb: 0, cpuSeconds: 1, ...over,
});
const tree = (processes: ProcessSample[]): ProcessTreeSample => ({
  rootPid: processes[0]!.pid, sampledAt: 0, processes,
  rssKb: processes.reduce((a, p) => a + p.rssKb, 0), vsizeKb: processes.reduce((a, p) => a + p.vsizeKb, 0),
  pssKb: processes.reduce((a, p) => a + (p.pssKb ?? p.rssKb), 0), swapKb: processes.reduce((a, p) => a + p.swapKb, 0),
  cpuSeconds: processes.reduce((a, p) => a + p.cpuSeconds, 0),
});

describe("toChildrenProcStats", () => {
  test("kB bigints, pid as string, local start time, PSS falls back to RSS", () => {
    const out = toChildrenProcStats(tree([proc({}), proc({ pid: 11, pssKb: null, rssKb: 2048, state: "Z", cmdline: "" })]));
    expect(out.children[0]).toEqual({
      stat: { rss: 1000n, pss: 800n, vsize: 5000n, state: "R", name: "render", pid: "10" },
      statm: { rss: 1000n, size: 5000n },
      status: { vrss: 1000n, vsize: 5000n },
      cmdline: "render -f 1",
      startTime: formatLocalTimestamp(1_700_000_000),
    });
    expect(out.children[1]?.stat.pss).toBe(2048n);
    expect(formatLocalTimestamp(1_700_000_000)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });
});

describe("createFrameUsageTracker", () => {
  test("keeps maxima across samples and every process seen", () => {
    const t = createFrameUsageTracker();
    t.update(tree([proc({ rssKb: 5000, pssKb: 4000 }), proc({ pid: 11, startTicks: 600, startTime: 1_699_999_000, rssKb: 7000 })]));
    t.update(null);
    const u = t.update(tree([proc({ rssKb: 9000, pssKb: 100, cpuSeconds: 20 })]));
    expect(u).toMatchObject({ samples: 2, maxRssKb: 12000, maxPssKb: 4800, cpuSeconds: 20, startTime: 1_699_999_000 });
    expect(u.latest?.rssKb).toBe(9000);
    expect(u.processes.get("10:500")?.maxRssKb).toBe(9000);
    expect(u.processes.get("11:600")?.maxRssKb).toBe(7000);
  });
});
