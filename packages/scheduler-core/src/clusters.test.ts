import { buildClusters, clusterKey, type ClusterInput } from "./clusters.js";

const input: ClusterInput = {
  shows: [{ id: "s1" }, { id: "s2" }, { id: "inactive", active: false }, { id: "unmanaged", schedulerManaged: false }],
  allocations: [
    { id: "a1", facilityId: "lax", tag: "lax.general" },
    { id: "a2", facilityId: "lax", tag: "lax.gpu" },
    { id: "b1", facilityId: "nyc", tag: "nyc.general" },
  ],
  subscriptions: [
    { showId: "s1", allocId: "a1" },
    { showId: "s1", allocId: "a2" },
    { showId: "s2", allocId: "a1" },
    { showId: "s2", allocId: "b1" },
    { showId: "inactive", allocId: "a1" },
    { showId: "unmanaged", allocId: "a1" },
  ],
  hostTags: [
    { hostId: "h1", allocId: "a1", tag: "lax.general", type: "ALLOC" },
    { hostId: "h1", allocId: "a1", tag: "desktop", type: "MANUAL" },
    { hostId: "h1", allocId: "a1", tag: "h1", type: "HOSTNAME" },
    { hostId: "h2", allocId: "a1", tag: "lax.general", type: "ALLOC" },
    { hostId: "h2", allocId: "a1", tag: "beefy", type: "MANUAL" },
    { hostId: "h2", allocId: "a1", tag: "h2", type: "HOSTNAME" },
    { hostId: "g1", allocId: "a2", tag: "lax.gpu", type: "ALLOC" },
    { hostId: "g1", allocId: "a2", tag: "cuda", type: "HARDWARE" },
    { hostId: "n1", allocId: "b1", tag: "nyc.general", type: "ALLOC" },
  ],
};
const show = (cs: ReturnType<typeof buildClusters>) => cs.map((c) => `${c.facilityId}/${c.showId}:${c.tags.map((t) => `${t.type}=${t.name}`).join(",")}`);

describe("clusters", () => {
  it("one ALLOC cluster per subscribed show of an allocation some host carries; other tags grouped per show", () => {
    // Ordered by (facility, show, tags), tags by (name, type, alloc) as the reference orders them.
    const cs = buildClusters(input);
    expect(show(cs)).toEqual([
      "lax/s1:MANUAL=beefy,MANUAL=desktop",
      "lax/s1:HARDWARE=cuda",
      "lax/s1:HOSTNAME=h1,HOSTNAME=h2",
      "lax/s1:ALLOC=lax.general",
      "lax/s1:ALLOC=lax.gpu",
      "lax/s2:MANUAL=beefy,MANUAL=desktop",
      "lax/s2:HOSTNAME=h1,HOSTNAME=h2",
      "lax/s2:ALLOC=lax.general",
      "nyc/s2:ALLOC=nyc.general",
    ]);
    expect(cs.find((c) => c.tags[0]!.name === "lax.gpu")!.tags[0]!.allocId).toBe("a2");
  });
  it("chunks manual and host-name tags", () => {
    const cs = show(buildClusters(input, { manualTagsChunkSize: 1, hostnameTagsChunkSize: 1, facilityId: "lax" }));
    expect(cs.filter((c) => c.startsWith("lax/s1")).sort()).toEqual([
      "lax/s1:ALLOC=lax.general",
      "lax/s1:ALLOC=lax.gpu",
      "lax/s1:HARDWARE=cuda",
      "lax/s1:HOSTNAME=h1",
      "lax/s1:HOSTNAME=h2",
      "lax/s1:MANUAL=beefy",
      "lax/s1:MANUAL=desktop",
    ]);
    expect(cs.some((c) => c.startsWith("nyc"))).toBe(false);
  });
  it("ignore_tags, alloc_tags and manual_tags filter", () => {
    const cs = show(buildClusters(input, { ignoreTags: ["h1", "cuda"], allocTags: ["lax.gpu"], manualTags: ["beefy"] }));
    expect(cs.sort()).toEqual(["lax/s1:ALLOC=lax.gpu", "lax/s1:HOSTNAME=h2", "lax/s1:MANUAL=beefy", "lax/s2:HOSTNAME=h2", "lax/s2:MANUAL=beefy"]);
  });
  it("is deterministic whatever the row order", () => {
    const reversed = { ...input, hostTags: [...input.hostTags].reverse(), subscriptions: [...input.subscriptions].reverse() };
    expect(buildClusters(reversed)).toEqual(buildClusters(input));
  });
  it("rejects a bad chunk size", () => {
    expect(() => buildClusters(input, { manualTagsChunkSize: 0 })).toThrow(expect.objectContaining({ code: "invalid-options" }));
  });
});

describe("ALLOC clusters are scoped to their allocation", () => {
  const scoped: ClusterInput = {
    shows: [{ id: "s1" }, { id: "s3" }],
    allocations: [
      { id: "a1", facilityId: "lax", tag: "lax.general" },
      { id: "a2", facilityId: "lax", tag: "lax.gpu" },
    ],
    subscriptions: [
      { showId: "s1", allocId: "a1" },
      { showId: "s1", allocId: "a2" },
      { showId: "s3", allocId: "a1" },
    ],
    // g1 belongs to a2 but also carries a1's tag as an ALLOC tag (a stale or hand-made host_tag row).
    hostTags: [
      { hostId: "g1", allocId: "a2", tag: "lax.gpu", type: "ALLOC" },
      { hostId: "g1", allocId: "a2", tag: "lax.general", type: "ALLOC" },
    ],
  };
  it("a tag named like another allocation's tag, on a host outside it, raises no cluster for that allocation", () => {
    const cs = buildClusters(scoped);
    expect(show(cs)).toEqual(["lax/s1:ALLOC=lax.gpu"]);
    expect(cs[0]!.tags[0]!.allocId).toBe("a2");
  });
  it("a host of the allocation itself does, and the cluster carries the allocation id in its tag and key", () => {
    const cs = buildClusters({ ...scoped, hostTags: [...scoped.hostTags, { hostId: "h1", allocId: "a1", tag: "lax.general", type: "ALLOC" }] });
    expect(show(cs)).toEqual(["lax/s1:ALLOC=lax.general", "lax/s1:ALLOC=lax.gpu", "lax/s3:ALLOC=lax.general"]);
    const general = cs.filter((c) => c.tags[0]!.name === "lax.general");
    expect(general.map((c) => c.tags[0]!.allocId)).toEqual(["a1", "a1"]);
    expect(clusterKey(general[0]!)).toContain("ALLOC:lax.general:a1");
  });
});
