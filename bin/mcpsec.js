#!/usr/bin/env node
// mcpsec: offline synthesis and policy check of MCP Secure Blueprints stacks.
// The CLI is TypeScript; tsx compiles it on load, so the repository needs no build step.
"use strict";
require("tsx/cjs");
const { main } = require("../cli/main.ts");

main(process.argv).then((code) => {
    process.exitCode = code;
    // Policy pack processes and gRPC channels are closed by now: exit without waiting for idle timers, but only
    // once everything written to a pipe has been flushed (process.exit would cut it off).
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
});
