// Several cue-scheduler instances on one database share the clusters through PostgreSQL alone:
// every instance heartbeats a row in cue_scheduler_instance; each cluster goes to one live instance
// by rendezvous hashing (so a join or a death moves only that instance's share), and the owner holds
// a lease row in cue_scheduler_lease, renewed every heartbeat and taken over by another instance once
// it expires. A lease is trusted locally only until (renewal start + lease duration), which the DB's
// expiry always outlasts. Leases only partition work: the booking guards (host advisory lock, frame
// version, guarded host update) keep bookings exclusive even if two instances disagree for a moment.
import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Database } from "@opencue-ts/cuebot-db";

// Our two tables live next to Cuebot's; Cuebot and its Flyway history ignore them.
const DDL_LOCK = 0x0c5e_d001;

export async function ensureCoordinationTables(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Serialize instances starting together (CREATE TABLE IF NOT EXISTS races on the catalog).
    await sql`SELECT pg_advisory_xact_lock(${DDL_LOCK})`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS cue_scheduler_instance (
      pk_instance varchar(128) PRIMARY KEY,
      str_host varchar(256) NOT NULL,
      int_pid integer NOT NULL,
      ts_started timestamptz NOT NULL DEFAULT current_timestamp,
      ts_heartbeat timestamptz NOT NULL DEFAULT current_timestamp)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS cue_scheduler_lease (
      str_cluster varchar(64) PRIMARY KEY,
      pk_instance varchar(128) NOT NULL,
      int_epoch bigint NOT NULL DEFAULT 1,
      ts_expires timestamptz NOT NULL)`.execute(trx);
  });
}

export interface LeaseManagerOptions {
  readonly db: Kysely<Database>;
  readonly instanceId: string;
  readonly hostName: string;
  readonly pid: number;
  readonly leaseMs: number;
  /** Monotonic clock in ms (injected for tests). */
  readonly now?: () => number;
}

export interface LeaseTick {
  readonly live: readonly string[];
  readonly owned: ReadonlySet<string>;
  readonly gained: readonly string[];
  readonly lost: readonly string[];
}

export interface LeaseManager {
  readonly instanceId: string;
  /** Heartbeat, then release what should move away and acquire/renew this instance's share. */
  tick(clusterKeys: readonly string[]): Promise<LeaseTick>;
  /** True while this instance holds an unexpired lease on the cluster. */
  owns(clusterKey: string): boolean;
  ownedCount(): number;
  /** Whether this instance is the singleton-loop leader (lowest live id). */
  isLeader(): boolean;
  /** Drops every lease and the instance row, so others take over at their next heartbeat. */
  release(): Promise<void>;
}

export function leaseId(clusterKey: string): string {
  return createHash("sha256").update(clusterKey).digest("hex").slice(0, 40);
}

function weight(instance: string, cluster: string): string {
  return createHash("md5").update(instance).update("\0").update(cluster).digest("hex");
}

/** The live instance a cluster belongs to (highest rendezvous weight). */
export function rendezvousOwner(clusterKey: string, live: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestW = "";
  for (const id of live) {
    const w = weight(id, clusterKey);
    if (best === undefined || w > bestW || (w === bestW && id < best)) {
      best = id;
      bestW = w;
    }
  }
  return best;
}

export function createLeaseManager(o: LeaseManagerOptions): LeaseManager {
  const now = o.now ?? (() => performance.now());
  let owned = new Set<string>(); // cluster keys
  let validUntil = 0;
  let live: string[] = [];
  const seconds = o.leaseMs / 1000;

  return {
    instanceId: o.instanceId,
    async tick(clusterKeys) {
      const started = now();
      await sql`INSERT INTO cue_scheduler_instance (pk_instance, str_host, int_pid) VALUES (${o.instanceId}, ${o.hostName}, ${o.pid})
                ON CONFLICT (pk_instance) DO UPDATE SET ts_heartbeat = current_timestamp, str_host = EXCLUDED.str_host, int_pid = EXCLUDED.int_pid`.execute(o.db);
      const rows = await sql<{ pk_instance: string }>`
        SELECT pk_instance FROM cue_scheduler_instance
         WHERE ts_heartbeat > current_timestamp - make_interval(secs => ${seconds}) ORDER BY pk_instance`.execute(o.db);
      live = rows.rows.map((r) => r.pk_instance);
      if (!live.includes(o.instanceId)) live.push(o.instanceId);
      const desired = clusterKeys.filter((k) => rendezvousOwner(k, live) === o.instanceId);
      const byId = new Map(desired.map((k) => [leaseId(k), k]));
      const desiredIds = [...byId.keys()];
      // Give away what now belongs to someone else (a joiner, typically).
      await sql`DELETE FROM cue_scheduler_lease WHERE pk_instance = ${o.instanceId} AND NOT (str_cluster = ANY(${desiredIds}::varchar[]))`.execute(o.db);
      const got = desiredIds.length === 0 ? { rows: [] as { str_cluster: string }[] } : await sql<{ str_cluster: string }>`
        INSERT INTO cue_scheduler_lease (str_cluster, pk_instance, int_epoch, ts_expires)
        SELECT c, ${o.instanceId}, 1, current_timestamp + make_interval(secs => ${seconds})
          FROM unnest(${desiredIds}::varchar[]) AS c
        ON CONFLICT (str_cluster) DO UPDATE
           SET pk_instance = EXCLUDED.pk_instance, ts_expires = EXCLUDED.ts_expires,
               int_epoch = cue_scheduler_lease.int_epoch + CASE WHEN cue_scheduler_lease.pk_instance = EXCLUDED.pk_instance THEN 0 ELSE 1 END
         WHERE cue_scheduler_lease.pk_instance = EXCLUDED.pk_instance OR cue_scheduler_lease.ts_expires < current_timestamp
        RETURNING str_cluster`.execute(o.db);
      // Forget instances dead for long (hygiene; they hold nothing once their leases expired).
      await sql`DELETE FROM cue_scheduler_instance WHERE ts_heartbeat < current_timestamp - make_interval(secs => ${seconds * 30})`.execute(o.db);
      const next = new Set(got.rows.map((r) => byId.get(r.str_cluster)!));
      const gained = [...next].filter((k) => !owned.has(k));
      const lost = [...owned].filter((k) => !next.has(k));
      owned = next;
      validUntil = started + o.leaseMs;
      return { live, owned, gained, lost };
    },
    owns(clusterKey) {
      return now() < validUntil && owned.has(clusterKey);
    },
    ownedCount() {
      return now() < validUntil ? owned.size : 0;
    },
    isLeader() {
      return now() < validUntil && live.length > 0 && live[0] === o.instanceId;
    },
    async release() {
      owned = new Set();
      validUntil = 0;
      await sql`DELETE FROM cue_scheduler_lease WHERE pk_instance = ${o.instanceId}`.execute(o.db);
      await sql`DELETE FROM cue_scheduler_instance WHERE pk_instance = ${o.instanceId}`.execute(o.db);
    },
  };
}
