// plan() scoped to clusters (a per-cluster pass): an ALLOC cluster only reaches hosts of its allocation.
import type { Cluster } from "./clusters.js";
import { plan } from "./plan.js";
import { createFarm } from "./test-support/farm-builder.js";

function farm() {
  const f = createFarm();
  const general = f.alloc("general", { tag: "lax.general" });
  const gpu = f.alloc("gpu", { tag: "lax.gpu" });
  const show = f.show("feature");
  f.subscribe(show, general, 100, 100);
  f.subscribe(show, gpu, 100, 100);
  // The only idle host carrying "lax.general" belongs to the gpu allocation (a stray ALLOC tag).
  f.host("g1", gpu, 8, 32, { extraTags: ["lax.general"] });
  f.host("h1", general, 8, 32, { idleCores: 0 });
  const job = f.job("j", show);
  f.layer(job, "render", { tags: ["lax.general"], frames: 2 });
  return { snapshot: f.build(), general, gpu, show };
}

describe("plan scoped to clusters", () => {
  it("an ALLOC cluster does not book a host of another allocation that carries its tag name", () => {
    const { snapshot, general, show } = farm();
    const clusters: Cluster[] = [{ facilityId: "fac", showId: show.id, tags: [{ name: "lax.general", type: "ALLOC", allocId: general.id }] }];
    const r = plan(snapshot, { clusters }, 0);
    expect(r.bookings).toEqual([]);
    expect(r.unplaceable).toEqual([]);
    expect(r.blocked.map((b) => b.reason)).toEqual(["no-idle-host"]);
  });

  it("frees h1 and the same cluster books there, in its own allocation", () => {
    const { snapshot, general, show } = farm();
    const hosts = snapshot.hosts.map((h) => (h.id === "host-h1" ? { ...h, idleCores: h.totalCores } : h));
    const clusters: Cluster[] = [{ facilityId: "fac", showId: show.id, tags: [{ name: "lax.general", type: "ALLOC", allocId: general.id }] }];
    const r = plan({ ...snapshot, hosts }, { clusters }, 0);
    expect(r.bookings.map((b) => [b.hostId, b.allocId])).toEqual([["host-h1", general.id], ["host-h1", general.id]]);
  });

  it("a layer whose only host is out of the ALLOC scope is reported unplaceable, not left waiting", () => {
    const f = createFarm();
    const general = f.alloc("general", { tag: "lax.general" });
    const gpu = f.alloc("gpu", { tag: "lax.gpu" });
    const show = f.show("feature");
    f.subscribe(show, general, 100, 100);
    f.subscribe(show, gpu, 100, 100);
    f.host("g1", gpu, 8, 32, { extraTags: ["lax.general"] });
    f.layer(f.job("j", show), "render", { tags: ["lax.general"] });
    const clusters: Cluster[] = [{ facilityId: "fac", showId: show.id, tags: [{ name: "lax.general", type: "ALLOC", allocId: general.id }] }];
    const r = plan(f.build(), { clusters }, 0);
    expect(r.bookings).toEqual([]);
    expect(r.unplaceable.map((u) => u.reason)).toEqual(["no-host-with-tags"]);
  });

  it("the same tag through a MANUAL cluster, or an unscoped plan, reaches every subscribed allocation", () => {
    const { snapshot, gpu, show } = farm();
    const manual: Cluster[] = [{ facilityId: "fac", showId: show.id, tags: [{ name: "lax.general", type: "MANUAL" }] }];
    for (const options of [{ clusters: manual }, {}]) {
      const r = plan(snapshot, options, 0);
      expect(r.bookings.map((b) => [b.hostId, b.allocId])).toEqual([["host-g1", gpu.id], ["host-g1", gpu.id]]);
    }
  });
});
