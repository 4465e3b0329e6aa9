#!/usr/bin/env node
// Committed shim: npm links bins at install time, before dist/ exists, and tsc emits 0644 files.
import "../dist/bin/openrqd.js";
