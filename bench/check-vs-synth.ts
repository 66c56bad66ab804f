// Benchmark (not part of `npm test`): wall time of `mcpsec synth` (bare synthesis, no policies) against
// `mcpsec check` (synthesis plus every policy pack through run-policy-pack and gRPC) on one stack, and of
// `mcpsec check --all`. Each command runs as a user runs it, in a fresh process; the median of N runs counts.
//
//   npm run bench                 # default stack, 5 runs each
//   npm run bench -- <stack> <runs>
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as nodeModule from "module";
import * as path from "path";
import * as semver from "semver";

const root = path.resolve(__dirname, "..");
const bin = path.join(root, "bin", "mcpsec.js");
const stack = process.argv[2] ?? "security-zone-dev";
const runs = Number(process.argv[3] ?? 5);
const TARGET_RATIO = 1.5;
const TARGET_ALL_SECONDS = 15;

function time(args: string[], okCodes: number[] = [0]): number {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8" });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (!okCodes.includes(r.status ?? -1)) {
        throw new Error(`mcpsec ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    }
    return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The 1-minute load average (Linux): a figure taken with other work running says so. */
const load = (): string => (fs.existsSync("/proc/loadavg") ? fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0] : "n/a");
const loadBefore = load();
time(["synth", "--stack", stack]); // warm the file system cache once
time(["check", "--stack", stack], [0, 1]); // and the packs' compile cache
const synth: number[] = [];
const check: number[] = [];
const checkAws: number[] = [];
for (let i = 0; i < runs; i++) {
    synth.push(time(["synth", "--stack", stack]));
    check.push(time(["check", "--stack", stack], [0, 1]));
    checkAws.push(time(["check", "--stack", stack, "--pack", "policies/aws"], [0, 1]));
}
const all = median(Array.from({ length: Math.max(1, Math.floor(runs / 2)) }, () => time(["check", "--all"], [0, 1])));
const ratio = median(check) / median(synth);
const ratioAws = median(checkAws) / median(synth);

console.log(`stack ${stack}, ${runs} runs each, median wall time (load average ${loadBefore} before, ${load()} after; ${process.version})`);
const engines = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
if (!semver.satisfies(process.version, engines)) {
    // .ci/run installs the supported runtimes in .ci/runtimes: .ci/runtimes/node_modules/node24/bin/node node_modules/tsx/dist/cli.mjs bench/check-vs-synth.ts
    const cache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === "function";
    console.log(`  (${process.version} is outside the supported range ${engines}${cache ? "" : "; its pack processes run without Node's compile cache"}: run the benchmark under a supported runtime for the project's figures)`);
}
console.log(`  mcpsec synth          ${median(synth).toFixed(2)} s  (runs: ${synth.map((x) => x.toFixed(2)).join(" ")})`);
console.log(`  mcpsec check          ${median(check).toFixed(2)} s  (runs: ${check.map((x) => x.toFixed(2)).join(" ")})`);
console.log(`  ratio check/synth     ${ratio.toFixed(2)}  (target <= ${TARGET_RATIO})  ${ratio <= TARGET_RATIO ? "met" : "MISSED"}  (every pack under policies/)`);
console.log(`  mcpsec check --pack policies/aws  ${median(checkAws).toFixed(2)} s  ratio ${ratioAws.toFixed(2)}  ${ratioAws <= TARGET_RATIO ? "met" : "MISSED"}  (one pack, as when the target was set)`);
console.log(`  mcpsec check --all    ${all.toFixed(2)} s  (target <= ${TARGET_ALL_SECONDS} s)  ${all <= TARGET_ALL_SECONDS ? "met" : "MISSED"}`);
process.exitCode = ratio <= TARGET_RATIO && all <= TARGET_ALL_SECONDS ? 0 : 1;
