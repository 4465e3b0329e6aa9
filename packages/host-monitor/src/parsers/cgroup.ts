import { HostMonitorParseError } from "../errors.js";

/** One line of /proc/PID/mountinfo (only the fields host-monitor uses). */
export interface MountInfoEntry {
  /** Root of the mount inside its filesystem (for cgroup2 in a container: the namespace's cgroup). */
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  options: string[];
}

function unescapeOctal(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string, file = "/proc/self/mountinfo"): MountInfoEntry[] {
  const out: MountInfoEntry[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const fields = line.split(" ");
    const dash = fields.indexOf("-", 6);
    if (fields.length < 10 || dash < 0 || fields.length < dash + 3) {
      throw new HostMonitorParseError(file, i + 1, "expected '<id> <parent> <dev> <root> <mountpoint> <opts> ... - <fstype> <source> <superopts>'");
    }
    out.push({
      root: unescapeOctal(fields[3] as string),
      mountPoint: unescapeOctal(fields[4] as string),
      fsType: fields[dash + 1] as string,
      source: unescapeOctal(fields[dash + 2] as string),
      options: (fields[5] as string).split(","),
    });
  }
  return out;
}

/** /proc/PID/cgroup: hierarchy id, controllers and path per line. The v2 entry is "0::<path>". */
export interface CgroupMembership {
  v2Path: string | null;
  v1: { id: number; controllers: string[]; path: string }[];
}

export function parseProcCgroup(text: string, file = "/proc/self/cgroup"): CgroupMembership {
  const out: CgroupMembership = { v2Path: null, v1: [] };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "") continue;
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) throw new HostMonitorParseError(file, i + 1, "expected '<id>:<controllers>:<path>'");
    const id = Number(line.slice(0, first));
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (!Number.isInteger(id)) throw new HostMonitorParseError(file, i + 1, `bad hierarchy id ${JSON.stringify(line.slice(0, first))}`);
    if (id === 0 && controllers === "") out.v2Path = path;
    else out.v1.push({ id, controllers: controllers === "" ? [] : controllers.split(","), path });
  }
  return out;
}

/** cgroup.controllers / cgroup.subtree_control: space separated names. */
export function parseControllerList(text: string): string[] {
  return text.split(/\s+/).filter((s) => s !== "");
}
