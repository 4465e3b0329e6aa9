// openrqd's Prometheus metrics: one Registry per agent, so two agents in one process never mix numbers.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface AgentMetrics {
  registry: Registry;
  framesRunning: Gauge;
  framesLaunched: Counter;
  framesFailed: Counter<"reason">;
  framesKilled: Counter<"cause">;
  cores: Gauge<"state">;
  reportDuration: Histogram<"kind">;
  reportFailures: Counter<"kind" | "code">;
  completionsQueued: Gauge;
  hostMemory: Gauge<"kind">;
  agentState: Gauge<"state">;
  nimbyLocked: Gauge;
}

export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "openrqd_" });
  const r = [registry];
  return {
    registry,
    framesRunning: new Gauge({ name: "openrqd_frames_running", help: "Frames running on this host", registers: r }),
    framesLaunched: new Counter({ name: "openrqd_frames_launched_total", help: "Frames started", registers: r }),
    framesFailed: new Counter({ name: "openrqd_frames_failed_total", help: "Frames that failed: refused or failed launches (reason=launch) and non-zero exits (reason=exit)", labelNames: ["reason"], registers: r }),
    framesKilled: new Counter({ name: "openrqd_frames_killed_total", help: "Frames killed by the agent, by cause (user, nimby, oom, memory-limit, shutdown, ...)", labelNames: ["cause"], registers: r }),
    cores: new Gauge({ name: "openrqd_cores", help: "Physical cores by state (total, booked, idle, locked)", labelNames: ["state"], registers: r }),
    reportDuration: new Histogram({ name: "openrqd_report_duration_seconds", help: "Latency of report calls to Cuebot (each attempt)", labelNames: ["kind"], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r }),
    reportFailures: new Counter({ name: "openrqd_report_failures_total", help: "Failed report call attempts, by kind and gRPC code", labelNames: ["kind", "code"], registers: r }),
    completionsQueued: new Gauge({ name: "openrqd_completions_queued", help: "Completion reports on disk waiting for Cuebot's acknowledgement", registers: r }),
    hostMemory: new Gauge({ name: "openrqd_host_memory_kb", help: "Host memory in KiB as reported (kind=total|free)", labelNames: ["kind"], registers: r }),
    agentState: new Gauge({ name: "openrqd_agent_state", help: "1 for the agent's current lifecycle state", labelNames: ["state"], registers: r }),
    nimbyLocked: new Gauge({ name: "openrqd_nimby_locked", help: "1 while the host is NIMBY-locked", registers: r }),
  };
}
