import * as os from "os";
import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Tests that start policy packs spawn processes that compile TypeScript; give them room on 2 cores.
        testTimeout: 60_000,
        hookTimeout: 60_000,
        pool: "forks",
        // Vitest's default is one worker less than the cores: one worker on this 2-core machine (and on 2-vCPU CI
        // runners), the second core idle while in-process tests run. Two workers fill both; at most 8, since each
        // worker may start three policy-pack processes of about 100 MB.
        maxWorkers: Math.min(8, Math.max(2, os.availableParallelism())),
        // Stacks synthesized once per run and shared by the test files (test/runCache.ts); the folder is removed at
        // the end of the run.
        globalSetup: ["test/globalSetup.ts"],
        // @actions/workflow-parser (test/ci) imports its schema JSON without an import attribute, which Node 20 refuses
        // natively: vitest's loader transforms it instead.
        server: { deps: { inline: ["@actions/workflow-parser"] } },
    },
});
