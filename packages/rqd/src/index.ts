export const packageName = "openrqd";
