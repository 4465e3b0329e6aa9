import type { createCuebotDb } from "@opencue-ts/cuebot-db";

/** A Kysely instance (or transaction) over Cuebot's schema, as createCuebotDb returns it. */
export type CuebotDb = ReturnType<typeof createCuebotDb>;
