// Clusters: the units the Rust scheduler round-robins (facility, show, tag set). Pure: the service
// reads the rows, this decides the cluster list exactly as the reference does (ordered, chunked).
import { SchedulerCoreError } from "./errors.js";
import type { TagType } from "./snapshot.js";

export interface ClusterTag {
  readonly name: string;
  readonly type: TagType;
  /** Only for ALLOC tags. */
  readonly allocId?: string;
}

export interface Cluster {
  readonly facilityId: string;
  readonly showId: string;
  readonly tags: readonly ClusterTag[];
}

/** One host_tag row joined to its host's allocation. */
export interface HostTagRow {
  readonly hostId: string;
  readonly allocId: string;
  readonly tag: string;
  readonly type: TagType;
}

export interface ClusterInput {
  readonly shows: readonly { readonly id: string; readonly active?: boolean; readonly schedulerManaged?: boolean }[];
  readonly allocations: readonly { readonly id: string; readonly facilityId: string; readonly tag: string }[];
  readonly subscriptions: readonly { readonly showId: string; readonly allocId: string }[];
  readonly hostTags: readonly HostTagRow[];
}

export interface ClusterOptions {
  /** Only this facility's clusters. */
  readonly facilityId?: string;
  /** scheduler.ignore_tags. */
  readonly ignoreTags?: readonly string[];
  /** scheduler.alloc_tags: only these allocation tags (empty = all). */
  readonly allocTags?: readonly string[];
  /** scheduler.manual_tags: only these manual tags (empty = all). */
  readonly manualTags?: readonly string[];
  /** queue.manual_tags_chunk_size (also hardware tags); default 50. */
  readonly manualTagsChunkSize?: number;
  /** queue.hostname_tags_chunk_size; default 50. */
  readonly hostnameTagsChunkSize?: number;
}

const typeRank: Record<TagType, number> = { ALLOC: 0, HARDWARE: 1, HOSTNAME: 2, MANUAL: 3 };

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Tags order by (name, type, alloc id), as the reference's derived ordering. */
export function compareClusterTags(a: ClusterTag, b: ClusterTag): number {
  return compareStrings(a.name, b.name) || typeRank[a.type] - typeRank[b.type] || compareStrings(a.allocId ?? "", b.allocId ?? "");
}

/** Clusters order by (facility, show, tags), so the same rows always give the same list. */
export function compareClusters(a: Cluster, b: Cluster): number {
  const head = compareStrings(a.facilityId, b.facilityId) || compareStrings(a.showId, b.showId);
  if (head) return head;
  const n = Math.min(a.tags.length, b.tags.length);
  for (let i = 0; i < n; i++) {
    const c = compareClusterTags(a.tags[i]!, b.tags[i]!);
    if (c) return c;
  }
  return a.tags.length - b.tags.length;
}

/** A stable string key (for sets of clusters and change detection). */
export function clusterKey(c: Cluster): string {
  return [c.facilityId, c.showId, ...c.tags.map((t) => `${t.type}:${t.name}:${t.allocId ?? ""}`)].join("\u0000");
}

/**
 * The cluster list from the rows the reference's two cluster queries read: one ALLOC cluster per
 * (allocation whose tag one of its own hosts carries, subscribed show), carrying the allocation id; MANUAL / HOSTNAME / HARDWARE tags gathered per
 * (show, facility) over every show subscribed to the tagged host's allocation and chunked.
 */
export function buildClusters(input: ClusterInput, options: ClusterOptions = {}): Cluster[] {
  const manualChunk = options.manualTagsChunkSize ?? 50;
  const hostnameChunk = options.hostnameTagsChunkSize ?? 50;
  for (const [field, v] of [["manualTagsChunkSize", manualChunk], ["hostnameTagsChunkSize", hostnameChunk]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new SchedulerCoreError("invalid-options", `cluster option ${field} must be a positive integer`, { entity: "options", field });
  }
  const ignore = new Set(options.ignoreTags ?? []);
  const allocTagFilter = new Set(options.allocTags ?? []);
  const manualTagFilter = new Set(options.manualTags ?? []);
  const eligibleShows = new Set(input.shows.filter((s) => s.active !== false && s.schedulerManaged !== false).map((s) => s.id));
  const allocById = new Map(input.allocations.map((a) => [a.id, a]));
  const showsByAlloc = new Map<string, string[]>();
  for (const s of input.subscriptions) {
    if (!eligibleShows.has(s.showId)) continue;
    const list = showsByAlloc.get(s.allocId) ?? [];
    if (!list.includes(s.showId)) list.push(s.showId);
    showsByAlloc.set(s.allocId, list);
  }
  const inFacility = (facilityId: string) => options.facilityId === undefined || options.facilityId === facilityId;

  const out = new Map<string, Cluster>();
  // (show, facility, type) -> tag names
  const grouped = new Map<string, { facilityId: string; showId: string; type: TagType; names: Set<string> }>();
  for (const row of input.hostTags) {
    if (ignore.has(row.tag)) continue;
    if (row.type === "ALLOC") {
      if (allocTagFilter.size > 0 && !allocTagFilter.has(row.tag)) continue;
      // Scoped to the host's own allocation: the reference joins alloc on the tag name alone, so a
      // host of another allocation carrying a tag named like this one would raise (and join) that
      // allocation's cluster. Here only a host of the allocation itself does.
      const alloc = allocById.get(row.allocId);
      if (!alloc || alloc.tag !== row.tag || !inFacility(alloc.facilityId)) continue;
      for (const showId of showsByAlloc.get(alloc.id) ?? []) {
        const c: Cluster = { facilityId: alloc.facilityId, showId, tags: [{ name: row.tag, type: "ALLOC", allocId: alloc.id }] };
        out.set(clusterKey(c), c);
      }
      continue;
    }
    if (row.type === "MANUAL" && manualTagFilter.size > 0 && !manualTagFilter.has(row.tag)) continue;
    const hostAlloc = allocById.get(row.allocId);
    if (!hostAlloc || !inFacility(hostAlloc.facilityId)) continue;
    for (const showId of showsByAlloc.get(hostAlloc.id) ?? []) {
      const key = `${hostAlloc.facilityId}\u0000${showId}\u0000${row.type}`;
      let g = grouped.get(key);
      if (!g) grouped.set(key, (g = { facilityId: hostAlloc.facilityId, showId, type: row.type, names: new Set() }));
      g.names.add(row.tag);
    }
  }
  for (const g of grouped.values()) {
    const names = [...g.names].sort(compareStrings);
    const size = g.type === "HOSTNAME" ? hostnameChunk : manualChunk;
    for (let i = 0; i < names.length; i += size) {
      const c: Cluster = { facilityId: g.facilityId, showId: g.showId, tags: names.slice(i, i + size).map((name) => ({ name, type: g.type })) };
      out.set(clusterKey(c), c);
    }
  }
  return [...out.values()].sort(compareClusters);
}
