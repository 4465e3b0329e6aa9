export const packageName = "dummy-cuebot";
