// The life of one frame as an explicit state machine (Temporal style): every change goes through
// `transition`, illegal events are refused (the runner logs and ignores them, as RQD does).
export type FrameState = "launching" | "running" | "killing" | "finishing" | "exited";
export type FrameTransition = "spawned" | "launch-failed" | "kill-requested" | "process-exited" | "reported";

const TABLE: Record<FrameState, Partial<Record<FrameTransition, FrameState>>> = {
  launching: { spawned: "running", "launch-failed": "exited" },
  running: { "kill-requested": "killing", "process-exited": "finishing" },
  // A second kill request changes nothing; the first reason wins.
  killing: { "kill-requested": "killing", "process-exited": "finishing" },
  // The process is gone; the log is drained, leftovers are reaped and the footer written.
  finishing: { reported: "exited" },
  exited: {},
};

/** The next state, or null when `event` is not allowed in `state`. */
export function transition(state: FrameState, event: FrameTransition): FrameState | null {
  return TABLE[state][event] ?? null;
}
