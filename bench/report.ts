// Time to generate every stack's security report (`mcpsec report --all`), in process, as the CLI does:
// pack start-up, synthesis of each stack, one analyzer run over all of them, diagram layout, writing the files.
// `npm run bench:report [-- rounds]`; not part of npm test.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { discoverPacks, startPackProcesses } from "../cli/packProcess";
import { findProject, listStacks } from "../cli/project";
import { buildSecurityReports, writeSecurityReport } from "../cli/securityReport";

async function main(): Promise<void> {
    const rounds = Number(process.argv[2] ?? 3);
    const project = findProject(path.resolve(__dirname, ".."));
    const stacks = listStacks(project);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "mcpsec-bench-report-"));
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        const phases: string[] = [];
        const progress = (m: string) => phases.push(`${((performance.now() - t0) / 1000).toFixed(2)}s ${m}`);
        const reports = await buildSecurityReports({ project, stacks, packs: startPackProcesses(discoverPacks(project)), toolVersion: "bench", progress });
        progress("reports built");
        if (process.env.BENCH_PHASES) console.log(phases.join("\n"));
        reports.forEach((r) => writeSecurityReport(r, out));
        const ms = performance.now() - t0;
        const used = process.cpuUsage(cpu);
        times.push(ms);
        console.log(`round ${i + 1}: ${stacks.length} stacks in ${(ms / 1000).toFixed(2)} s (this process CPU ${((used.user + used.system) / 1e6).toFixed(2)} s; packs run in their own processes)`);
    }
    times.sort((a, b) => a - b);
    console.log(`median ${(times[Math.floor(times.length / 2)] / 1000).toFixed(2)} s, best ${(times[0] / 1000).toFixed(2)} s for ${stacks.join(", ")}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    fs.rmSync(out, { recursive: true, force: true });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
