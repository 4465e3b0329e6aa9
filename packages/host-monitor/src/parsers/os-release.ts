import { HostMonitorParseError } from "../errors.js";

/** /etc/os-release (or /etc/lsb-release) fields. */
export interface OsRelease {
  /** ID= (os-release) or DISTRIB_ID= (lsb-release), quotes removed, as upstream uses it for SP_OS. */
  id: string | null;
  idLike: string[];
  name: string | null;
  prettyName: string | null;
  versionId: string | null;
  versionCodename: string | null;
  all: Record<string, string>;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    return v.slice(1, -1).replace(/\\(["'$`\\])/g, "$1");
  }
  return v;
}

export function parseOsRelease(text: string, file = "/etc/os-release"): OsRelease {
  const all: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(line.slice(0, eq))) {
      throw new HostMonitorParseError(file, i + 1, `expected KEY=value, got ${JSON.stringify(line)}`);
    }
    all[line.slice(0, eq)] = unquote(line.slice(eq + 1));
  }
  if (Object.keys(all).length === 0) throw new HostMonitorParseError(file, null, "empty file");
  const get = (k: string): string | null => (all[k] === undefined || all[k] === "" ? null : (all[k] as string));
  return {
    id: get("ID") ?? get("DISTRIB_ID"),
    idLike: (all["ID_LIKE"] ?? "").split(/\s+/).filter((s) => s !== ""),
    name: get("NAME") ?? get("DISTRIB_ID"),
    prettyName: get("PRETTY_NAME") ?? get("DISTRIB_DESCRIPTION"),
    versionId: get("VERSION_ID") ?? get("DISTRIB_RELEASE"),
    versionCodename: get("VERSION_CODENAME") ?? get("DISTRIB_CODENAME"),
    all,
  };
}
