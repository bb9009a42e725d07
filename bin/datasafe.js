#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so the checkout needs no build step.
import v8 from "node:v8";
import { register } from "tsx/esm/api";

// A small young generation: the uploader churns through 1-4 MiB chunk buffers, and the default
// 16 MiB semi-spaces let garbage pile up to ~20 MB more RSS (test/e2e/memory.test.ts keeps < 300 MB).
v8.setFlagsFromString("--max-semi-space-size=2");
register();
await import("../uploader/cli.ts");
