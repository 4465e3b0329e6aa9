export const packageName = "cue-scheduler";
