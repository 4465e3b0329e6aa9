// NIMBY ("not in my back yard"): the host is locked while someone uses it and unlocked after it has been
// idle for the threshold. Pure: the idle sample comes in, the decision goes out; the agent does the I/O.
export interface NimbyState {
  /** Whether NIMBY watching is on (machine.nimby_mode, NimbyOn/NimbyOff). */
  enabled: boolean;
  locked: boolean;
  /** Whether any input has been seen since start: a host locked by default stays locked until then. */
  sawActivity: boolean;
}

export type NimbyAction = "lock" | "unlock" | null;

export function initialNimbyState(enabled: boolean, lockByDefault: boolean): NimbyState {
  return { enabled, locked: enabled && lockByDefault, sawActivity: false };
}

/** One evaluation. `idleSeconds` null: no source could tell (headless host), which never locks. */
export function stepNimby(state: NimbyState, idleSeconds: number | null, thresholdSeconds: number): { state: NimbyState; action: NimbyAction } {
  if (!state.enabled) return state.locked ? { state: { ...state, locked: false }, action: "unlock" } : { state, action: null };
  const active = idleSeconds !== null && idleSeconds < thresholdSeconds;
  const sawActivity = state.sawActivity || active;
  if (active && !state.locked) return { state: { ...state, locked: true, sawActivity }, action: "lock" };
  if (!active && state.locked && sawActivity) return { state: { ...state, locked: false, sawActivity }, action: "unlock" };
  return { state: { ...state, sawActivity }, action: null };
}
