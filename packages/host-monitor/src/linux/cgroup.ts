import { mkdir, rmdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { parseControllerList, parseMountInfo, parseProcCgroup } from "../parsers/cgroup.js";
import type { CgroupSupport } from "../process-types.js";
import { readProcText } from "./proc-fs.js";

export interface DetectCgroupOptions {
  /** Default "/proc". */
  procRoot?: string;
}

/**
 * Whether this process may create and control child cgroups (cgroup v2), and where: finds the cgroup2
 * mount, our own cgroup in it, and proves we can create a child there by making and removing one.
 * `controllers` lists what children of `root` get (its cgroup.subtree_control); frame memory limits
 * need "memory" there. Never throws.
 */
export async function detectCgroupV2(options: DetectCgroupOptions = {}): Promise<CgroupSupport> {
  const procRoot = options.procRoot ?? "/proc";
  const no = (reason: string): CgroupSupport => ({ usable: false, root: null, reason, controllers: [] });
  const mountText = readProcText(`${procRoot}/self/mountinfo`);
  const cgroupText = readProcText(`${procRoot}/self/cgroup`);
  if (mountText === null || cgroupText === null) return no(`cannot read ${procRoot}/self/mountinfo or ${procRoot}/self/cgroup`);
  let mount;
  let v2Path;
  try {
    mount = parseMountInfo(mountText, `${procRoot}/self/mountinfo`).find((m) => m.fsType === "cgroup2");
    v2Path = parseProcCgroup(cgroupText, `${procRoot}/self/cgroup`).v2Path;
  } catch (error) {
    return no(String((error as Error).message));
  }
  if (!mount) return no("no cgroup2 filesystem is mounted");
  if (v2Path === null) return no("this process has no cgroup v2 membership (cgroup v1 only)");
  // Inside a cgroup namespace both are "/"-relative to the namespace; on the host the mount root is "/".
  const rel = relative(mount.root, v2Path);
  if (rel.startsWith("..")) return no(`our cgroup ${v2Path} is outside the visible cgroup2 mount (root ${mount.root})`);
  const dir = join(mount.mountPoint, rel);
  const subtree = readProcText(join(dir, "cgroup.subtree_control"));
  if (subtree === null) return no(`${dir} is not readable`);
  const controllers = parseControllerList(subtree);
  const probe = join(dir, `opencue-probe-${process.pid}-${Date.now().toString(36)}`);
  try {
    await mkdir(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    return { usable: false, root: null, reason: `cannot create a child cgroup in ${dir} (${code})`, controllers };
  }
  try {
    await rmdir(probe);
  } catch {
    // an empty cgroup dir we made and cannot remove is harmless; the kernel removes it with its parent
  }
  const has = controllers.length > 0 ? `controllers for children: ${controllers.join(" ")}` : "no controllers enabled for children";
  return { usable: true, root: dir, reason: `may create child cgroups in ${dir}; ${has}`, controllers };
}
