// The agent's lifecycle as an explicit state machine: every change goes through transition(), so an
// illegal one (a second drain while stopping, a launch after stop) is refused instead of half-done.
export type AgentState = "starting" | "running" | "draining" | "stopping" | "stopped";
export type AgentEvent = "started" | "drain" | "drained" | "stop" | "stopped";

const TABLE: Record<AgentState, Partial<Record<AgentEvent, AgentState>>> = {
  starting: { started: "running", stop: "stopping", drain: "draining" },
  running: { drain: "draining", stop: "stopping" },
  draining: { drain: "draining", drained: "stopping", stop: "stopping" },
  stopping: { stopped: "stopped", stop: "stopping" },
  stopped: {},
};

/** The next state, or null when the event is not allowed in this state. */
export function transition(state: AgentState, event: AgentEvent): AgentState | null {
  return TABLE[state][event] ?? null;
}

/** Whether new frames may start in this state. */
export const acceptsFrames = (state: AgentState): boolean => state === "running";
