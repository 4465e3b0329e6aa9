export const packageName = "@opencue-ts/frame-runner";
