export const packageName = "@opencue-ts/scheduler-core";
