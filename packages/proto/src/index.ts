export const packageName = "@opencue-ts/proto";
