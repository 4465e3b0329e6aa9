/** What tree selection needs to know about one live process. */
export interface ProcessLink {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
}

/**
 * Picks the processes that belong to a frame rooted at `rootPid`, root first, then breadth-first:
 *  - every descendant by parent pid (finds children that called setsid/setpgid while their parent lives),
 *  - every process whose session id or process-group id equals `rootPid` (frames are started with
 *    setsid, so this finds orphans re-parented to init that stayed in the frame's session), and
 *  - every pid in `extraPids` (a cgroup's members), with their descendants.
 * A root that is not a session or group leader does not pull in its session: that session belongs to
 * whoever started it (a shell, a test runner), not to the frame.
 * Returns [] when the root is not among `links`.
 */
export function selectProcessTree(
  links: ReadonlyMap<number, ProcessLink>,
  childrenOf: ReadonlyMap<number, number[]>,
  rootPid: number,
  extraPids: Iterable<number> = [],
): number[] {
  if (!links.has(rootPid)) return [];
  const seen = new Set<number>([rootPid]);
  const order: number[] = [rootPid];
  const add = (pid: number): void => {
    if (!seen.has(pid) && links.has(pid)) {
      seen.add(pid);
      order.push(pid);
    }
  };
  for (const link of links.values()) {
    if (link.sid === rootPid || link.pgid === rootPid) add(link.pid);
  }
  for (const pid of extraPids) add(pid);
  // Breadth-first over children of everything found so far (order grows while we walk it).
  for (let i = 0; i < order.length; i++) {
    const kids = childrenOf.get(order[i] as number);
    if (kids) for (const kid of kids) add(kid);
  }
  return order;
}

/** Index of parent pid -> child pids, built once per /proc scan and shared by all trees of that scan. */
export function indexChildren(links: Iterable<ProcessLink>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const link of links) {
    const list = out.get(link.ppid);
    if (list) list.push(link.pid);
    else out.set(link.ppid, [link.pid]);
  }
  return out;
}
