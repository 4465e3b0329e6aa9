// Who a frame runs as: the passwd database, read directly (no shelling out to `id`/`getent`).
import { readFile } from "node:fs/promises";

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

export async function readPasswd(path = "/etc/passwd"): Promise<PasswdEntry[]> {
  try {
    return parsePasswd(await readFile(path, "utf8"));
  } catch {
    // No passwd file (minimal containers): every lookup misses.
    return [];
  }
}
