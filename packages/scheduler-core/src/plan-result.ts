// What one plan step decides. The service books each Booking (proc row, frame RUNNING, host
// decrement) and calls RQD; reservations and reasons are for logs, metrics and the next step.

export interface Booking {
  readonly frameId: string;
  readonly layerId: string;
  readonly jobId: string;
  readonly showId: string;
  readonly folderId: string;
  readonly hostId: string;
  readonly allocId: string;
  /** The (show, host alloc) subscription charged. */
  readonly subscriptionId: string;
  /** Centicores, a whole number of cores (proc.int_cores_reserved). */
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
  /** True when the host holds a reservation for another frame and this one fits before it (backfill). */
  readonly backfill: boolean;
  /** Scored placement only: the chosen host's E-PVM opportunity cost (lower is better). */
  readonly score?: number;
}

/** A host held for a frame that cannot start now; other frames may use it only if they end first. */
export interface Reservation {
  readonly frameId: string;
  readonly layerId: string;
  readonly jobId: string;
  readonly showId: string;
  readonly hostId: string;
  /** When enough of the host is projected to be free. */
  readonly startsAtMs: number;
  readonly cores: number;
  readonly memoryKb: number;
  readonly gpus: number;
  readonly gpuMemoryKb: number;
}

/** Why a layer can never run on this farm as it is (reported once, never retried in the step). */
export type UnplaceableReason =
  | "no-subscription"
  | "no-host-with-tags"
  | "os-mismatch"
  | "thread-mode"
  | "cores-exceed-every-host"
  | "memory-exceed-every-host"
  | "gpus-exceed-every-host"
  | "gpu-memory-exceed-every-host"
  | "no-single-host-fits";

/** Why a placeable layer got no (more) frames in this step. */
export type BlockedReason =
  | "no-idle-host"
  /** The layer holds a reservation and waits for it. */
  | "reserved"
  /** Hosts that fit are held for other frames' reservations and this one would delay them. */
  | "held-by-reservation"
  | "job-max-cores"
  | "job-max-gpus"
  | "folder-max-cores"
  | "folder-max-gpus"
  | "subscription-burst"
  | "limit"
  | "frames-per-layer-limit"
  | "host-attempts-per-layer";

export interface UnplaceableLayer {
  readonly layerId: string;
  readonly jobId: string;
  readonly reason: UnplaceableReason;
  /** A human sentence with the numbers, e.g. "needs 64 cores, the largest host has 32". */
  readonly detail: string;
}

export interface BlockedLayer {
  readonly layerId: string;
  readonly jobId: string;
  readonly reason: BlockedReason;
}

export interface PlanStats {
  readonly bookings: number;
  readonly reservations: number;
  readonly backfilled: number;
  readonly jobsConsidered: number;
  readonly layersConsidered: number;
  /** Hosts the gate was evaluated on (the engine's unit of work). */
  readonly hostsExamined: number;
  readonly coresBooked: number;
}

export interface PlanResult {
  readonly bookings: readonly Booking[];
  readonly reservations: readonly Reservation[];
  readonly unplaceable: readonly UnplaceableLayer[];
  readonly blocked: readonly BlockedLayer[];
  readonly stats: PlanStats;
}
