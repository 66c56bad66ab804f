import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Tests that start policy packs spawn processes that compile TypeScript; give them room on 2 cores.
        testTimeout: 60_000,
        hookTimeout: 60_000,
        pool: "forks",
        // @actions/workflow-parser (test/ci) imports its schema JSON without an import attribute, which Node 20 refuses
        // natively: vitest's loader transforms it instead.
        server: { deps: { inline: ["@actions/workflow-parser"] } },
    },
});
