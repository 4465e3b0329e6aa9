export const packageName = "@opencue-ts/host-monitor";
