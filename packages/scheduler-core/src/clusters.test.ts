import { buildClusters, type ClusterInput } from "./clusters.js";

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
