// Clusters: the unit of scheduling work, (facility, show, tags). Loaded from host tags, allocations and
// subscriptions of the scheduled shows, as the reference does (alloc clusters: one per subscribed
// allocation whose tag some host carries; manual/hostname/hardware tags chunked per show).
import { sql, type Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";

export type TagType = "ALLOC" | "MANUAL" | "HOSTNAME" | "HARDWARE";

export interface ClusterTag {
  readonly name: string;
  readonly type: TagType;
  readonly allocId?: string;
}

export interface Cluster {
  /** Stable identity: the same DB state always yields the same key (leases are keyed by it). */
  readonly key: string;
  readonly facilityId: string;
  readonly showId: string;
  readonly tags: readonly ClusterTag[];
  /** Metric label: the type of the first tag. */
  readonly type: "alloc" | "manual" | "hostname" | "hardware";
}

/** Which shows and tags this service schedules. */
export interface ClusterScope {
  /** Facility id, or null for every facility. */
  readonly facilityId: string | null;
  /** Show ids scheduled regardless of b_scheduler_managed; empty = every active scheduler-managed show. */
  readonly showIds: readonly string[];
  readonly ignoreTags: readonly string[];
  /** Only these ALLOC tags (empty = all). */
  readonly allocTags: readonly string[];
  /** Only these MANUAL tags (empty = all). */
  readonly manualTags: readonly string[];
  readonly manualChunkSize: number;
  readonly hostnameChunkSize: number;
}

interface ClusterRow {
  str_tag: string;
  pk_alloc: string | null;
  pk_show: string;
  pk_facility: string;
  str_tag_type: string;
}

function showFilter(scope: ClusterScope) {
  return scope.showIds.length > 0
    ? sql`s.pk_show = ANY(${[...scope.showIds]}::varchar[]) AND s.b_active`
    : sql`s.b_active AND s.b_scheduler_managed`;
}

function facilityFilter(scope: ClusterScope) {
  return scope.facilityId === null ? sql`TRUE` : sql`a.pk_facility = ${scope.facilityId}`;
}

export function makeClusterKey(facilityId: string, showId: string, tags: readonly ClusterTag[]): string {
  return `${facilityId}/${showId}/${tags.map((t) => `${t.type}:${t.name}${t.allocId ? `@${t.allocId}` : ""}`).join(",")}`;
}

function cluster(facilityId: string, showId: string, tags: ClusterTag[]): Cluster {
  return { key: makeClusterKey(facilityId, showId, tags), facilityId, showId, tags, type: tags[0]!.type.toLowerCase() as Cluster["type"] };
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Loads the cluster universe; deterministic order (facility, show, tags). */
export async function loadClusters(db: Kysely<Database>, scope: ClusterScope): Promise<Cluster[]> {
  const allocRows = await sql<ClusterRow>`
    SELECT DISTINCT a.str_tag, a.pk_alloc, s.pk_show, a.pk_facility, 'ALLOC' AS str_tag_type
      FROM host_tag ht
      JOIN alloc a ON a.str_tag = ht.str_tag
      JOIN subscription sub ON sub.pk_alloc = a.pk_alloc
      JOIN show s ON s.pk_show = sub.pk_show
     WHERE ht.str_tag_type = 'ALLOC' AND ${showFilter(scope)} AND ${facilityFilter(scope)}`.execute(db);
  const otherRows = await sql<ClusterRow>`
    SELECT DISTINCT ht.str_tag, NULL AS pk_alloc, sub.pk_show, a.pk_facility, ht.str_tag_type
      FROM host_tag ht
      JOIN host h ON h.pk_host = ht.pk_host
      JOIN alloc a ON a.pk_alloc = h.pk_alloc
      JOIN subscription sub ON sub.pk_alloc = a.pk_alloc
      JOIN show s ON s.pk_show = sub.pk_show
     WHERE ht.str_tag_type <> 'ALLOC' AND ${showFilter(scope)} AND ${facilityFilter(scope)}`.execute(db);

  const ignore = new Set(scope.ignoreTags);
  const allocOnly = new Set(scope.allocTags);
  const manualOnly = new Set(scope.manualTags);
  const out: Cluster[] = [];
  for (const r of allocRows.rows) {
    if (ignore.has(r.str_tag) || (allocOnly.size > 0 && !allocOnly.has(r.str_tag))) continue;
    out.push(cluster(r.pk_facility, r.pk_show, [{ name: r.str_tag, type: "ALLOC", allocId: r.pk_alloc! }]));
  }
  // Manual, hostname and hardware tags: ordered sets per (facility, show), chunked.
  const groups = new Map<string, { facilityId: string; showId: string; tags: Map<TagType, Set<string>> }>();
  for (const r of otherRows.rows) {
    const type = r.str_tag_type as TagType;
    if (type !== "MANUAL" && type !== "HOSTNAME" && type !== "HARDWARE") continue; // Cuebot writes upper case
    if (ignore.has(r.str_tag)) continue;
    if (type === "MANUAL" && manualOnly.size > 0 && !manualOnly.has(r.str_tag)) continue;
    const gk = `${r.pk_facility}/${r.pk_show}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { facilityId: r.pk_facility, showId: r.pk_show, tags: new Map() }));
    let set = g.tags.get(type);
    if (!set) g.tags.set(type, (set = new Set()));
    set.add(r.str_tag);
  }
  for (const g of groups.values()) {
    for (const type of ["MANUAL", "HOSTNAME", "HARDWARE"] as const) {
      const names = [...(g.tags.get(type) ?? [])].sort(byString);
      const size = type === "HOSTNAME" ? scope.hostnameChunkSize : scope.manualChunkSize;
      for (let i = 0; i < names.length; i += size) {
        out.push(cluster(g.facilityId, g.showId, names.slice(i, i + size).map((name) => ({ name, type }))));
      }
    }
  }
  return out.sort((a, b) => byString(a.key, b.key));
}

/**
 * Awake gate: the (facility, show, tag) triples that have waiting work. A superset of what the job
 * query can return for any cluster (so no cluster starves), one query for the whole universe.
 */
export async function activeScan(db: Kysely<Database>, scope: ClusterScope): Promise<Set<string>> {
  const rows = await sql<{ pk_show: string; pk_facility: string; tag: string }>`
    SELECT DISTINCT j.pk_show, j.pk_facility, t.tag
      FROM job j
      JOIN show s ON s.pk_show = j.pk_show
      JOIN layer l ON l.pk_job = j.pk_job
      JOIN layer_stat ls ON ls.pk_layer = l.pk_layer
      CROSS JOIN LATERAL unnest(string_to_array(replace(l.str_tags, ' ', ''), '|')) AS t(tag)
     WHERE j.str_state = 'PENDING' AND NOT j.b_paused AND ls.int_waiting_count > 0
       AND ${showFilter(scope)}
       AND ${scope.facilityId === null ? sql`TRUE` : sql`j.pk_facility = ${scope.facilityId}`}
       AND EXISTS (SELECT 1 FROM subscription sub WHERE sub.pk_show = j.pk_show AND sub.int_burst > 0)`.execute(db);
  return new Set(rows.rows.map((r) => activeKey(r.pk_facility, r.pk_show, r.tag)));
}

export function activeKey(facilityId: string, showId: string, tag: string): string {
  return `${facilityId}/${showId}/${tag}`;
}

export function isClusterActive(c: Cluster, active: ReadonlySet<string>): boolean {
  return c.tags.some((t) => active.has(activeKey(c.facilityId, c.showId, t.name)));
}

/** facility name -> pk_facility (exact, case-sensitive, as Cuebot compares it). */
export async function resolveFacility(db: Kysely<Database>, name: string): Promise<string | null> {
  const row = await db.selectFrom("facility").select("pk_facility").where("str_name", "=", name).executeTakeFirst();
  return row?.pk_facility ?? null;
}

/** show names -> ids; names not found are returned in `missing`. */
export async function resolveShows(db: Kysely<Database>, names: readonly string[]): Promise<{ ids: string[]; missing: string[] }> {
  if (names.length === 0) return { ids: [], missing: [] };
  const rows = await db.selectFrom("show").select(["pk_show", "str_name"]).where("str_name", "in", [...names]).execute();
  const found = new Map(rows.map((r) => [r.str_name, r.pk_show]));
  return { ids: [...found.values()], missing: names.filter((n) => !found.has(n)) };
}

/** Scheduled shows that have no subscription at all: they can never be booked (logged and counted). */
export async function showsWithoutSubscriptions(db: Kysely<Database>, scope: ClusterScope): Promise<string[]> {
  const rows = await sql<{ str_name: string }>`
    SELECT s.str_name FROM show s
     WHERE ${showFilter(scope)}
       AND NOT EXISTS (SELECT 1 FROM subscription sub WHERE sub.pk_show = s.pk_show)
     ORDER BY s.str_name`.execute(db);
  return rows.rows.map((r) => r.str_name);
}
