import * as fs from "fs";
import * as path from "path";
import { runCheck } from "../check";
import type { ResourceGraph } from "../graph";
import type { PackProcess } from "../packProcess";
import type { ProjectInfo } from "../project";
import { synthesize } from "../synth";
import { loadControls } from "./controls";
import { coverageOf } from "./coverage";
import { estimateCost, loadPriceTable } from "./cost";
import { buildDiagram, renderSvg, toDot } from "./diagram";
import { incidentReplay } from "./incidents";
import type { AcceptedRisk, SecurityReport } from "./model";
import { optOutsOf } from "./optOuts";
import { loadPolicyTests } from "./policyTests";
import { renderHtml, renderMarkdown } from "./render";

export type { SecurityReport } from "./model";

export interface ReportOptions {
    project: ProjectInfo;
    stacks: string[];
    /** Stack config files to use instead of stacks/Pulumi.<stack>.yaml, by stack name. */
    stackFiles?: Record<string, string>;
    /** Policy pack folders or started pack processes, as for runCheck. */
    packs: (string | PackProcess)[];
    toolVersion: string;
    progress?: (message: string) => void;
    /** Fixed time for reproducible output (tests). */
    now?: Date;
}

/**
 * Builds the security report of each stack: synthesizes it, runs the packs once over all of them (the same
 * analyzer path and verdicts as `mcpsec check`), and joins the verdicts with the control map, the fixtures of each
 * policy, the opt-outs of the config, the incident replay, the cost table and the diagram.
 */
export async function buildSecurityReports(opts: ReportOptions): Promise<SecurityReport[]> {
    const progress = opts.progress ?? (() => undefined);
    const graphs: ResourceGraph[] = [];
    for (const stack of opts.stacks) {
        progress(`synthesizing stack ${stack}`);
        graphs.push(await synthesize({ project: opts.project, stack, stackFile: opts.stackFiles?.[stack] }));
    }
    const [check, tests] = await Promise.all([
        runCheck({ project: opts.project, targets: graphs.map((graph) => ({ graph })), packs: opts.packs, progress }),
        loadPolicyTests(opts.project.root),
    ]);
    const controls = loadControls(opts.project.root);
    const prices = loadPriceTable();
    const generatedAt = (opts.now ?? new Date()).toISOString();
    const reports: SecurityReport[] = [];
    for (const [i, graph] of graphs.entries()) {
        const stack = check.stacks[i];
        progress(`report for ${graph.stack}`);
        const dot = toDot(buildDiagram(graph));
        const acceptedRisks: AcceptedRisk[] = optOutsOf(graph).map((o) => {
            const leaf = o.key.split(/[.:]/).pop()!.replace(/\[\d+\]$/, "");
            const reportedBy = [...new Set(stack.violations.filter((v) => v.message.includes(leaf) || v.remediation.includes(leaf)).map((v) => v.policy))];
            return { ...o, reportedBy };
        });
        reports.push({
            version: 1,
            project: graph.project,
            stack: graph.stack,
            pattern: graph.config["mcpsec:pattern"] ?? "?",
            region: graph.config["aws:region"] ?? "?",
            generatedAt,
            toolVersion: opts.toolVersion,
            check: stack,
            packs: check.packs,
            coverage: coverageOf(controls, graph, stack, check.packs, tests),
            testsAvailable: tests !== undefined,
            incidents: incidentReplay(opts.project.root, graph.stack),
            acceptedRisks,
            cost: estimateCost(graph, prices),
            diagram: { dot, svg: await renderSvg(dot) },
            graph: { stack: graph.stack, project: graph.project },
        });
    }
    return reports;
}

/** Writes `<stack>.html`, `<stack>.md` and `<stack>.svg` (the diagram the Markdown shows) into `dir`; returns the paths. */
export function writeSecurityReport(report: SecurityReport, dir: string): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const files = [
        [path.join(dir, `${report.stack}.html`), renderHtml(report)],
        [path.join(dir, `${report.stack}.md`), renderMarkdown(report, `${report.stack}.svg`)],
        [path.join(dir, `${report.stack}.svg`), report.diagram.svg],
    ] as const;
    for (const [file, text] of files) fs.writeFileSync(file, text);
    return files.map(([f]) => f);
}
