import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Tests that start policy packs spawn processes that compile TypeScript; give them room on 2 cores.
        testTimeout: 60_000,
        hookTimeout: 60_000,
        pool: "forks",
    },
});
