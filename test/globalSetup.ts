import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
    export interface ProvidedContext {
        /** A folder for what one test run computes once and shares between test files (see test/runCache.ts). */
        runCacheDir: string;
    }
}

/**
 * One cache folder per `vitest run`, in the system's temporary folder, removed when the run ends. In watch mode it is
 * emptied before every rerun: a graph depends on the source code too (components, the guard bundled into the AgentCore
 * interceptors), which an edit between reruns changes.
 */
export default function setup(project: TestProject): () => void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-test-run-"));
    project.provide("runCacheDir", dir);
    project.onTestsRerun(() => {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
    });
    return () => fs.rmSync(dir, { recursive: true, force: true });
}
