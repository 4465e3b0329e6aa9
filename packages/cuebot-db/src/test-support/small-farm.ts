// A one-show farm most DB tests start from.
import type { Kysely } from "kysely";
import { createFarm, type AllocRef, type FacilityRef, type Farm, type HostRef, type ShowRef } from "../farm/farm.js";
import { gibToKb } from "../farm/units.js";
import type { Database } from "../schema/tables.js";

export interface SmallFarm {
  readonly farm: Farm;
  readonly facility: FacilityRef;
  readonly show: ShowRef;
  readonly alloc: AllocRef;
  readonly host: HostRef;
}

export async function createSmallFarm(db: Kysely<Database>): Promise<SmallFarm> {
  const farm = createFarm(db);
  const facility = await farm.createFacility("local");
  const show = await farm.createShow({ name: "testshow" });
  const alloc = await farm.createAlloc({ facility, name: "local.general" });
  await farm.createSubscription({ show, alloc, size: 100, burst: 200 });
  const host = await farm.registerHost({ name: "host-a", alloc, cores: 8, memoryKb: gibToKb(16), gpus: 1, gpuMemoryKb: gibToKb(8), tags: ["general"] });
  return { farm, facility, show, alloc, host };
}
