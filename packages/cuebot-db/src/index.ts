export const packageName = "@opencue-ts/cuebot-db";
