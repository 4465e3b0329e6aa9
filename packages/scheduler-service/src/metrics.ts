// Prometheus metrics: the reference's names, labels and buckets (§4), plus ours (marked) for what
// this service adds: multi-instance leases, launch failures, problems. One Registry per service.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const QUERY_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

export function createSchedulerMetrics() {
  const registry = new Registry();
  const r = [registry];
  return {
    registry,
    jobsQueried: new Counter({ name: "scheduler_jobs_queried_total", help: "Jobs returned by job queries", registers: r }),
    jobsProcessed: new Counter({ name: "scheduler_jobs_processed_total", help: "Jobs handed to the matcher", labelNames: ["show_name"], registers: r }),
    noCandidateIterations: new Counter({ name: "scheduler_no_candidate_iterations_total", help: "Host checkouts that found no host", registers: r }),
    candidatesPerLayer: new Histogram({ name: "scheduler_candidates_per_layer", help: "Host attempts (+1) to fully consume a layer", buckets: [1, 5, 10, 20, 50, 100], registers: r }),
    framesDispatched: new Counter({ name: "scheduler_frames_dispatched_total", help: "Frames booked (and launched unless dry run)", labelNames: ["show_name"], registers: r }),
    timeToBook: new Histogram({ name: "scheduler_time_to_book_seconds", help: "now - frame.ts_updated at booking", buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300], registers: r }),
    limitExceeded: new Counter({ name: "scheduler_accounting_limit_exceeded_total", help: "Bookings refused by a cap", labelNames: ["table"], registers: r }),
    jobCapPrecheckSkip: new Counter({ name: "scheduler_job_cap_precheck_skip_total", help: "Layers skipped because the job is at its core cap", registers: r }),
    jobQueryDuration: new Histogram({ name: "scheduler_job_query_duration_seconds", help: "Job query duration", buckets: QUERY_BUCKETS, registers: r }),
    recomputeDuration: new Histogram({ name: "scheduler_recompute_cycle_duration_seconds", help: "Accounting recompute duration", buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60], registers: r }),
    clusterRoundTrip: new Histogram({ name: "scheduler_cluster_round_trip_seconds", help: "Time between passes of the same awake cluster", labelNames: ["cluster_type"], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: r }),
    clustersTotal: new Gauge({ name: "scheduler_clusters_total", help: "Clusters in the loaded universe", labelNames: ["cluster_type"], registers: r }),
    clustersActive: new Gauge({ name: "scheduler_clusters_active", help: "Awake clusters", registers: r }),
    activeTags: new Gauge({ name: "scheduler_active_tags", help: "Rows of the last awake scan", registers: r }),
    activeScanDuration: new Histogram({ name: "scheduler_active_scan_duration_seconds", help: "Awake scan duration", buckets: QUERY_BUCKETS, registers: r }),
    clustersSleeping: new Gauge({ name: "scheduler_clusters_sleeping", help: "Clusters sleeping", registers: r }),
    framesPerPass: new Histogram({ name: "scheduler_frames_dispatched_per_pass", help: "Frames booked per cluster pass", labelNames: ["cluster_type"], buckets: [0, 1, 5, 10, 20, 50, 100, 250, 500], registers: r }),
    passTerminated: new Counter({ name: "scheduler_pass_terminated_reason_total", help: "How cluster passes ended", labelNames: ["reason"], registers: r }),
    checkoutOutcome: new Counter({ name: "scheduler_checkout_outcome_total", help: "Host checkout outcomes", labelNames: ["outcome"], registers: r }),
    placementScore: new Histogram({ name: "scheduler_placement_score_chosen", help: "E-PVM score of the chosen host", buckets: [0, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000], registers: r }),
    placementRetriesExhausted: new Counter({ name: "scheduler_placement_inner_retries_exhausted_total", help: "E-PVM gave up after lost races", registers: r }),
    // (cue-scheduler)
    bookingOutcome: new Counter({ name: "scheduler_booking_outcome_total", help: "(cue-scheduler) Outcome of each booking transaction", labelNames: ["outcome"], registers: r }),
    launchFailures: new Counter({ name: "scheduler_launch_failures_total", help: "(cue-scheduler) LaunchFrame failures, each compensated", labelNames: ["code"], registers: r }),
    hostsBackedOff: new Gauge({ name: "scheduler_hosts_backed_off", help: "(cue-scheduler) Hosts left alone after a failed launch", registers: r }),
    problems: new Counter({ name: "scheduler_problems_total", help: "(cue-scheduler) Problems logged (database unreachable, bad facility/tag, show without subscriptions, ...)", labelNames: ["code"], registers: r }),
    instancesLive: new Gauge({ name: "scheduler_instances_live", help: "(cue-scheduler) Live scheduler instances on this database", registers: r }),
    clustersOwned: new Gauge({ name: "scheduler_clusters_owned", help: "(cue-scheduler) Clusters leased by this instance", registers: r }),
    layersBlocked: new Counter({ name: "scheduler_plan_layers_blocked_total", help: "(cue-scheduler) Layers scheduler-core left without (more) frames in a pass, by reason", labelNames: ["reason"], registers: r }),
    layersUnplaceable: new Counter({ name: "scheduler_plan_layers_unplaceable_total", help: "(cue-scheduler) Layers no host of the cluster could ever run, by reason", labelNames: ["reason"], registers: r }),
    planReservations: new Gauge({ name: "scheduler_plan_reservations", help: "(cue-scheduler) Hosts held for frames too large to fit now, after the last pass", labelNames: ["cluster_type"], registers: r }),
    databaseUp: new Gauge({ name: "scheduler_database_up", help: "(cue-scheduler) 1 when the last database round trip worked", registers: r }),
  };
}

export type SchedulerMetrics = ReturnType<typeof createSchedulerMetrics>;
