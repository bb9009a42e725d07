// Worker threads start without the main thread's TypeScript loader: load the worker through tsx.
import { tsImport } from "tsx/esm/api";

await tsImport("./crypto-worker.ts", import.meta.url);
