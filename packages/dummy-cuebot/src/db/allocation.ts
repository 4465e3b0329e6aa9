// Facilities and allocations dummy-cuebot creates when a farm has none yet (Cuebot's own database
// is seeded with them by its migrations; a fresh test schema is empty). Creation runs under a
// transaction-scoped advisory lock so the report server and `submit` (separate processes) never
// create the same facility twice: facility.str_name has no unique constraint in Cuebot's schema.
import { randomUUID } from "node:crypto";
import type { CuebotDb } from "./db-types.js";

export interface AllocationRef {
  readonly id: string;
  readonly name: string;
  readonly tag: string;
  readonly facilityId: string;
  readonly facilityName: string;
}

/** The tag of an allocation named "<facility>.<tag>". */
export const allocationTag = (name: string): string => name.slice(name.lastIndexOf(".") + 1);

const LOCK_KEY = "dummy-cuebot:allocations";

/** Finds or creates the facility and the allocation `name` in it (tag: the part after the last "."). */
export async function ensureAllocation(
  db: CuebotDb,
  spec: { readonly facility: string; readonly name: string; readonly tag?: string; readonly isDefault?: boolean },
): Promise<AllocationRef> {
  return db.transaction().execute(async (trx) => {
    await trx.selectNoFrom((eb) => eb.fn("pg_advisory_xact_lock", [eb.fn("hashtext", [eb.val(LOCK_KEY)])]).as("locked")).execute();
    let facility = await trx.selectFrom("facility").select(["pk_facility", "str_name"]).where("str_name", "=", spec.facility).executeTakeFirst();
    if (!facility) {
      facility = { pk_facility: randomUUID(), str_name: spec.facility };
      await trx.insertInto("facility").values(facility).execute();
    }
    const existing = await trx.selectFrom("alloc").select(["pk_alloc", "str_name", "str_tag", "pk_facility"]).where("str_name", "=", spec.name).executeTakeFirst();
    if (existing) {
      return { id: existing.pk_alloc, name: existing.str_name, tag: existing.str_tag ?? allocationTag(existing.str_name), facilityId: existing.pk_facility, facilityName: spec.facility };
    }
    const tag = spec.tag ?? allocationTag(spec.name);
    const id = randomUUID();
    const isDefault = spec.isDefault ?? (await trx.selectFrom("alloc").select("pk_alloc").where("b_default", "=", true).executeTakeFirst()) === undefined;
    await trx.insertInto("alloc").values({ pk_alloc: id, str_name: spec.name, str_tag: tag, pk_facility: facility.pk_facility, b_default: isDefault }).execute();
    return { id, name: spec.name, tag, facilityId: facility.pk_facility, facilityName: spec.facility };
  });
}

/**
 * The allocation a new host joins, as Cuebot's HostManagerService.createHost picks it: the first
 * of the host's tags naming an allocation of its facility, else the default allocation. When the
 * farm has no default allocation, "<facility>.<fallback.tag>" is created as the default allocation
 * (facility: the host's, else fallback.facility).
 */
export async function allocationForHost(
  db: CuebotDb,
  host: { readonly facility: string; readonly tags: readonly string[] },
  fallback: { readonly facility: string; readonly tag: string },
): Promise<AllocationRef> {
  const facilityName = host.facility || fallback.facility;
  if (host.tags.length > 0) {
    const match = await db
      .selectFrom("alloc")
      .innerJoin("facility", "facility.pk_facility", "alloc.pk_facility")
      .select(["alloc.pk_alloc", "alloc.str_name", "alloc.str_tag", "alloc.pk_facility", "facility.str_name as facility_name"])
      .where("facility.str_name", "=", facilityName)
      .where("alloc.str_tag", "in", [...host.tags])
      .execute();
    for (const tag of host.tags) {
      const a = match.find((m) => m.str_tag === tag);
      if (a) return { id: a.pk_alloc, name: a.str_name, tag, facilityId: a.pk_facility, facilityName: a.facility_name };
    }
  }
  const def = await db
    .selectFrom("alloc")
    .innerJoin("facility", "facility.pk_facility", "alloc.pk_facility")
    .select(["alloc.pk_alloc", "alloc.str_name", "alloc.str_tag", "alloc.pk_facility", "facility.str_name as facility_name"])
    .where("alloc.b_default", "=", true)
    .orderBy("alloc.str_name")
    .executeTakeFirst();
  if (def) return { id: def.pk_alloc, name: def.str_name, tag: def.str_tag ?? allocationTag(def.str_name), facilityId: def.pk_facility, facilityName: def.facility_name };
  return ensureAllocation(db, { facility: facilityName, name: `${facilityName}.${fallback.tag}`, tag: fallback.tag, isDefault: true });
}
